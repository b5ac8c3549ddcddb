"""action_activity_advice: "can I run / dance / jump?" for each activity the message asks about."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import _render
from actions._base import EXERCISE_CANDIDATES, AnswerAction, send_exercise
from actions._context import Turn
from rehab_coach.core import contract


class ActionActivityAdvice(AnswerAction):
    def name(self) -> str:
        return "action_activity_advice"

    def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict,
               now: Turn) -> list[EventType]:
        answer = self.coach.advise_on(now.patient, now.text, now.today)
        for advice in answer.advice:
            dispatcher.utter_message(**_render.advice(advice), json_message=contract.activity_advice(advice))
        if answer.exercise is not None:
            return send_exercise(dispatcher, domain, answer.exercise, tracker.get_slot(EXERCISE_CANDIDATES) or ())
        if answer.uncovered or not answer.advice:
            offer = (contract.choice("activity", [(a.id, a.name) for a in answer.closest])
                     if len(answer.closest) > 1 and not answer.advice else None)  # a choice needs two
            dispatcher.utter_message(**_render.no_advice(answer.uncovered, answer.closest, bool(answer.advice), domain),
                                     json_message=offer)
        return []
