"""action_finish_onboarding: saves side, sport and diagnosis; an undiagnosed patient is advised an assessment."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions._base import CoachAction, send_escalation

SAVED = "Thanks, you're all set up."
NEXT = "Now, today's check-in."
MEANWHILE = "Meanwhile, let's start with today's check-in."


def _text(tracker: Tracker, slot: str) -> str | None:
    value = tracker.get_slot(slot)
    return str(value) if value is not None else None


class ActionFinishOnboarding(CoachAction):
    def name(self) -> str:
        return "action_finish_onboarding"

    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        now = self.turn(tracker)
        diagnosed = _text(tracker, "diagnosed")
        advice = self.coach.onboard(now.patient, _text(tracker, "side"), _text(tracker, "sport"),
                                    None if diagnosed not in ("yes", "no") else diagnosed == "yes", now.now)
        if advice is None:
            dispatcher.utter_message(text=f"{SAVED} {NEXT}")
        else:
            dispatcher.utter_message(text=SAVED)
            send_escalation(dispatcher, advice, self.knowledge)
            dispatcher.utter_message(text=MEANWHILE)
        return [SlotSet("onboarded", True)]
