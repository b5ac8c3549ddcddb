"""action_exercise_info: how to do the exercise a patient means, with their dose for today; or which one?"""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions._base import EXERCISE_CANDIDATES, AnswerAction, send_exercise
from actions._context import Turn


class ActionExerciseInfo(AnswerAction):
    def name(self) -> str:
        return "action_exercise_info"

    def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict,
               now: Turn) -> list[EventType]:
        offered = tracker.get_slot(EXERCISE_CANDIDATES) or ()  # the choices of a "which one?" just asked
        answer = self.coach.explain_exercise(now.patient, now.text, now.today, offered)
        return send_exercise(dispatcher, domain, answer, offered)
