"""action_ask_safety_answer: the safety form's next question (its wording: the domain's utter_safety_*)."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import _deps
from actions._safety import current_check
from rehab_coach.core.safety import next_question


class ActionAskSafetyAnswer(Action):
    def name(self) -> str:
        return "action_ask_safety_answer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        check, answers = current_check(tracker, _deps.knowledge())
        question = next_question(check, answers)
        if question is not None:
            dispatcher.utter_message(response=f"utter_safety_{question}")
        return []
