"""The Store: what the coach remembers about each patient, one short transaction per call."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from rehab_coach.adapters.storage.db import session_factory
from rehab_coach.adapters.storage.tables import (
    ChannelAddressRow,
    CheckinRow,
    ClinicNotificationRow,
    EscalationRow,
    MeasureResponseRow,
    PatientRow,
    PlanRow,
    UsedCodeRow,
    utcnow,
)
from rehab_coach.core.model import DAY_CLASSES, PHASE_STATUSES, SIDES, SPORTS, URGENCIES, CheckIn, Escalation, Patient
from rehab_coach.core.outcomes import Response

# Ids only: sender ids and messages are personal data and never go to the log.
log = logging.getLogger(__name__)
T = TypeVar("T")
CHECKIN_COLUMNS = tuple(getattr(CheckinRow, f.name) for f in fields(CheckIn))  # the answers, in CheckIn's order


class UnknownRecord(LookupError):
    """No patient (or escalation) with the given id."""


class UsedCode(ValueError):
    """A one-time code that has been used."""


@dataclass(frozen=True)
class PatientRecord:
    id: int
    channel: str
    sender_id: str
    profile: Patient
    phase_number: int
    label: str | None = None  # the clinic's own reference, set in the portal
    discharged_on: date | None = None
    reminder_time: str | None = None  # "HH:MM"; None: the clinic's default
    timezone: str | None = None  # IANA name; None: the clinic's
    reminders_paused_until: date | None = None
    reminder_channel: str | None = None  # None: the channel the patient last wrote on


@dataclass(frozen=True)
class EscalationRecord:
    id: int
    patient_id: int
    created_at: datetime
    escalation: Escalation
    message: str | None
    acknowledged_by: str | None
    acknowledged_at: datetime | None

    @property
    def acknowledged(self) -> bool:
        return self.acknowledged_at is not None


class Store:
    """The patients' records. Hand it a session factory (or an engine); it opens one session per call."""

    def __init__(self, sessions: sessionmaker | Engine) -> None:
        self._sessions = session_factory(sessions) if isinstance(sessions, Engine) else sessions

    @contextmanager
    def _unit_of_work(self) -> Iterator[Session]:
        """A session whose transaction commits on success and rolls back on any error."""
        with self._sessions.begin() as session:
            yield session

    # -- patients -------------------------------------------------------------------------------

    def patient(self, channel: str, sender_id: str, today: date) -> PatientRecord:
        """The patient whose conversation is `sender_id` (on `channel`, or enrolled elsewhere and now talking
        through a messaging channel bound to it), enrolled today on `channel` if new."""
        _require_text("channel", channel)
        _require_text("sender_id", sender_id)
        found = self.find_patient(channel, sender_id) or self._by_conversation(sender_id)
        if found is not None:
            return found
        try:
            with self._unit_of_work() as session:
                row = PatientRow(channel=channel, sender_id=sender_id, enrolled_on=today, phase_number=1)
                session.add(row)
                session.flush()
                return _patient_record(row)
        except IntegrityError:
            # Another process enrolled the same person between our read and our insert: use theirs.
            found = self.find_patient(channel, sender_id)
            if found is None:
                raise
            log.debug("concurrent enrolment resolved to patient %s", found.id)
            return found

    def _by_conversation(self, sender_id: str) -> PatientRecord | None:
        with self._unit_of_work() as session:
            row = session.execute(select(PatientRow).where(PatientRow.sender_id == sender_id)
                                  .order_by(PatientRow.id).limit(1)).scalar_one_or_none()
            return None if row is None else _patient_record(row)

    def bind_address(self, patient_id: int, channel: str, address: str, code: str | None = None) -> None:
        """The patient talks through `address` on `channel` from now on (an address bound to someone else
        moves: the clinic's code is the proof). A `code` (the binding code's signature) works once: UsedCode if
        it bound an address before."""
        _require_text("address", address)
        with self._unit_of_work() as session:
            _require_patient(session, patient_id)
            if code is not None:
                session.add(UsedCodeRow(signature=code, patient_id=patient_id))
                try:
                    session.flush()
                except IntegrityError:
                    raise UsedCode(code) from None
            row = session.execute(select(ChannelAddressRow).where(
                ChannelAddressRow.channel == channel, ChannelAddressRow.address == address)).scalar_one_or_none()
            if row is None:
                session.add(ChannelAddressRow(patient_id=patient_id, channel=channel, address=address))
            else:
                row.patient_id = patient_id

    def patient_at(self, channel: str, address: str) -> PatientRecord | None:
        """The patient bound to `address` on `channel`, if any."""
        query = (select(PatientRow).join(ChannelAddressRow, ChannelAddressRow.patient_id == PatientRow.id)
                 .where(ChannelAddressRow.channel == channel, ChannelAddressRow.address == address))
        with self._unit_of_work() as session:
            row = session.execute(query).scalar_one_or_none()
            return None if row is None else _patient_record(row)

    def channels_of(self, patient_id: int) -> set[str]:
        """The channels on which the patient has bound an address."""
        query = select(ChannelAddressRow.channel).where(ChannelAddressRow.patient_id == patient_id).distinct()
        with self._unit_of_work() as session:
            return set(session.execute(query).scalars())

    def address_of(self, sender_id: str, channel: str) -> str | None:
        """Where to reach the patient whose conversation is `sender_id` on `channel` (the latest bound address)."""
        query = (select(ChannelAddressRow.address).join(PatientRow, ChannelAddressRow.patient_id == PatientRow.id)
                 .where(PatientRow.sender_id == sender_id, ChannelAddressRow.channel == channel)
                 .order_by(ChannelAddressRow.id.desc()).limit(1))
        with self._unit_of_work() as session:
            return session.execute(query).scalar_one_or_none()

    def find_patient(self, channel: str, sender_id: str) -> PatientRecord | None:
        with self._unit_of_work() as session:
            query = select(PatientRow).where(PatientRow.channel == channel, PatientRow.sender_id == sender_id)
            row = session.execute(query).scalar_one_or_none()
            return None if row is None else _patient_record(row)

    def patient_ids(self) -> list[int]:
        """Every patient's id, in order."""
        with self._unit_of_work() as session:
            return list(session.execute(select(PatientRow.id).order_by(PatientRow.id)).scalars())

    def patient_by_id(self, patient_id: int) -> PatientRecord:
        """The patient with this id; UnknownRecord if there is none."""
        with self._unit_of_work() as session:
            return _patient_record(_require_patient(session, patient_id))

    def discharge(self, patient_id: int, day: date | None) -> None:
        """Discharge the patient on `day`, or (None) take them back into the programme."""
        with self._unit_of_work() as session:
            row = _require_patient(session, patient_id)
            row.discharged_on, row.transcript_erased_on = day, None

    def set_reminder_time(self, patient_id: int, reminder_time: str | None, timezone: str | None) -> None:
        """The patient's daily reminder time ("HH:MM") and time zone (IANA); None: the clinic's default."""
        with self._unit_of_work() as session:
            row = _require_patient(session, patient_id)
            row.reminder_time, row.timezone = reminder_time, timezone

    def set_reminder_channel(self, patient_id: int, channel: str | None) -> None:
        """The channel the patient's reminders go by; None: the one they last wrote on."""
        with self._unit_of_work() as session:
            _require_patient(session, patient_id).reminder_channel = channel

    def pause_reminders(self, patient_id: int, until: date | None) -> None:
        """No reminders up to and including `until`; None: reminders again."""
        with self._unit_of_work() as session:
            _require_patient(session, patient_id).reminders_paused_until = until

    def transcripts_to_erase(self, discharged_by: date) -> list[PatientRecord]:
        """Patients discharged on or before `discharged_by` whose conversation the retention rule has not erased."""
        query = select(PatientRow).where(PatientRow.discharged_on <= discharged_by,
                                         PatientRow.transcript_erased_on.is_(None)).order_by(PatientRow.id)
        with self._unit_of_work() as session:
            return [_patient_record(row) for row in session.execute(query).scalars()]

    def transcript_erased(self, patient_id: int, day: date) -> None:
        with self._unit_of_work() as session:
            _require_patient(session, patient_id).transcript_erased_on = day

    def erase(self, patient_id: int) -> None:
        """Delete the patient; the database cascades to their check-ins, plans and escalations."""
        with self._unit_of_work() as session:
            if not session.execute(delete(PatientRow).where(PatientRow.id == patient_id)).rowcount:
                raise UnknownRecord(patient_id)

    def update_profile(
        self,
        patient_id: int,
        *,
        side: str | None = None,
        sport: str | None = None,
        diagnosed: bool | None = None,
    ) -> PatientRecord:
        """Record onboarding answers; a None argument leaves that answer as it was."""
        problems = _profile_problems(side, sport, diagnosed)
        if problems:
            raise ValueError("; ".join(problems))
        with self._unit_of_work() as session:
            row = _require_patient(session, patient_id)
            if side is not None:
                row.side = side
            if sport is not None:
                row.sport = sport
            if diagnosed is not None:
                row.diagnosed = diagnosed
            session.flush()
            return _patient_record(row)

    # -- check-ins ------------------------------------------------------------------------------

    def save_checkin(self, patient_id: int, checkin: CheckIn, day_class: str | None) -> bool:
        """Store the day's check-in, replacing an earlier one for the same day; True if it is the first."""
        _require_checkin(checkin)
        if day_class is not None and day_class not in DAY_CLASSES:
            raise ValueError(f"day_class: {day_class!r} is not one of {', '.join(DAY_CLASSES)}")
        return self._on_conflict_retry(lambda: self._write_checkin(patient_id, checkin, day_class))

    def _write_checkin(self, patient_id: int, checkin: CheckIn, day_class: str | None) -> bool:
        with self._unit_of_work() as session:
            _require_patient(session, patient_id)
            row = self._existing_checkin(session, patient_id, checkin.day)
            created = row is None
            if row is None:
                row = CheckinRow(patient_id=patient_id, day=checkin.day)
                session.add(row)
            for name, value in checkin.values().items():
                setattr(row, name, value)
            row.day_class = day_class
            return created

    def _existing_checkin(self, session: Session, patient_id: int, day: date) -> CheckinRow | None:
        query = select(CheckinRow).where(CheckinRow.patient_id == patient_id, CheckinRow.day == day)
        return session.execute(query).scalar_one_or_none()

    def checkins(self, patient_id: int, until: date | None = None) -> list[CheckIn]:
        """The patient's check-ins, oldest first, up to and including `until` when given."""
        query = select(*CHECKIN_COLUMNS).where(CheckinRow.patient_id == patient_id).order_by(CheckinRow.day)
        if until is not None:
            query = query.where(CheckinRow.day <= until)
        with self._unit_of_work() as session:
            return [CheckIn(*row) for row in session.execute(query)]

    # -- plans ----------------------------------------------------------------------------------

    def save_plan(self, patient_id: int, day: date, phase_number: int, status: str, payload: dict) -> bool:
        """Store the day's plan (a second one that day replaces it); True if it is the first that day.

        The patient's phase follows the plan with the latest day, so back-filling an older day leaves it.
        """
        _require_plan(phase_number, status, payload)
        return self._on_conflict_retry(
            lambda: self._write_plan(patient_id, day, phase_number, status, payload)
        )

    def _write_plan(self, patient_id: int, day: date, phase_number: int, status: str, payload: dict) -> bool:
        with self._unit_of_work() as session:
            patient = _require_patient(session, patient_id)
            row = self._existing_plan(session, patient_id, day)
            created = row is None
            if row is None:
                row = PlanRow(patient_id=patient_id, day=day)
                session.add(row)
            row.phase_number, row.status, row.payload = phase_number, status, dict(payload)
            row.created_at = utcnow()
            latest = session.execute(select(func.max(PlanRow.day)).where(PlanRow.patient_id == patient_id))
            latest_day = latest.scalar_one()
            if latest_day is None or day >= latest_day:
                patient.phase_number = phase_number
            return created

    def _existing_plan(self, session: Session, patient_id: int, day: date) -> PlanRow | None:
        query = select(PlanRow).where(PlanRow.patient_id == patient_id, PlanRow.day == day)
        return session.execute(query).scalar_one_or_none()

    def latest_plan(self, patient_id: int) -> dict | None:
        """The payload of the patient's most recent plan, or None before the first."""
        query = (
            select(PlanRow.payload)
            .where(PlanRow.patient_id == patient_id)
            .order_by(PlanRow.day.desc())
            .limit(1)
        )
        with self._unit_of_work() as session:
            payload = session.execute(query).scalar_one_or_none()
            return None if payload is None else dict(payload)

    # -- outcome measures -------------------------------------------------------------------------

    def save_response(self, patient_id: int, response: Response) -> None:
        """Store a completed questionnaire; a second one of the same measure that day replaces it."""
        self._on_conflict_retry(lambda: self._write_response(patient_id, response))

    def _write_response(self, patient_id: int, response: Response) -> None:
        with self._unit_of_work() as session:
            _require_patient(session, patient_id)
            query = select(MeasureResponseRow).where(MeasureResponseRow.patient_id == patient_id,
                                                     MeasureResponseRow.measure == response.measure,
                                                     MeasureResponseRow.day == response.day)
            row = session.execute(query).scalar_one_or_none()
            if row is None:
                row = MeasureResponseRow(patient_id=patient_id, measure=response.measure, day=response.day)
                session.add(row)
            row.items, row.answers, row.score = list(response.items), list(response.answers), response.score

    def responses(self, patient_id: int) -> list[Response]:
        """The patient's completed questionnaires, oldest first."""
        query = (select(MeasureResponseRow).where(MeasureResponseRow.patient_id == patient_id)
                 .order_by(MeasureResponseRow.day, MeasureResponseRow.id))
        with self._unit_of_work() as session:
            return [response_of(row) for row in session.execute(query).scalars()]

    # -- escalations ----------------------------------------------------------------------------

    def save_escalation(
        self, patient_id: int, escalation: Escalation, message: str | None, at: datetime, notify: bool = False
    ) -> int:
        """Record an escalation for clinicians (with the message that raised it); returns its id. `notify`: with
        the clinic's notice of it, in the same transaction, for the scheduler to send (no network call here)."""
        if escalation.urgency not in URGENCIES:
            raise ValueError(f"urgency: {escalation.urgency!r} is not one of {', '.join(URGENCIES)}")
        _require_aware("at", at)
        with self._unit_of_work() as session:
            _require_patient(session, patient_id)
            row = EscalationRow(
                patient_id=patient_id,
                created_at=at,
                urgency=escalation.urgency,
                reasons=[str(reason) for reason in escalation.reasons],
                triggers=[str(trigger) for trigger in escalation.triggers],
                message=message,
            )
            session.add(row)
            session.flush()
            if notify:
                session.add(ClinicNotificationRow(patient_id=patient_id, escalation_id=row.id,
                                                  urgency=escalation.urgency, created_at=at, next_attempt_at=at))
            return int(row.id)

    def escalations(self, patient_id: int) -> list[EscalationRecord]:
        """The patient's escalations, oldest first."""
        query = (
            select(EscalationRow)
            .where(EscalationRow.patient_id == patient_id)
            .order_by(EscalationRow.created_at, EscalationRow.id)
        )
        with self._unit_of_work() as session:
            return [_escalation_record(row) for row in session.execute(query).scalars()]

    def escalation(self, escalation_id: int) -> EscalationRecord:
        """One escalation; UnknownRecord if there is none."""
        with self._unit_of_work() as session:
            row = session.get(EscalationRow, escalation_id)
            if row is None:
                raise UnknownRecord(f"no escalation with id {escalation_id}")
            return _escalation_record(row)

    def acknowledge(self, escalation_id: int, clinician: str, at: datetime) -> bool:
        """Record who acknowledged an escalation and when; False if someone already had (theirs is kept)."""
        _require_text("clinician", clinician)
        _require_aware("at", at)
        # One conditional UPDATE, so two clinicians acknowledging at once cannot overwrite each other.
        statement = (
            update(EscalationRow)
            .where(EscalationRow.id == escalation_id, EscalationRow.acknowledged_at.is_(None))
            .values(acknowledged_by=clinician, acknowledged_at=at)
            .execution_options(synchronize_session=False)
        )
        with self._unit_of_work() as session:
            if session.execute(statement).rowcount == 1:
                return True
            if session.get(EscalationRow, escalation_id) is None:
                raise UnknownRecord(f"no escalation with id {escalation_id}")
            return False

    # -- helpers --------------------------------------------------------------------------------

    def _on_conflict_retry(self, write: Callable[[], T]) -> T:
        """Run an upsert; if a concurrent writer inserted the same key first, run it again as an update."""
        try:
            return write()
        except IntegrityError:
            log.debug("unique-key race on upsert; retrying as an update")
            return write()


