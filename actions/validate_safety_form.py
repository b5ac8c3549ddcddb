"""validate_safety_form: reads the yes/no answer to the safety question just asked."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions import _deps
from actions._context import latest_intent, latest_text
from actions._safety import current_check
from rehab_coach.core.intents import SERIOUS_INTENTS
from rehab_coach.core.safety import next_question
from rehab_coach.services import clinician_messages

DONE = "answered"


class ValidateSafetyForm(FormValidationAction):
    def name(self) -> str:
        return "validate_safety_form"

    async def get_extraction_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        # An emergency or urgent red flag said now, stop, or a clinician's message is answered by the rules: the form
        # gives way to them (and for the message asks its question again).
        if tracker.get_slot("requested_slot") != "safety_answer" or latest_intent(tracker) in (
                *SERIOUS_INTENTS.values(), "stop", clinician_messages.INTENT):
            return []
        check, answers = current_check(tracker, _deps.knowledge())
        question = next_question(check, answers)
        answer = _deps.answers().yes_no(latest_text(tracker))
        if question is None or answer is None:
            dispatcher.utter_message(response="utter_reask_safety")
            return [SlotSet("safety_answer", None)]
        answers[question] = answer
        finished = next_question(check, answers) is None
        return [SlotSet("safety_answers", answers), SlotSet("safety_answer", DONE if finished else None)]

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        return [SlotSet(name, value) for name, value in tracker.slots_to_validate().items()]
