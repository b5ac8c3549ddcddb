"""action_safety_decision: what the safety check's answers call for; then back to the interrupted form."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions._base import CoachAction, send_escalation
from actions._context import latest_text
from actions._safety import current_check
from rehab_coach.core.model import SERIOUS
from rehab_coach.core.safety import decide

RESET = ("safety_check", "safety_answers", "safety_answer", "resume_form")


class ActionSafetyDecision(CoachAction):
    def name(self) -> str:
        return "action_safety_decision"

    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        check, answers = current_check(tracker, self.knowledge)
        escalation = decide(check, answers, self.knowledge)
        events: list[EventType] = [SlotSet(name, None) for name in RESET] + [SlotSet("safety_asking", False)]
        if escalation is None:
            dispatcher.utter_message(response="utter_safety_clear")
        else:
            send_escalation(dispatcher, escalation, self.knowledge)
            self.record(tracker, escalation, latest_text(tracker))
        resume = tracker.get_slot("resume_form")
        if resume and (escalation is None or escalation.urgency not in SERIOUS):
            events.append(FollowupAction(resume))
        return events
