"""action_session_start: Rasa's session start, plus the patient's onboarding answers from the database."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import REQUESTED_SLOT
from rasa_sdk.types import DomainDict

from actions._base import CoachAction, where
from actions._context import CHECKIN_SLOTS, SESSION_START_METADATA_SLOT
from rehab_coach.adapters.clock import current_time
from rehab_coach.core.model import Patient

log = logging.getLogger(__name__)

# A new session is a new day's check-in: half-given answers from the last session are not carried over.
NOT_CARRIED = {*CHECKIN_SLOTS, REQUESTED_SLOT}


def profile_slots(profile: Patient) -> dict[str, Any]:
    """The onboarding slots as the domain spells them; `onboarded` once side, sport and diagnosis are known."""
    diagnosed = None if profile.diagnosed is None else ("yes" if profile.diagnosed else "no")
    slots: dict[str, Any] = {"side": profile.side, "sport": profile.sport, "diagnosed": diagnosed}
    slots["onboarded"] = all(value is not None for value in slots.values())
    return slots


class ActionSessionStart(CoachAction):
    def name(self) -> str:
        return "action_session_start"

    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        slots = self._carried_over(tracker, domain)
        slots.update(self._from_database(tracker))
        return [SessionStarted(), *(SlotSet(k, v) for k, v in slots.items()), ActionExecuted("action_listen")]

    @staticmethod
    def _carried_over(tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        if not domain.get("session_config", {}).get("carry_over_slots_to_new_session", True):
            return {}
        return {k: v for k, v in tracker.slots.items() if v is not None and k not in NOT_CARRIED}

    def _from_database(self, tracker: Tracker) -> dict[str, Any]:
        # The new message is not in the tracker yet: its channel is known only from an earlier session.
        # A brand-new conversation has nobody to look up, and enrolling under a guessed channel would
        # create a stray patient record, so the first action of the conversation enrols them instead.
        channel = tracker.get_latest_input_channel()
        if channel is None:
            return {}
        try:
            now = current_time(tracker.get_slot(SESSION_START_METADATA_SLOT), self._clock)
            patient = self.coach.patient(channel, tracker.sender_id, now.date())
        except Exception as error:  # the session must start even when the database is away
            log.error("session start without the patient's profile: %s at %s", type(error).__name__, where(error))
            return {}
        return profile_slots(patient.profile)
