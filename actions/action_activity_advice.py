"""action_activity_advice: "can I run / dance / jump?" for each activity the message names."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions import _render
from actions._base import AnswerAction
from actions._context import Turn, knowledge_ids
from rehab_coach import contract

EXAMPLES = ("running", "jumping", "dance_class", "football_training", "cycling", "swimming", "walking")


class ActionActivityAdvice(AnswerAction):
    def name(self) -> str:
        return "action_activity_advice"

    def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker, now: Turn) -> list[EventType]:
        activities = knowledge_ids(tracker, self.knowledge, "activity")
        if not activities:
            examples = _render.activity_names([a for a in EXAMPLES if a in self.knowledge.activities], self.knowledge)
            dispatcher.utter_message(text=f"Which activity do you mean? For example: {', '.join(examples)}.")
            return []
        for activity in activities:
            advice = self.coach.advise_activity(now.patient, activity, now.today)
            dispatcher.utter_message(text=_render.advice(advice), json_message=contract.activity_advice(advice))
        return []
