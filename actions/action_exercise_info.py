"""action_exercise_info: how to do an exercise, with the patient's dose for today."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions import _render
from actions._base import AnswerAction
from actions._context import Turn, knowledge_ids
from rehab_coach import contract


class ActionExerciseInfo(AnswerAction):
    def name(self) -> str:
        return "action_exercise_info"

    def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker, now: Turn) -> list[EventType]:
        # The dose comes from today's plan: the phase, the dose level and any flare-up protection.
        plan = self.coach.plan_for_today(now.patient, now.today)
        todays = {p.exercise.id for p in plan.exercises}
        exercises = knowledge_ids(tracker, self.knowledge, "exercise")
        if not exercises:
            dispatcher.utter_message(text=_render.WHICH_EXERCISE)
            dispatcher.utter_message(text=_render.plan(plan, self.knowledge), json_message=contract.plan(plan))
            return []
        for exercise_id in exercises:
            exercise = self.knowledge.exercises[exercise_id]
            dose, in_session = plan.dose(exercise_id), exercise_id in todays
            dispatcher.utter_message(text=_render.exercise(exercise, dose, in_session),
                                     json_message=contract.exercise_info(exercise, dose, in_session))
        return []
