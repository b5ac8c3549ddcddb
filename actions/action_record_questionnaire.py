"""action_record_questionnaire: saves the completed questionnaire with its score."""

from __future__ import annotations

import logging

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions._base import CoachAction, where
from actions._questionnaire import ANSWER, STATE, InProgress
from rehab_coach.core import contract
from rehab_coach.core.outcomes import InvalidAnswers

log = logging.getLogger(__name__)


class ActionRecordQuestionnaire(CoachAction):
    def name(self) -> str:
        return "action_record_questionnaire"

    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        state = InProgress.of(tracker)
        if state is None or not state.finished:
            return []
        done: list[EventType] = [SlotSet(STATE, None), SlotSet(ANSWER, None)]
        try:
            now = self.turn(tracker)
            response = self.coach.record_response(now.patient, state.measure, now.today, state.items or [],
                                                  state.answers)
        except InvalidAnswers:
            dispatcher.utter_message(response="utter_measure_not_saved")
            return done
        except Exception as error:  # e.g. the database is away: kept, the form completes at the next offer's yes
            log.error("saving a questionnaire failed: %s at %s", type(error).__name__, where(error))
            dispatcher.utter_message(response="utter_measure_not_saved_yet")
            return []
        measure = self.knowledge.measures[response.measure]
        payload = contract.measure_recorded(response)
        if not response.items:
            dispatcher.utter_message(response="utter_psfs_no_activities", json_message=payload)
        elif measure.items_from == "patient" and response.score is not None:
            dispatcher.utter_message(response="utter_psfs_saved", score=f"{response.score:g}",
                                     highest=measure.scale.highest, json_message=payload)
        else:
            dispatcher.utter_message(response="utter_measure_saved", name=measure.name, json_message=payload)
        return done
