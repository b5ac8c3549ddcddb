"""action_finish_onboarding: saves side, sport and diagnosis; advises an assessment when undiagnosed."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions._base import CoachAction, response_escalation
from rehab_coach import contract

SAVED = "Thanks, you're all set up."
NEXT = " Now, today's check-in."
# Wording and payload live in the domain; the Coach's triage has no rule for an undiagnosed patient.
ASSESSMENT_ADVISED = "utter_assessment_advised"


def _text(tracker: Tracker, slot: str) -> str | None:
    value = tracker.get_slot(slot)
    return str(value) if value is not None else None


class ActionFinishOnboarding(CoachAction):
    def name(self) -> str:
        return "action_finish_onboarding"

    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        now = self.turn(tracker)
        diagnosed = _text(tracker, "diagnosed")
        self.coach.store.update_profile(
            now.patient.id,
            side=_text(tracker, "side"),
            sport=_text(tracker, "sport"),
            diagnosed=None if diagnosed not in ("yes", "no") else diagnosed == "yes",
        )
        if diagnosed != "no":
            dispatcher.utter_message(text=SAVED + NEXT)
        else:  # the advice's own wording leads into the check-in
            dispatcher.utter_message(text=SAVED)
            text, escalation = response_escalation(domain, ASSESSMENT_ADVISED)
            self.coach.escalate(now.patient, escalation, None, now.now)
            dispatcher.utter_message(text=text, json_message=contract.escalation(escalation))
        return [SlotSet("onboarded", True)]
