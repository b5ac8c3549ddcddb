"""action_finish_onboarding: saves side, sport and diagnosis; an undiagnosed patient is advised an assessment; the
daily reminder's time is offered for changing."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions._base import CoachAction, as_it_stands, send_escalation, send_setting


def _text(tracker: Tracker, slot: str) -> str | None:
    value = tracker.get_slot(slot)
    return str(value) if value is not None else None


class ActionFinishOnboarding(CoachAction):
    def name(self) -> str:
        return "action_finish_onboarding"

    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        now = self.turn(tracker)
        diagnosed = _text(tracker, "diagnosed")
        advice = self.coach.onboard(now.patient, _text(tracker, "side"), _text(tracker, "sport"),
                                    None if diagnosed not in ("yes", "no") else diagnosed == "yes", now.now)
        dispatcher.utter_message(response="utter_onboarded")
        if advice is not None:
            send_escalation(dispatcher, advice, self.knowledge)
        setting = self.coach.reminders(now.patient, now.today)
        chose = now.patient.reminder_time is not None or now.patient.reminders_paused_until is not None
        send_setting(dispatcher, as_it_stands(setting) if chose else "utter_onboarded_reminder", setting)
        dispatcher.utter_message(response="utter_checkin_now" if advice is None else "utter_checkin_meanwhile")
        return [SlotSet("onboarded", True)]
