"""The app's tables (SQLAlchemy 1.4 declarative ORM, 2.0 style); the migrations must create exactly these."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import declarative_base
from sqlalchemy.types import TypeDecorator

from rehab_coach.core.model import (
    ADHERENCE,
    DAY_CLASSES,
    MECHANICAL,
    PAIN_FIELDS,
    PAIN_RANGE,
    PHASE_STATUSES,
    REMINDER_KINDS,
    SERIOUS,
    SIDES,
    SPORTS,
    SWELLING,
    URGENCIES,
)

# Deterministic constraint names, so migrations can refer to (and later alter) them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)
Base: Any = declarative_base(metadata=metadata)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """A timestamp that must be timezone-aware going in and always comes back as aware UTC.

    SQLite keeps no offset and PostgreSQL answers in the session's time zone; normalising both to UTC
    means the same code compares and orders times identically on either backend.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("timestamps must be timezone-aware (a naive time is ambiguous)")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:  # SQLite: stored as UTC without an offset
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def one_of(column: str, values: Iterable[str]) -> str:
    """SQL for a CHECK that `column` holds one of `values` (NULL passes, as SQL CHECKs do)."""
    quoted = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({quoted})"


def pain_in_range(column: str) -> str:
    low, high = PAIN_RANGE
    return f"{column} BETWEEN {low} AND {high}"


class PatientRow(Base):
    __tablename__ = "patients"
    __table_args__ = (
        UniqueConstraint("channel", "sender_id"),
        CheckConstraint(one_of("side", SIDES), name="side"),
        CheckConstraint(one_of("sport", SPORTS), name="sport"),
        CheckConstraint("phase_number >= 1", name="phase_number"),
    )

    id = Column(Integer, primary_key=True)
    channel = Column(String(32), nullable=False)
    sender_id = Column(String(255), nullable=False)
    label = Column(String(64))  # the clinic's own reference (initials, a record number); never shown to others
    enrolled_on = Column(Date, nullable=False)
    side = Column(String(8))
    sport = Column(String(16))
    diagnosed = Column(Boolean)
    phase_number = Column(Integer, nullable=False, default=1, server_default=text("1"))
    discharged_on = Column(Date)  # None while in the programme
    transcript_erased_on = Column(Date)  # the retention rule erased the conversation (settings)
    reminder_time = Column(String(5))  # "HH:MM" in the patient's time zone; None: the clinic's default
    timezone = Column(String(64))  # IANA name; None: the clinic's
    reminders_paused_until = Column(Date)  # no reminders up to and including this day (date.max: stopped)
    reminder_channel = Column(String(32))  # the channel reminders go by (Rasa's name); None: where they last wrote
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)


class ChannelAddressRow(Base):
    """Where a patient talks to the coach outside the web chat: a Telegram chat id, a phone number. Their
    conversation stays one: the channel hands Rasa the patient's conversation id (patients.sender_id)."""

    __tablename__ = "channel_addresses"
    __table_args__ = (UniqueConstraint("channel", "address"),)

    id = Column(Integer, primary_key=True)
    patient_id = Column(Integer, ForeignKey("patients.id", ondelete="CASCADE"), nullable=False, index=True)
    channel = Column(String(32), nullable=False)
    address = Column(String(255), nullable=False)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)


class UsedCodeRow(Base):
    """A binding code that has bound an address: it works once (its signature: unique to the code)."""

    __tablename__ = "used_codes"

    signature = Column(String(32), primary_key=True)
    patient_id = Column(Integer, ForeignKey("patients.id", ondelete="CASCADE"), nullable=False, index=True)
    used_at = Column(UTCDateTime, nullable=False, default=utcnow)


class ReminderSendRow(Base):
    """One patient-day's reminder. Inserting the row claims it; a retry is claimed by compare-and-set on
    `attempts`, so two schedulers never send the same patient-day twice."""

    __tablename__ = "reminder_sends"
    __table_args__ = (
        UniqueConstraint("patient_id", "day"),
        CheckConstraint(one_of("kind", REMINDER_KINDS), name="kind"),
    )

    id = Column(Integer, primary_key=True)
    patient_id = Column(Integer, ForeignKey("patients.id", ondelete="CASCADE"), nullable=False)
    day = Column(Date, nullable=False)  # the patient's local date
    kind = Column(String(8), nullable=False)
    attempts = Column(Integer, nullable=False)
    next_attempt_at = Column(UTCDateTime)  # a retry is due from then (None: sent, or given up for the day)
    sent_at = Column(UTCDateTime)
    error = Column(String(100))  # the last failure's kind, e.g. "HTTPError 502"; never personal data
    alerted = Column(Boolean, nullable=False, default=False)  # this claim also raised the clinic's silence alert


class CheckinRow(Base):
    __tablename__ = "checkins"
    __table_args__ = (
        UniqueConstraint("patient_id", "day"),
        *(CheckConstraint(pain_in_range(name), name=name) for name in PAIN_FIELDS),
        CheckConstraint(one_of("swelling", SWELLING), name="swelling"),
        CheckConstraint(one_of("mechanical", MECHANICAL), name="mechanical"),
        CheckConstraint(one_of("adherence", ADHERENCE), name="adherence"),
        CheckConstraint(one_of("day_class", DAY_CLASSES), name="day_class"),
    )

    id = Column(Integer, primary_key=True)
    # CASCADE so erasing a patient (a data-protection request) erases everything recorded about them.
    patient_id = Column(Integer, ForeignKey("patients.id", ondelete="CASCADE"), nullable=False)
    day = Column(Date, nullable=False)
    pain_rest = Column(Integer, nullable=False)
    pain_exercise = Column(Integer, nullable=False)
    pain_morning = Column(Integer, nullable=False)
    swelling = Column(String(16), nullable=False)
    mechanical = Column(String(16), nullable=False)
    adherence = Column(String(8), nullable=False)
    day_class = Column(String(8))
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)


