"""The outcome questionnaire in progress (PSFS, or a licensed one the clinic supplied), as the `questionnaire` slot
holds it: the measure, its items (None while PSFS's activities are still to be named) and the answers so far. A
paused questionnaire keeps its answers there and carries on where it stopped."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from rehab_coach.core import contract
from rehab_coach.core.model import Knowledge
from rehab_coach.core.outcomes import Answer
from rehab_coach.services.coach import DueMeasure

STATE = "questionnaire"
OFFERED = "questionnaire_offered"  # True from the check-in's offer until the patient answers it
ANSWER = "questionnaire_answer"  # the form's one slot: filled once every item has its answer
DONE = "answered"


@dataclass(frozen=True)
class InProgress:
    measure: str
    items: list[str] | None  # None: PSFS's activities are asked first
    answers: list[Answer]

    @classmethod
    def of(cls, tracker: Tracker) -> InProgress | None:
        state = tracker.get_slot(STATE)
        return cls(**state) if isinstance(state, dict) else None

    @classmethod
    def start(cls, due: DueMeasure) -> InProgress:
        return cls(due.measure.id, list(due.items) or None, [])

    def slot(self) -> dict:
        return asdict(self)

    def answered(self, answer: Answer) -> InProgress:
        return replace(self, answers=[*self.answers, answer])

    @property
    def finished(self) -> bool:
        return self.items is not None and len(self.answers) >= len(self.items)

    def question(self, knowledge: Knowledge) -> dict:
        """The contract question for the next item."""
        assert self.items is not None and not self.finished
        measure = knowledge.measures[self.measure]
        number = len(self.answers) + 1
        return contract.item_question(measure, number, self.items[number - 1], knowledge.questionnaires.get(measure.id))

    def choice(self, knowledge: Knowledge, text: str) -> bool:
        """The message is one of the next item's choices or their words, as its button sends it."""
        return self.items is not None and not self.finished and contract.chosen(self.question(knowledge), text)


def ask(dispatcher: CollectingDispatcher, knowledge: Knowledge, state: InProgress) -> None:
    """The questionnaire's next question: PSFS's activities, or the next item."""
    measure = knowledge.measures[state.measure]
    if state.items is None:
        dispatcher.utter_message(response="utter_psfs_activities_question", most=measure.items,
                                 json_message=contract.activities_question(measure))
        return
    number = len(state.answers) + 1
    item = state.items[number - 1]
    text = knowledge.questionnaires.get(measure.id)
    payload = state.question(knowledge)
    if text is None:
        dispatcher.utter_message(response="utter_psfs_rating_question", activity=item, number=number,
                                 count=len(state.items), json_message=payload)
    else:
        choices = "; ".join(f"{label} ({rating})"
                            for rating, label in zip(payload["choices"], payload["labels"], strict=True))
        dispatcher.utter_message(response="utter_measure_item_question", stem=text.stem, item=item, number=number,
                                 count=len(state.items), choices=choices, json_message=payload)
