"""action_greet: a short welcome for a patient who has finished onboarding (the check-in follows by rule)."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions._base import AnswerAction
from actions._checkin import STALE, stale_checkin
from actions._context import Turn, active_loop

WELCOME = "Welcome back! Let's do today's check-in."
WELCOME_AGAIN = "Welcome back! You've already checked in today; answer again to update it, or say stop."
CARRY_ON = "Hi again! Let's carry on where we were."


class ActionGreet(AnswerAction):
    def name(self) -> str:
        return "action_greet"

    def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker, now: Turn) -> list[EventType]:
        if active_loop(tracker):  # greeted in the middle of a form: the form asks its question again
            dispatcher.utter_message(text=CARRY_ON)
            return []
        dropped = stale_checkin(tracker, now.today)  # answers from another day are never today's
        dispatcher.utter_message(text=WELCOME_AGAIN if self.checked_in_today(now) else WELCOME)
        if dropped:
            dispatcher.utter_message(text=STALE.format(day=tracker.get_slot("checkin_day")))
        return dropped
