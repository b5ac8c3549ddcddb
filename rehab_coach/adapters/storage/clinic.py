"""What the clinician portal reads and writes: clinicians, their sessions, the audit log, patient lists, exports."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import String, case, cast, func, or_, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from rehab_coach.adapters.storage.db import session_factory
from rehab_coach.adapters.storage.repository import CHECKIN_COLUMNS, response_of
from rehab_coach.adapters.storage.tables import (
    AuditRow,
    CheckinRow,
    ClinicianRow,
    ClinicianSessionRow,
    EscalationRow,
    MeasureResponseRow,
    PatientRow,
    PlanRow,
)
from rehab_coach.core.alerts import Alert
from rehab_coach.core.model import URGENCIES, CheckIn
from rehab_coach.core.outcomes import Response

ADHERENCE_SCORE = {"all": 1.0, "some": 0.5, "none": 0.0}
ADHERENCE_WINDOW = 7  # check-ins
EXPORT_FIELDS: dict[str, tuple[str, ...]] = {
    "checkins": ("patient_id", "day", "pain_rest", "pain_exercise", "pain_morning", "swelling", "mechanical",
                 "adherence", "day_class"),
    "plans": ("patient_id", "day", "phase_number", "status", "payload"),
    "escalations": ("patient_id", "id", "created_at", "urgency", "reasons", "triggers", "message",
                    "acknowledged_by", "acknowledged_at"),
    "monitoring_days": ("patient_id", "month", "days"),  # days with check-in data, by calendar month (YYYY-MM)
}
_EXPORT_ROWS: dict[str, Any] = {"checkins": CheckinRow, "plans": PlanRow, "escalations": EscalationRow}
_EXPORT_ORDER = {"checkins": CheckinRow.day, "plans": PlanRow.day, "escalations": EscalationRow.created_at}


@dataclass(frozen=True)
class Clinician:
    id: int
    username: str


@dataclass(frozen=True)
class LoginRecord:
    clinician: Clinician
    password_hash: str
    locked_until: datetime | None


@dataclass(frozen=True)
class ClinicianSession:
    clinician: Clinician
    csrf_token: str
    expires_at: datetime


@dataclass(frozen=True)
class PatientSummary:
    id: int
    label: str | None
    channel: str
    enrolled_on: date
    phase_number: int
    last_checkin: date | None
    days_since: int | None
    adherence: float | None  # share of the plan done over the latest check-ins (all 1, some 0.5, none 0)
    open_escalations: dict[str, int]  # urgency -> unacknowledged escalations
    top_urgency: str | None
    monitoring_days: int  # days with check-in data this calendar month
    phase_since: date | None  # the first day of the current phase's plans
    recent: tuple[CheckIn, ...]  # the check-ins of the last `recent_days` days, oldest first
    scores: tuple[Response, ...]  # the outcome questionnaires with a score, oldest first
    alerts: tuple[Alert, ...] = ()  # filled by the service (core/alerts.py)


@dataclass(frozen=True)
class PlanRecord:
    day: date
    phase_number: int
    status: str
    payload: dict


@dataclass(frozen=True)
class AuditEvent:
    id: int
    at: datetime
    clinician: str
    action: str
    patient_id: int | None
    detail: str | None


class Clinic:
    """The portal's records, on the app database (one session per call, like Store)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = session_factory(engine)

    # -- clinicians and sessions -----------------------------------------------------------------

    def add_clinician(self, username: str, password_hash: str) -> Clinician:
        """A new clinician; ValueError if the name is taken."""
        if not username.strip() or not password_hash:
            raise ValueError("a clinician needs a name and a password")
        try:
            with self._sessions.begin() as session:
                row = ClinicianRow(username=username.strip(), password_hash=password_hash)
                session.add(row)
                session.flush()
                return Clinician(row.id, row.username)
        except IntegrityError:
            raise ValueError(f"there is already a clinician called {username!r}") from None

    def login_record(self, username: str) -> LoginRecord | None:
        """The clinician of that name, their password hash and any lock; None if there is no such name."""
        with self._sessions.begin() as session:
            row = session.execute(select(ClinicianRow).where(ClinicianRow.username == username)).scalar_one_or_none()
            return None if row is None else LoginRecord(Clinician(row.id, row.username), row.password_hash,
                                                        row.locked_until)

    def login_failed(self, clinician_id: int, now: datetime, limit: int, lock_for: timedelta) -> None:
        """Count a failed login; the `limit`-th in a row locks the name until `now + lock_for`."""
        with self._sessions.begin() as session:
            row = session.get(ClinicianRow, clinician_id, with_for_update=True)
            row.failed_logins += 1
            if row.failed_logins >= limit:
                row.failed_logins, row.locked_until = 0, now + lock_for

    def login_succeeded(self, clinician_id: int) -> None:
        with self._sessions.begin() as session:
            row = session.get(ClinicianRow, clinician_id)
            row.failed_logins, row.locked_until = 0, None

    def set_password_hash(self, clinician_id: int, password_hash: str) -> None:
        with self._sessions.begin() as session:
            session.get(ClinicianRow, clinician_id).password_hash = password_hash

    def open_session(self, clinician_id: int, token_hash: str, csrf_token: str, expires_at: datetime) -> None:
        with self._sessions.begin() as session:
            session.add(ClinicianSessionRow(clinician_id=clinician_id, token_hash=token_hash, csrf_token=csrf_token,
                                            expires_at=expires_at))

    def session(self, token_hash: str, now: datetime) -> ClinicianSession | None:
        """The live session with this token hash; None when unknown or expired."""
        query = (select(ClinicianSessionRow, ClinicianRow)
                 .join(ClinicianRow, ClinicianRow.id == ClinicianSessionRow.clinician_id)
                 .where(ClinicianSessionRow.token_hash == token_hash, ClinicianSessionRow.expires_at > now))
        with self._sessions.begin() as session:
            found = session.execute(query).one_or_none()
            if found is None:
                return None
            live, clinician = found
            return ClinicianSession(Clinician(clinician.id, clinician.username), live.csrf_token, live.expires_at)

    def close_session(self, token_hash: str) -> None:
        """Log out; also forgets every expired session."""
        with self._sessions.begin() as session:
            for row in session.execute(select(ClinicianSessionRow).where(
                    (ClinicianSessionRow.token_hash == token_hash)
                    | (ClinicianSessionRow.expires_at <= datetime.now(timezone.utc)))).scalars():
                session.delete(row)

    # -- audit ------------------------------------------------------------------------------------

    def record(self, clinician_id: int, action: str, patient_id: int | None = None, detail: str | None = None) -> None:
        """Audit: who did what to which patient (None: all patients)."""
        with self._sessions.begin() as session:
            session.add(AuditRow(clinician_id=clinician_id, action=action, patient_id=patient_id, detail=detail))

    def audit_events(self, limit: int = 200) -> list[AuditEvent]:
        """The newest events first."""
        query = (select(AuditRow, ClinicianRow.username).join(ClinicianRow, ClinicianRow.id == AuditRow.clinician_id)
                 .order_by(AuditRow.at.desc(), AuditRow.id.desc()).limit(limit))
        with self._sessions.begin() as session:
            return [AuditEvent(row.id, row.at, username, row.action, row.patient_id, row.detail)
                    for row, username in session.execute(query)]

    # -- patients ---------------------------------------------------------------------------------

    def patients(self, today: date, offset: int = 0, limit: int = 50, recent_days: int = 7
                 ) -> tuple[list[PatientSummary], int]:
        """One page of patients, who needs attention first; and how many patients there are. Each summary holds
        the check-ins of the last `recent_days` days.

        Order: the most urgent unacknowledged escalation (emergency, urgent, routine, none), then the
        longest since the last check-in (never checked in first), then enrolment order.
        """
        rank = case({urgency: n for n, urgency in enumerate(URGENCIES)}, value=EscalationRow.urgency)
        top = (select(EscalationRow.patient_id, func.min(rank).label("rank"))
               .where(EscalationRow.acknowledged_at.is_(None)).group_by(EscalationRow.patient_id).subquery())
        last = (select(func.max(CheckinRow.day)).where(CheckinRow.patient_id == PatientRow.id)
                .correlate(PatientRow).scalar_subquery())
        query = (select(PatientRow, last.label("last_checkin"))
                 .outerjoin(top, top.c.patient_id == PatientRow.id)
                 .order_by(func.coalesce(top.c.rank, len(URGENCIES)), last.asc().nulls_first(), PatientRow.id)
                 .offset(offset).limit(limit))
        with self._sessions.begin() as session:
            total = session.execute(select(func.count()).select_from(PatientRow)).scalar_one()
            page = session.execute(query).all()
            ids = [row.id for row, _ in page]
            open_escalations = self._open_escalations(session, ids)
            adherence = self._adherence(session, ids)
            monitored = dict(session.execute(
                select(CheckinRow.patient_id, func.count())
                .where(CheckinRow.patient_id.in_(ids), CheckinRow.day.between(today.replace(day=1), today))
                .group_by(CheckinRow.patient_id)).all())
            recent: dict[int, list[CheckIn]] = {}
            for patient_id, *answers in session.execute(select(CheckinRow.patient_id, *CHECKIN_COLUMNS).where(
                    CheckinRow.patient_id.in_(ids), CheckinRow.day > today - timedelta(days=recent_days))
                    .order_by(CheckinRow.day)):
                recent.setdefault(patient_id, []).append(CheckIn(*answers))
            since = self._phase_since(session, ids)
            scores: dict[int, list[Response]] = {}
            for response in session.execute(select(MeasureResponseRow).where(
                    MeasureResponseRow.patient_id.in_(ids), MeasureResponseRow.score.is_not(None))
                    .order_by(MeasureResponseRow.day)).scalars():
                scores.setdefault(response.patient_id, []).append(response_of(response))
        return [_summary(row, last_day, today, open_escalations.get(row.id, {}), adherence.get(row.id),
                         monitored.get(row.id, 0), since.get(row.id), tuple(recent.get(row.id, ())),
                         tuple(scores.get(row.id, ())))
                for row, last_day in page], total

    @staticmethod
    def _phase_since(session: Any, ids: list[int]) -> dict[int, date]:
        """The first day of each patient's plans in their current phase (after the last plan in another)."""
        current = PlanRow.phase_number == PatientRow.phase_number
        other = (select(PlanRow.patient_id.label("pid"), func.max(PlanRow.day).label("day"))
                 .join(PatientRow, PatientRow.id == PlanRow.patient_id)
                 .where(PlanRow.patient_id.in_(ids), ~current).group_by(PlanRow.patient_id).subquery())
        query = (select(PlanRow.patient_id, func.min(PlanRow.day))
                 .join(PatientRow, PatientRow.id == PlanRow.patient_id)
                 .outerjoin(other, other.c.pid == PlanRow.patient_id)
                 .where(PlanRow.patient_id.in_(ids), current, or_(other.c.day.is_(None), PlanRow.day > other.c.day))
                 .group_by(PlanRow.patient_id))
        return dict(session.execute(query).all())

    @staticmethod
    def _open_escalations(session: Any, ids: list[int]) -> dict[int, dict[str, int]]:
        query = (select(EscalationRow.patient_id, EscalationRow.urgency, func.count())
                 .where(EscalationRow.patient_id.in_(ids), EscalationRow.acknowledged_at.is_(None))
                 .group_by(EscalationRow.patient_id, EscalationRow.urgency))
        found: dict[int, dict[str, int]] = {}
        for patient_id, urgency, count in session.execute(query):
            found.setdefault(patient_id, {})[urgency] = count
        return found

    @staticmethod
    def _adherence(session: Any, ids: list[int]) -> dict[int, float]:
        newest = func.row_number().over(partition_by=CheckinRow.patient_id, order_by=CheckinRow.day.desc())
        recent = (select(CheckinRow.patient_id, CheckinRow.adherence, newest.label("n"))
                  .where(CheckinRow.patient_id.in_(ids)).subquery())
        scores: dict[int, list[float]] = {}
        for patient_id, done in session.execute(select(recent.c.patient_id, recent.c.adherence)
                                                .where(recent.c.n <= ADHERENCE_WINDOW)):
            scores.setdefault(patient_id, []).append(ADHERENCE_SCORE[done])
        return {patient_id: sum(values) / len(values) for patient_id, values in scores.items()}

    def set_label(self, patient_id: int, label: str | None) -> None:
        """The clinic's own reference for a patient (at most 64 characters; blank clears it)."""
        label = (label or "").strip() or None
        if label is not None and len(label) > 64:
            raise ValueError("a label is at most 64 characters")
        with self._sessions.begin() as session:
            row = session.get(PatientRow, patient_id)
            if row is None:
                raise LookupError(f"there is no patient {patient_id}")
            row.label = label

    def plans(self, patient_id: int) -> list[PlanRecord]:
        """Every plan the patient was given, oldest first."""
        query = select(PlanRow).where(PlanRow.patient_id == patient_id).order_by(PlanRow.day)
        with self._sessions.begin() as session:
            return [PlanRecord(row.day, row.phase_number, row.status, row.payload)
                    for row in session.execute(query).scalars()]

    # -- exports ----------------------------------------------------------------------------------

    def export_rows(self, kind: str, patient_id: int | None = None) -> Iterator[dict[str, Any]]:
        """One patient's (or everyone's) check-ins, plans or escalations as flat dicts, streamed from the database.

        Dates and times are ISO texts; lists and payloads stay as JSON values.
        """
        if kind not in EXPORT_FIELDS:
            raise ValueError(f"kind: {kind!r} is not one of {', '.join(EXPORT_FIELDS)}")
        query = _export_query(kind, patient_id)
        with self.engine.connect() as connection:
            result = connection.execution_options(stream_results=True, max_row_buffer=1000).execute(query)
            for row in result:
                yield {name: _plain(value) for name, value in row._mapping.items()}


