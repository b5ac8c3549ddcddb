"""action_ask_questionnaire_answer: the questionnaire form's next question (PSFS's activities, or the next item)."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import _deps
from actions._questionnaire import InProgress, ask


class ActionAskQuestionnaireAnswer(Action):
    def name(self) -> str:
        return "action_ask_questionnaire_answer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        state = InProgress.of(tracker)
        if state is not None and not state.finished:
            ask(dispatcher, _deps.knowledge(), state)
        return []