class PlanRow(Base):
    __tablename__ = "plans"
    __table_args__ = (
        UniqueConstraint("patient_id", "day"),
        CheckConstraint(one_of("status", PHASE_STATUSES), name="status"),
        CheckConstraint("phase_number >= 1", name="phase_number"),
    )

    id = Column(Integer, primary_key=True)
    patient_id = Column(Integer, ForeignKey("patients.id", ondelete="CASCADE"), nullable=False)
    day = Column(Date, nullable=False)
    phase_number = Column(Integer, nullable=False)
    status = Column(String(8), nullable=False)
    payload = Column(JSON, nullable=False)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)


class MeasureResponseRow(Base):
    """A completed outcome questionnaire (knowledge/outcome_measures.yml): its items (PSFS: the patient's own
    activities), the answers in their order (a rating, "n/a", or null: skipped) and the score they give."""

    __tablename__ = "measure_responses"
    __table_args__ = (UniqueConstraint("patient_id", "measure", "day"),)

    id = Column(Integer, primary_key=True)
    patient_id = Column(Integer, ForeignKey("patients.id", ondelete="CASCADE"), nullable=False)
    measure = Column(String(32), nullable=False)
    day = Column(Date, nullable=False)
    items = Column(JSON, nullable=False)
    answers = Column(JSON, nullable=False)
    score = Column(Float)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)


class EscalationRow(Base):
    __tablename__ = "escalations"
    __table_args__ = (CheckConstraint(one_of("urgency", URGENCIES), name="urgency"),)

    id = Column(Integer, primary_key=True)
    # Indexed: a clinician opens one patient's escalations; the other tables' unique keys already serve.
    patient_id = Column(Integer, ForeignKey("patients.id", ondelete="CASCADE"), nullable=False, index=True)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    urgency = Column(String(16), nullable=False)
    reasons = Column(JSON, nullable=False)
    triggers = Column(JSON, nullable=False)
    message = Column(Text)
    acknowledged_by = Column(String(255))
    acknowledged_at = Column(UTCDateTime)


class ClinicNotificationRow(Base):
    """The clinic's notice of an emergency or urgent escalation: written with the escalation (an outbox), sent by the
    scheduler. A claim is a compare-and-set on `attempts`, so two schedulers never send one twice."""

    __tablename__ = "clinic_notifications"
    __table_args__ = (CheckConstraint(one_of("urgency", SERIOUS), name="urgency"),)

    id = Column(Integer, primary_key=True)
    patient_id = Column(Integer, ForeignKey("patients.id", ondelete="CASCADE"), nullable=False, index=True)
    escalation_id = Column(Integer, ForeignKey("escalations.id", ondelete="CASCADE"), nullable=False, unique=True)
    urgency = Column(String(16), nullable=False)
    created_at = Column(UTCDateTime, nullable=False)
    attempts = Column(Integer, nullable=False, default=0, server_default=text("0"))
    # An attempt is due from then, which is also when the claim of the one before lapses (None: delivered, or
    # given up after the last retry). Indexed: each scheduler round looks for the due ones.
    next_attempt_at = Column(UTCDateTime, index=True)
    delivered_by = Column(JSON, nullable=False, default=list)  # the channels that took it ("slack", "email")
    delivered_at = Column(UTCDateTime)  # every channel took it
    last_error = Column(String(100))  # the last failure's kind, e.g. "slack: HTTP 500"; never personal data


class ClinicianRow(Base):
    __tablename__ = "clinicians"

    id = Column(Integer, primary_key=True)
    username = Column(String(64), nullable=False, unique=True)
    password_hash = Column(String(255), nullable=False)
    failed_logins = Column(Integer, nullable=False, default=0, server_default=text("0"))  # since the last success
    locked_until = Column(UTCDateTime)  # too many failed logins: refused until then
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)


class ClinicianSessionRow(Base):
    """A logged-in browser: the cookie holds a random token, the table only its SHA-256."""

    __tablename__ = "clinician_sessions"

    id = Column(Integer, primary_key=True)
    token_hash = Column(String(64), nullable=False, unique=True)
    clinician_id = Column(Integer, ForeignKey("clinicians.id", ondelete="CASCADE"), nullable=False)
    csrf_token = Column(String(64), nullable=False)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    expires_at = Column(UTCDateTime, nullable=False)


class AuditRow(Base):
    """Who viewed or exported what, and when. Kept when a patient is erased (the id stays as a number)."""

    __tablename__ = "audit_log"

    id = Column(Integer, primary_key=True)
    at = Column(UTCDateTime, nullable=False, default=utcnow, index=True)
    clinician_id = Column(Integer, ForeignKey("clinicians.id"), nullable=False)
    action = Column(String(32), nullable=False)
    patient_id = Column(Integer)
    detail = Column(Text)


__all__ = [
    "DAY_CLASSES",
    "PHASE_STATUSES",
    "SIDES",
    "SPORTS",
    "AuditRow",
    "ChannelAddressRow",
    "Base",
    "ClinicNotificationRow",
    "CheckinRow",
    "ClinicianRow",
    "ClinicianSessionRow",
    "EscalationRow",
    "PatientRow",
    "PlanRow",
    "ReminderSendRow",
    "metadata",
]
