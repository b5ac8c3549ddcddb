"""action_escalate: a red flag. Emergency or urgent advice replaces any coaching in this turn."""

from __future__ import annotations

import logging

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions._base import CoachAction, response_escalation, send_escalation, where
from actions._context import Turn, latest_text
from rehab_coach import contract
from rehab_coach.model import Escalation
from rehab_coach.nlp import read
from rehab_coach.redflags import detector_for
from rehab_coach.triage import triage

log = logging.getLogger(__name__)

# Only the classifier heard a red flag (the deterministic detector found none): ask, and list the signs.
DESCRIBE = "utter_red_flag_check"


class ActionEscalate(CoachAction):
    def name(self) -> str:
        return "action_escalate"

    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        now: Turn | None = None
        try:
            now = self.turn(tracker)
            escalation = self.coach.triage(now.patient, now.now, text=now.text)
        except Exception as error:
            # Safety advice must go out even when the database is away: detect without storing.
            log.error("escalation not stored: %s at %s", type(error).__name__, where(error))
            said = detector_for(self.knowledge, read).find_text(latest_text(tracker), self._clock().date())
            escalation = triage(said, knowledge=self.knowledge)
        if escalation is not None:
            send_escalation(dispatcher, escalation)
            return []
        text, unclear = response_escalation(domain, DESCRIBE)
        dispatcher.utter_message(text=text, json_message=contract.escalation(unclear))
        if now is not None:
            self._store(now, unclear)
        return []

    def _store(self, now: Turn, escalation: Escalation) -> None:
        """Keep the unclear case for clinicians too; the reply has already gone out."""
        try:
            self.coach.store.save_escalation(now.patient.id, escalation, now.text, now.now)
        except Exception as error:
            log.error("escalation not stored: %s at %s", type(error).__name__, where(error))
