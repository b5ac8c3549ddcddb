"""action_start_checkin: opens the daily check-in (asked for, or the reminder), saying if today's is done."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions._base import AnswerAction
from actions._checkin import stale_checkin
from actions._context import CHECKIN_SLOTS, Turn, active_loop, entity_values
from rehab_coach.services.reminders import REMINDER_INTENT, REMINDER_KIND

# "check in" said during a form other than the check-in's own
MID_FORM = {"onboarding_form": "utter_checkin_after_setup", "questionnaire_form": "utter_checkin_in_questionnaire"}


class ActionStartCheckin(AnswerAction):
    def name(self) -> str:
        return "action_start_checkin"

    def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict,
               now: Turn) -> list[EventType]:
        loop = active_loop(tracker)
        if loop:  # asked again mid-form: the form repeats its question next
            dispatcher.utter_message(response=MID_FORM.get(loop, "utter_checkin_carry_on"))
            return []
        dropped = stale_checkin(tracker, now.today)  # answers from another day are never today's
        if dropped:
            dispatcher.utter_message(response="utter_checkin_stale", day=tracker.get_slot("checkin_day"))
        elif any(tracker.get_slot(name) is not None for name in CHECKIN_SLOTS):  # paused today: the form resumes
            dispatcher.utter_message(response="utter_checkin_resume")
            return []
        if self.checked_in_today(now):
            dispatcher.utter_message(response="utter_checkin_again")
        elif not dropped:
            dispatcher.utter_message(response=_opening(tracker, now))
        return dropped


def _opening(tracker: Tracker, now: Turn) -> str:
    """Asked for, the daily reminder, or the gentler one for a patient who has gone quiet (the scheduler says)."""
    if now.intent != REMINDER_INTENT:
        return "utter_checkin_start"
    return "utter_checkin_gentle" if entity_values(tracker, REMINDER_KIND) == ["gentle"] else "utter_checkin_reminder"
