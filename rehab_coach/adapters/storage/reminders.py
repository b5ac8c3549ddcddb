"""What the reminder scheduler reads and writes: the patients a reminder may be due for, and one row per
patient-day's reminder, claimed in the database so that two schedulers never send the same patient-day twice."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import and_, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from rehab_coach.adapters.storage.db import session_factory
from rehab_coach.adapters.storage.tables import CheckinRow, EscalationRow, PatientRow, ReminderSendRow
from rehab_coach.core.model import Escalation

_INSERT = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}  # the backends with INSERT ... ON CONFLICT


@dataclass(frozen=True)
class ReminderSend:
    """A patient-day's reminder as claimed: how many attempts so far, and when the next one is due."""

    day: date
    kind: str
    attempts: int
    next_attempt_at: datetime | None
    sent_at: datetime | None


@dataclass(frozen=True)
class ReminderCandidate:
    """An onboarded patient in the programme, with what decides whether their reminder is due."""

    patient_id: int
    sender_id: str
    enrolled_on: date
    reminder_time: str | None  # None: the clinic's default
    timezone: str | None  # None: the clinic's
    paused_until: date | None
    channel: str | None  # the channel reminders go by; None: where the patient last wrote
    last_checkin: date | None
    last_alert: date | None  # the latest patient-day whose claim alerted the clinic to the patient's silence
    sends: dict[date, ReminderSend] = field(default_factory=dict)  # among the days asked about


@dataclass(frozen=True)
class ReminderClaim:
    """An attempt at a patient-day's reminder: the first (`send` None) or a retry of `send`."""

    patient_id: int
    day: date
    kind: str
    next_attempt_at: datetime | None  # when the attempt after this one is due (None: this is the last)
    alert: Escalation | None = None  # the clinic's alert to raise with a first attempt
    send: ReminderSend | None = None


class ReminderStore:
    """One short transaction per call, like Store."""

    def __init__(self, engine: Engine) -> None:
        self._sessions = session_factory(engine)

    def candidates(self, days: Iterable[date]) -> list[ReminderCandidate]:
        """Every onboarded patient not discharged nor paused past the last of `days`, with their sends on `days`:
        one query, whatever the number of patients."""
        days = sorted(set(days))
        last_checkin = (select(func.max(CheckinRow.day)).where(CheckinRow.patient_id == PatientRow.id)
                        .correlate(PatientRow).scalar_subquery())
        last_alert = (select(func.max(ReminderSendRow.day))
                      .where(ReminderSendRow.patient_id == PatientRow.id, ReminderSendRow.alerted.is_(True))
                      .correlate(PatientRow).scalar_subquery())
        sends = ReminderSendRow.__table__
        query = (
            select(PatientRow.id, PatientRow.sender_id, PatientRow.enrolled_on, PatientRow.reminder_time,
                   PatientRow.timezone, PatientRow.reminders_paused_until, PatientRow.reminder_channel, last_checkin,
                   last_alert,
                   sends.c.day, sends.c.kind, sends.c.attempts, sends.c.next_attempt_at, sends.c.sent_at)
            .outerjoin(sends, and_(sends.c.patient_id == PatientRow.id, sends.c.day.in_(days)))
            .where(PatientRow.side.is_not(None), PatientRow.sport.is_not(None), PatientRow.diagnosed.is_not(None))
            .where(PatientRow.discharged_on.is_(None))
            .where(PatientRow.reminders_paused_until.is_(None) | (PatientRow.reminders_paused_until < days[-1]))
            .order_by(PatientRow.id)
        )
        found: dict[int, ReminderCandidate] = {}
        with self._sessions.begin() as session:
            for row in session.execute(query):
                candidate = found.get(row[0])
                if candidate is None:
                    candidate = found[row[0]] = ReminderCandidate(*row[:9])
                if row[9] is not None:
                    candidate.sends[row[9]] = ReminderSend(*row[9:])
        return list(found.values())

    def claim(self, claims: Sequence[ReminderClaim], at: datetime) -> list[bool]:
        """Claim each attempt, all in one transaction: a first one by inserting its patient-day's row (with the
        clinic's alert, if any), a retry by compare-and-set on the attempts counted and a next attempt that is due.
        Whether each is this scheduler's to send; False where another scheduler claimed it first."""
        with self._sessions.begin() as session:
            insert = _INSERT[session.get_bind().dialect.name](ReminderSendRow).on_conflict_do_nothing(
                index_elements=["patient_id", "day"])
            claimed = []
            for claim in claims:
                if claim.send is None:
                    statement = insert.values(patient_id=claim.patient_id, day=claim.day, kind=claim.kind, attempts=1,
                                              next_attempt_at=claim.next_attempt_at, alerted=claim.alert is not None)
                else:
                    statement = (
                        update(ReminderSendRow)
                        .where(ReminderSendRow.patient_id == claim.patient_id, ReminderSendRow.day == claim.day,
                               ReminderSendRow.attempts == claim.send.attempts, ReminderSendRow.sent_at.is_(None),
                               ReminderSendRow.next_attempt_at <= at)
                        .values(attempts=claim.send.attempts + 1, next_attempt_at=claim.next_attempt_at)
                    )
                claimed.append(session.execute(statement).rowcount == 1)
                if claimed[-1] and claim.alert is not None:
                    session.add(EscalationRow(patient_id=claim.patient_id, created_at=at, urgency=claim.alert.urgency,
                                              reasons=list(claim.alert.reasons), triggers=list(claim.alert.triggers)))
        return claimed

    def sent(self, claim: ReminderClaim, at: datetime) -> None:
        self._set(claim, sent_at=at, next_attempt_at=None)

    def failed(self, claim: ReminderClaim, error: str) -> None:
        """The attempt failed (`error`: its kind, no personal data); the next one stays as its claim set it."""
        self._set(claim, error=error[:100])

    def _set(self, claim: ReminderClaim, **values: object) -> None:
        statement = (update(ReminderSendRow).values(**values)
                     .where(ReminderSendRow.patient_id == claim.patient_id, ReminderSendRow.day == claim.day))
        with self._sessions.begin() as session:
            session.execute(statement)
