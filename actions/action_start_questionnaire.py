"""action_start_questionnaire: the patient's yes or no to the questionnaire the check-in offered."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions._context import latest_intent
from actions._questionnaire import OFFERED


class ActionStartQuestionnaire(Action):
    def name(self) -> str:
        return "action_start_questionnaire"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        accepted = latest_intent(tracker) == "affirm"
        dispatcher.utter_message(response="utter_questionnaire_how" if accepted else "utter_questionnaire_later")
        return [SlotSet(OFFERED, False)]
