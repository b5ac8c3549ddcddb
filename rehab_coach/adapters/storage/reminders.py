"""What the reminder scheduler reads and writes: the patients a reminder may be due for, and one row per
patient-day's reminder, claimed in the database so that two schedulers never send the same patient-day twice."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import and_, func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from rehab_coach.adapters.storage.db import session_factory
from rehab_coach.adapters.storage.tables import CheckinRow, EscalationRow, PatientRow, ReminderSendRow
from rehab_coach.core.model import Escalation


@dataclass(frozen=True)
class ReminderSend:
    """A patient-day's reminder as claimed: how many attempts so far, and when the next one is due."""

    id: int
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
    last_checkin: date | None
    last_alert: date | None  # the latest patient-day whose claim alerted the clinic to the patient's silence
    sends: dict[date, ReminderSend] = field(default_factory=dict)  # among the days asked about


class ReminderStore:
    """One short transaction per call, like Store."""

    def __init__(self, engine: Engine) -> None:
        self._sessions = session_factory(engine)

    def candidates(self, days: Iterable[date]) -> list[ReminderCandidate]:
        """Every onboarded patient not discharged nor paused past the last of `days`, with their sends on `days`;
        two queries' worth of work in one, whatever the number of patients."""
        days = sorted(set(days))
        last_checkin = (select(func.max(CheckinRow.day)).where(CheckinRow.patient_id == PatientRow.id)
                        .correlate(PatientRow).scalar_subquery())
        last_alert = (select(func.max(ReminderSendRow.day))
                      .where(ReminderSendRow.patient_id == PatientRow.id, ReminderSendRow.alerted.is_(True))
                      .correlate(PatientRow).scalar_subquery())
        sends = ReminderSendRow.__table__
        query = (
            select(PatientRow.id, PatientRow.sender_id, PatientRow.enrolled_on, PatientRow.reminder_time,
                   PatientRow.timezone, PatientRow.reminders_paused_until, last_checkin, last_alert,
                   sends.c.id, sends.c.day, sends.c.kind, sends.c.attempts, sends.c.next_attempt_at, sends.c.sent_at)
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
                    candidate = found[row[0]] = ReminderCandidate(*row[:8])
                if row[8] is not None:
                    candidate.sends[row[9]] = ReminderSend(*row[8:])
        return list(found.values())

    def claim(self, patient_id: int, day: date, kind: str, next_attempt_at: datetime | None,
              alert: Escalation | None, at: datetime) -> int | None:
        """Claim the patient-day's reminder (its first attempt), raising the clinic's `alert` with it: the new
        send's id, or None when another scheduler has claimed it already."""
        try:
            with self._sessions.begin() as session:
                row = ReminderSendRow(patient_id=patient_id, day=day, kind=kind, attempts=1,
                                      next_attempt_at=next_attempt_at, alerted=alert is not None)
                session.add(row)
                if alert is not None:
                    session.add(EscalationRow(patient_id=patient_id, created_at=at, urgency=alert.urgency,
                                              reasons=list(alert.reasons), triggers=list(alert.triggers)))
                session.flush()
                return int(row.id)
        except IntegrityError:
            return None

    def reclaim(self, send: ReminderSend, now: datetime, next_attempt_at: datetime | None) -> bool:
        """Claim a retry of an unsent reminder whose next attempt is due, by compare-and-set on its attempts: False
        when another scheduler took this attempt first."""
        statement = (
            update(ReminderSendRow)
            .where(ReminderSendRow.id == send.id, ReminderSendRow.attempts == send.attempts,
                   ReminderSendRow.sent_at.is_(None), ReminderSendRow.next_attempt_at <= now)
            .values(attempts=send.attempts + 1, next_attempt_at=next_attempt_at)
            .execution_options(synchronize_session=False)
        )
        with self._sessions.begin() as session:
            return bool(session.execute(statement).rowcount == 1)

    def sent(self, send_id: int, at: datetime) -> None:
        self._set(send_id, sent_at=at, next_attempt_at=None)

    def failed(self, send_id: int, error: str) -> None:
        """The attempt failed; the next one stays as its claim set it."""
        self._set(send_id, error=error[:100])

    def _set(self, send_id: int, **values: object) -> None:
        statement = (update(ReminderSendRow).where(ReminderSendRow.id == send_id).values(**values)
                     .execution_options(synchronize_session=False))
        with self._sessions.begin() as session:
            session.execute(statement)
