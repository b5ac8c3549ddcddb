"""action_clinician_message: a clinician's message from the portal (EXTERNAL_clinician_message), said as theirs."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions._context import entity_values
from rehab_coach.core import contract
from rehab_coach.services.clinician_messages import CLINIC, FROM, TEXT


class ActionClinicianMessage(Action):
    def name(self) -> str:
        return "action_clinician_message"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        text, sender = entity_values(tracker, TEXT), entity_values(tracker, FROM) or [CLINIC]
        if text:
            dispatcher.utter_message(response="utter_clinician_message", message_text=text[0],
                                     message_from=sender[0],
                                     json_message=contract.clinician_message(text[0], sender[0]))
        return []