def _export_query(kind: str, patient_id: int | None) -> Any:
    if kind == "monitoring_days":
        month = func.substr(cast(CheckinRow.day, String), 1, 7)  # ISO dates in SQLite and PostgreSQL alike
        query = (select(CheckinRow.patient_id, month.label("month"), func.count().label("days"))
                 .group_by(CheckinRow.patient_id, month).order_by(CheckinRow.patient_id, month))
        return query if patient_id is None else query.where(CheckinRow.patient_id == patient_id)
    table = _EXPORT_ROWS[kind].__table__
    query = select(*(table.c[name] for name in EXPORT_FIELDS[kind]))
    if patient_id is not None:
        query = query.where(table.c.patient_id == patient_id)
    return query.order_by(table.c.patient_id, _EXPORT_ORDER[kind], table.c.id)


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, (date, datetime)) else value


def _summary(row: PatientRow, last_checkin: date | None, today: date, open_escalations: dict[str, int],
             adherence: float | None, monitoring_days: int, phase_since: date | None,
             recent: tuple[CheckIn, ...], scores: tuple[Response, ...]) -> PatientSummary:
    top = next((urgency for urgency in URGENCIES if open_escalations.get(urgency)), None)
    return PatientSummary(
        id=row.id, label=row.label, channel=row.channel, enrolled_on=row.enrolled_on, phase_number=row.phase_number,
        last_checkin=last_checkin, days_since=(today - last_checkin).days if last_checkin else None,
        adherence=adherence, open_escalations=open_escalations, top_urgency=top, monitoring_days=monitoring_days,
        phase_since=phase_since, recent=recent, scores=scores,
    )
