"""action_start_checkin: opens the daily check-in (asked for, or the reminder), saying if today's is done."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions._base import AnswerAction
from actions._checkin import STALE, stale_checkin
from actions._context import CHECKIN_SLOTS, Turn, active_loop
from rehab_coach.services.reminders import REMINDER_INTENT

START = "Let's do today's check-in."
RESUME = "Let's carry on with your check-in where we left off."
REMINDER = "Time for today's check-in: it only takes a minute."
AGAIN = "You've already checked in today; your new answers will replace today's."
FINISH_SETUP = "Let's finish setting up first; the check-in comes straight after."
CARRY_ON = "We're in the middle of your check-in; let's carry on."


class ActionStartCheckin(AnswerAction):
    def name(self) -> str:
        return "action_start_checkin"

    def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker, now: Turn) -> list[EventType]:
        loop = active_loop(tracker)
        if loop:  # asked again mid-form: the form repeats its question next
            dispatcher.utter_message(text=FINISH_SETUP if loop == "onboarding_form" else CARRY_ON)
            return []
        dropped = stale_checkin(tracker, now.today)  # answers from another day are never today's
        if dropped:
            dispatcher.utter_message(text=STALE.format(day=tracker.get_slot("checkin_day")))
        elif any(tracker.get_slot(name) is not None for name in CHECKIN_SLOTS):  # paused today: the form resumes
            dispatcher.utter_message(text=RESUME)
            return []
        if self.checked_in_today(now):
            dispatcher.utter_message(text=AGAIN)
        elif not dropped:
            dispatcher.utter_message(text=REMINDER if now.intent == REMINDER_INTENT else START)
        return dropped
