"""action_record_checkin: saves the check-in, then today's plan and any referral the course calls for."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import _render
from actions._base import CoachAction, send_escalation, where
from actions._context import CHECKIN_SLOTS, Turn
from actions._questionnaire import OFFERED, STATE, InProgress
from rehab_coach.core import contract
from rehab_coach.core.engine import DayResult
from rehab_coach.core.model import PAIN_FIELDS, SERIOUS, Escalation, InvalidCheckIn

log = logging.getLogger(__name__)



def checkin_values(tracker: Tracker) -> dict[str, Any]:
    """The six answers; pain slots are float slots, so whole numbers come back as ints."""
    values = {name: tracker.get_slot(name) for name in CHECKIN_SLOTS}
    for name in PAIN_FIELDS:
        value = values[name]
        if isinstance(value, float) and value.is_integer():
            values[name] = int(value)
    return values


def reset_checkin() -> list[EventType]:
    """Empty the answers so the next check-in asks again."""
    return [SlotSet(name, None) for name in CHECKIN_SLOTS]


class ActionRecordCheckin(CoachAction):
    def name(self) -> str:
        return "action_record_checkin"

    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        try:
            now = self.turn(tracker)
            recorded = self.coach.record_checkin(now.patient, checkin_values(tracker), now.today)
        except InvalidCheckIn:
            dispatcher.utter_message(response="utter_checkin_not_saved")
            return reset_checkin()
        except Exception as error:  # e.g. the database is away: keep the answers for another try
            log.error("saving a check-in failed: %s at %s", type(error).__name__, where(error))
            dispatcher.utter_message(response="utter_checkin_not_saved_yet")
            return []
        reasons = recorded.classification.reasons
        dispatcher.utter_message(
            **_render.checkin_recorded(recorded.classification.day_class, reasons),
            json_message=contract.checkin_recorded(recorded.checkin, recorded.classification.day_class, reasons),
        )
        # The check-in is committed: whatever fails from here on, it stays saved.
        escalation = self._referral(now, recorded.course)
        if escalation is not None and escalation.urgency in SERIOUS:
            send_escalation(dispatcher, escalation, self.knowledge)  # replaces the turn's coaching
            return reset_checkin()
        try:
            plan = self.coach.plan_for_today(now.patient, now.today, recorded.course)
        except Exception as error:
            log.error("plan after check-in failed: %s at %s", type(error).__name__, where(error))
            dispatcher.utter_message(response="utter_checkin_saved_no_plan")
        else:
            dispatcher.utter_message(**_render.plan(plan, self.knowledge, domain), json_message=contract.plan(plan))
        if escalation is not None:
            send_escalation(dispatcher, escalation, self.knowledge)
        return [*reset_checkin(), *self._offer(dispatcher, tracker, now)]

    def _offer(self, dispatcher: CollectingDispatcher, tracker: Tracker, now: Turn) -> list[EventType]:
        """The outcome questionnaire due today, offered (a paused one carries on where it stopped); a failure here
        must not cost the patient the check-in's reply."""
        try:
            due = self.coach.measure_due(now.patient, now.today)
        except Exception as error:
            log.error("questionnaire due failed: %s at %s", type(error).__name__, where(error))
            return []
        if due is None:
            return []
        fresh, paused = InProgress.start(due), InProgress.of(tracker)
        state = paused if paused is not None and paused.measure == fresh.measure else fresh
        if state != fresh:
            response, count = "utter_questionnaire_resume", len(state.items or ())
        elif due.measure.items_from == "clinic":
            response, count = "utter_questionnaire_offer", len(due.items)
        else:
            response, count = ("utter_psfs_offer_weekly" if due.items else "utter_psfs_offer_first"), len(due.items)
        dispatcher.utter_message(response=response, name=due.measure.name, count=count, done=len(state.answers),
                                 json_message=contract.offer(due.measure))
        return [SlotSet(STATE, state.slot()), SlotSet(OFFERED, True)]

    def _referral(self, now: Turn, course: Sequence[DayResult]) -> Escalation | None:
        """What the course now calls for (referral rules); a failure here must not cost the patient the plan."""
        try:
            return self.coach.triage(now.patient, now.now, course=course)
        except Exception as error:
            log.error("triage after check-in failed: %s at %s", type(error).__name__, where(error))
            return None