def _require_text(name: str, value: Any) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{name}: must be a non-empty string")


def _require_aware(name: str, value: Any) -> None:
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise ValueError(f"{name}: must be a timezone-aware datetime")


def _require_patient(session: Session, patient_id: int) -> PatientRow:
    row = session.get(PatientRow, patient_id)
    if row is None:
        raise UnknownRecord(f"no patient with id {patient_id}")
    return row


def _require_checkin(checkin: Any) -> None:
    """Refuse anything but a core CheckIn with valid values (one built without `validated` is re-checked)."""
    if not isinstance(checkin, CheckIn):
        raise TypeError(f"expected a CheckIn, got {type(checkin).__name__}")
    # today=day: storage cannot know the patient's today; the future-date check is the caller's.
    CheckIn.validated(checkin.day, checkin.day, **checkin.values())


def _profile_problems(side: str | None, sport: str | None, diagnosed: bool | None) -> list[str]:
    problems = []
    if side is not None and side not in SIDES:
        problems.append(f"side: {side!r} is not one of {', '.join(SIDES)}")
    if sport is not None and sport not in SPORTS:
        problems.append(f"sport: {sport!r} is not one of {', '.join(SPORTS)}")
    if diagnosed is not None and not isinstance(diagnosed, bool):
        problems.append(f"diagnosed: {diagnosed!r} is not true or false")
    return problems


