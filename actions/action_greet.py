"""action_greet: a short welcome for a patient who has finished onboarding (the check-in follows by rule)."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions._base import AnswerAction
from actions._checkin import stale_checkin
from actions._context import Turn, active_loop


class ActionGreet(AnswerAction):
    def name(self) -> str:
        return "action_greet"

    def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict,
               now: Turn) -> list[EventType]:
        if active_loop(tracker):  # greeted in the middle of a form: the form asks its question again
            dispatcher.utter_message(response="utter_greet_mid_form")
            return []
        dropped = stale_checkin(tracker, now.today)  # answers from another day are never today's
        dispatcher.utter_message(response="utter_greet_checked_in" if self.checked_in_today(now)
                                 else "utter_greet_checkin")
        if dropped:
            dispatcher.utter_message(response="utter_checkin_stale", day=tracker.get_slot("checkin_day"))
        return dropped
