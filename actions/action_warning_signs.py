"""action_warning_signs: "what should I watch out for?" The warning signs, as information."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import _render
from actions._base import AnswerAction
from actions._context import Turn
from rehab_coach.core import contract


class ActionWarningSigns(AnswerAction):
    def name(self) -> str:
        return "action_warning_signs"

    def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict,
               now: Turn) -> list[EventType]:
        signs = self.coach.warning_signs()
        dispatcher.utter_message(**_render.warning_signs(signs), json_message=contract.warning_signs(signs))
        return []
