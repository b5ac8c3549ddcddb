"""Who is talking, what they said and when: read from the tracker, the same way by every action."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from rasa_sdk import Tracker

from rehab_coach.adapters.clock import Clock, current_time, local_now
from rehab_coach.core.model import PAIN_FIELDS
from rehab_coach.core.schedule import time_zone
from rehab_coach.services.coach import Coach, PatientRecord

DEFAULT_CHANNEL = "rest"
SESSION_START_METADATA_SLOT = "session_started_metadata"
DEVICE_ZONE = "timezone"  # metadata: the IANA time zone the patient's device reports (the web chat's browser)
CHECKIN_SLOTS = (*PAIN_FIELDS, "swelling", "mechanical", "adherence")


def channel(tracker: Tracker) -> str:
    """The input channel of the latest message; messages without one (tests, the HTTP API) count as REST."""
    return tracker.get_latest_input_channel() or DEFAULT_CHANNEL


def latest_text(tracker: Tracker) -> str:
    return str(tracker.latest_message.get("text") or "")


def latest_intent(tracker: Tracker) -> str | None:
    """The intent NLU gave the latest message, `nlu_fallback` included (unlike Tracker's own helper)."""
    intent = tracker.latest_message.get("intent") or {}
    name = intent.get("name") if isinstance(intent, Mapping) else None
    return str(name) if name else None


def active_loop(tracker: Tracker) -> str | None:
    """The form running now, if any."""
    return (tracker.active_loop or {}).get("name") or None


def entity_values(tracker: Tracker, label: str) -> list[str]:
    """The matched texts of the latest message's entities with this label, in order, without repeats."""
    values = [str(e.get("value")) for e in tracker.latest_message.get("entities") or []
              if e.get("entity") == label and e.get("value")]
    return list(dict.fromkeys(values))


@dataclass(frozen=True)
class Turn:
    """One user turn as the Coach sees it: the patient, the time, and what they said."""

    patient: PatientRecord
    now: datetime
    text: str
    intent: str | None

    @property
    def today(self) -> date:
        return self.now.date()


def turn(tracker: Tracker, coach: Coach, clock: Clock = local_now) -> Turn:
    """The patient behind this conversation (enrolled today if new, given their device's time zone if they have
    none) and the current time: in their time zone when they have one, so that a check-in counts for the day the
    reminder scheduler reckons theirs."""
    metadata = tracker.latest_message.get("metadata") or {}
    now = current_time(metadata, clock)
    zone = metadata.get(DEVICE_ZONE)
    patient = coach.patient(channel(tracker), tracker.sender_id, now.date(), zone if isinstance(zone, str) else None)
    if patient.timezone:
        now = now.astimezone(time_zone(patient.timezone))
    return Turn(patient, now, latest_text(tracker), latest_intent(tracker))
