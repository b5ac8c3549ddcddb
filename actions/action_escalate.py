"""action_escalate: a red flag. Records it for clinicians, gives routine advice, or starts a safety check.

An emergency or urgent finding's advice has already gone out from the Rasa server (utter_red_flag_*),
so that it reaches the patient even without this server; here it is stored. A routine finding is
answered and stored. Partial evidence, or a red flag only the classifier heard, starts the safety
check whose questions the clinical rule needs (never silence).
"""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions._base import CoachAction, send_escalation
from actions._checkin import kept_answers
from actions._context import active_loop, latest_intent, latest_text
from actions._safety import UNCLEAR
from rehab_coach.adapters.clock import current_time
from rehab_coach.core.intents import SERIOUS_INTENTS
from rehab_coach.core.model import SERIOUS
from rehab_coach.core.triage import triage


class ActionEscalate(CoachAction):
    def name(self) -> str:
        return "action_escalate"

    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        text = latest_text(tracker)
        findings = self.coach.red_flags(text, current_time(tracker.latest_message.get("metadata"), self._clock).date())
        escalation = triage(findings, knowledge=self.knowledge)
        answered_by_server = latest_intent(tracker) in SERIOUS_INTENTS.values()
        if escalation is not None and not (escalation.urgency in SERIOUS and answered_by_server):
            send_escalation(dispatcher, escalation, self.knowledge)
        if escalation is not None:
            self.record(tracker, escalation, text)
        if escalation is not None and (escalation.urgency in SERIOUS or not findings.partial):
            return []
        check = next((f.red_flag.check for f in findings.partial if f.red_flag.check), UNCLEAR)
        return [SlotSet("safety_check", check), SlotSet("safety_answers", {}), SlotSet("safety_asking", True),
                SlotSet("resume_form", active_loop(tracker)), *kept_answers(tracker, text, self._clock)]
