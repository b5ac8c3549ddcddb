"""action_finish_onboarding: saves side, sport and diagnosis; an undiagnosed patient is advised an assessment."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions._base import CoachAction, send_escalation


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
            dispatcher.utter_message(response="utter_onboarded_checkin_next")
        else:
            dispatcher.utter_message(response="utter_onboarded")
            send_escalation(dispatcher, advice, self.knowledge)
            dispatcher.utter_message(response="utter_checkin_meanwhile")
        return [SlotSet("onboarded", True)]
