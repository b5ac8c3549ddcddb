"""action_change_reminders: "remind me at 7pm", "stop reminders", "pause for a week", "when's my reminder?"."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions._base import AnswerAction, as_it_stands, send_setting
from actions._context import Turn


class ActionChangeReminders(AnswerAction):
    def name(self) -> str:
        return "action_change_reminders"

    def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict,
               now: Turn) -> list[EventType]:
        change = self.coach.change_reminders(now.patient, now.text, now.today)
        request, setting = change.request, change.setting
        if request is not None and request.unclear:
            dispatcher.utter_message(response="utter_reminder_which_half", clock=request.unclear)
        elif request is not None and request.action == "set" and not (request.time or request.zone):
            dispatcher.utter_message(response="utter_reminder_what_time")
        elif request is not None and request.action == "pause" and request.days is None:
            dispatcher.utter_message(response="utter_reminder_how_long")
        elif request is not None and request.action in ("set", "resume"):
            send_setting(dispatcher, "utter_reminder_set", setting)
        elif request is not None and request.action == "stop":
            send_setting(dispatcher, "utter_reminder_stopped", setting)
        elif request is not None and request.action == "pause":
            send_setting(dispatcher, "utter_reminder_paused", setting)
        else:  # asked, or a request the reader could not make out: how it stands, and how to change it
            send_setting(dispatcher, as_it_stands(setting), setting)
            if request is None:
                dispatcher.utter_message(response="utter_reminder_how")
        return []
