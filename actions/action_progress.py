"""action_progress: "how am I doing?" — days since starting, check-ins, phase and the pain trend."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import _render
from actions._base import AnswerAction
from actions._context import Turn
from rehab_coach.core import contract


class ActionProgress(AnswerAction):
    def name(self) -> str:
        return "action_progress"

    def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict,
               now: Turn) -> list[EventType]:
        patient = now.patient
        checkins = self.coach.history(patient, now.today)
        started = min(patient.profile.enrolled, now.today)  # a simulated clock may run behind the enrolment
        payload = contract.progress(started, now.today, checkins, patient.phase_number)
        dispatcher.utter_message(**_render.progress(payload["days"], checkins, patient.phase_number, self.knowledge),
                                 json_message=payload)
        return []