def _require_plan(phase_number: int, status: str, payload: dict) -> None:
    problems = []
    if isinstance(phase_number, bool) or not isinstance(phase_number, int) or phase_number < 1:
        problems.append(f"phase_number: {phase_number!r} is not a whole number from 1")
    if status not in PHASE_STATUSES:
        problems.append(f"status: {status!r} is not one of {', '.join(PHASE_STATUSES)}")
    if not isinstance(payload, dict):
        problems.append(f"payload: expected a dict, got {type(payload).__name__}")
    else:
        try:
            json.dumps(payload)
        except (TypeError, ValueError) as error:
            problems.append(f"payload: not JSON-serialisable ({error})")
    if problems:
        raise ValueError("; ".join(problems))


def _patient_record(row: PatientRow) -> PatientRecord:
    profile = Patient(enrolled=row.enrolled_on, side=row.side, sport=row.sport, diagnosed=row.diagnosed)
    return PatientRecord(
        id=row.id,
        channel=row.channel,
        sender_id=row.sender_id,
        profile=profile,
        phase_number=row.phase_number,
        label=row.label,
        discharged_on=row.discharged_on,
        reminder_time=row.reminder_time,
        timezone=row.timezone,
        reminders_paused_until=row.reminders_paused_until,
        reminder_channel=row.reminder_channel,
    )


def response_of(row: MeasureResponseRow) -> Response:
    return Response(row.measure, row.day, tuple(row.items), tuple(row.answers), row.score)


def _escalation_record(row: EscalationRow) -> EscalationRecord:
    escalation = Escalation(urgency=row.urgency, reasons=tuple(row.reasons), triggers=tuple(row.triggers))
    return EscalationRecord(
        id=row.id,
        patient_id=row.patient_id,
        created_at=row.created_at,
        escalation=escalation,
        message=row.message,
        acknowledged_by=row.acknowledged_by,
        acknowledged_at=row.acknowledged_at,
    )
