"""The forms' shared validation: every answer in a message fills its slot; unreadable ones are asked again."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import REQUESTED_SLOT, FormValidationAction
from rasa_sdk.types import DomainDict

from actions._context import latest_intent, latest_text
from rehab_coach.answers import Answers, read_answers

# Messages read as answers. Any other intent (red_flag, stop, help, ask_*, greet, goodbye, thanks ...)
# is a digression: nothing is extracted, the form rejects, and the rules handle it.
ANSWER_INTENTS = frozenset({"inform", "affirm", "deny", "out_of_scope", "nlu_fallback"})
NOT_UNDERSTOOD = "Sorry, I didn't catch that."

Reader = Callable[[str, str | None], Answers]


class AnswerFormValidation(FormValidationAction, ABC):
    """Custom extraction for a form whose slots all use `type: custom` mappings."""

    def __init__(self, read: Reader = read_answers) -> None:
        self._read = read

    @abstractmethod
    def name(self) -> str: ...

    async def get_extraction_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        fields = self.domain_slots(domain)
        requested = tracker.get_slot(REQUESTED_SLOT)
        # Only a reply to this form's own question is read: not the message that started the form, nor
        # the last answer of another form that handed over to this one.
        if latest_intent(tracker) not in ANSWER_INTENTS or requested not in fields:
            return []
        answers = self._read(latest_text(tracker), requested)
        values: dict[str, object | None] = {f: v for f, v in answers.values.items() if f in fields}
        if requested not in values:
            problem = answers.problems.get(requested)
            if problem or not values:
                dispatcher.utter_message(text=problem or NOT_UNDERSTOOD)
            values[requested] = None  # a slot event, so the form asks the same question again
        return [SlotSet(field, value) for field, value in values.items()]

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """read_answers has already checked every value: pass this form's extracted slots through."""
        fields = set(self.domain_slots(domain))
        return [SlotSet(name, value) for name, value in tracker.slots_to_validate().items() if name in fields]
