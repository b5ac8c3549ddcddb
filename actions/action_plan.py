"""action_plan: today's plan, at any time (before today's check-in it follows the latest one); on
"show all my exercises", the whole phase and everything to avoid."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import _render
from actions._base import AnswerAction
from actions._context import Turn
from rehab_coach.core import contract

SHOW_ALL_INTENT = "ask_all_exercises"


class ActionPlan(AnswerAction):
    def name(self) -> str:
        return "action_plan"

    def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict,
               now: Turn) -> list[EventType]:
        plan = self.coach.plan_for_today(now.patient, now.today)
        if now.intent == SHOW_ALL_INTENT:
            dispatcher.utter_message(**_render.full_plan(plan, self.knowledge, domain),
                                     json_message=contract.plan(plan, show_all=True))
        else:
            dispatcher.utter_message(**_render.plan(plan, self.knowledge, domain), json_message=contract.plan(plan))
        if plan.day_class is None:  # the plan carries a day class only once today's check-in is in
            dispatcher.utter_message(response="utter_plan_not_checked_in")
        return []
