"""validate_questionnaire_form: reads the answer to the questionnaire's question just asked.

A rating, N/A where the measure has it, or "skip" (the item stays unanswered, never guessed) moves on to the next
item; PSFS's first question takes the activities named. A question to the coach is answered and the item asked
again; a routine red flag is advised and the answer read on. Stop, goodbye and an emergency or urgent red flag
make the form give way to the rules (data/rules/questionnaire.yml), the answers so far kept.
"""

from __future__ import annotations

from dataclasses import replace

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import REQUESTED_SLOT, FormValidationAction
from rasa_sdk.types import DomainDict

from actions import _deps
from actions._context import latest_intent, latest_text
from actions._forms import ANSWER_INTENTS, QUESTIONS, said_routine_red_flag
from actions._questionnaire import ANSWER, DONE, STATE, InProgress
from actions.action_escalate import ActionEscalate
from rehab_coach.adapters.clock import Clock, local_now
from rehab_coach.core.intents import RED_FLAG_INTENT, SERIOUS_INTENTS
from rehab_coach.core.outcomes import Unreadable, read_activities, read_answer, says_skip
from rehab_coach.services.coach import Coach

# Intents a message naming activities gets (the router sends a message that names an activity or exercise to its
# answer): for PSFS's first question, the names asked for.
NAMING = frozenset({"ask_activity", "ask_exercise"})


class ValidateQuestionnaireForm(FormValidationAction):
    def __init__(self, coach: Coach | None = None, clock: Clock = local_now) -> None:
        self._coach = coach
        self._clock = clock

    def name(self) -> str:
        return "validate_questionnaire_form"

    async def get_extraction_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        state = InProgress.of(tracker)
        intent, text = latest_intent(tracker), latest_text(tracker)
        routine = said_routine_red_flag(tracker)
        knowledge = self._coach.knowledge if self._coach is not None else _deps.knowledge()
        if state is None or tracker.get_slot(REQUESTED_SLOT) != ANSWER:
            return []
        if state.choice(knowledge, text) and intent not in (*SERIOUS_INTENTS.values(), RED_FLAG_INTENT):
            intent = "inform"  # a rating in the clinic's words, as its button sends it ("does not apply to me")
        if not (intent in ANSWER_INTENTS or intent in QUESTIONS or routine or (intent == "stop" and says_skip(text))):
            return []
        if routine:
            await ActionEscalate(coach=self._coach, clock=self._clock).run(dispatcher, tracker, domain)
        naming = state.items is None and intent in NAMING  # "relevé and jumps" reads as a question about them
        if intent in QUESTIONS and not naming:
            await QUESTIONS[intent](coach=self._coach, clock=self._clock).run(dispatcher, tracker, domain)
            return [SlotSet(ANSWER, None)]
        measure = knowledge.measures[state.measure]
        if state.items is None:
            state = replace(state, items=read_activities(measure, text))
        else:
            try:
                state = state.answered(read_answer(measure, text, knowledge.questionnaires.get(measure.id)))
            except Unreadable:
                dispatcher.utter_message(response="utter_reask_measure", lowest=measure.scale.lowest,
                                         highest=measure.scale.highest)
                return [SlotSet(ANSWER, None)]
        return [SlotSet(STATE, state.slot()), SlotSet(ANSWER, DONE if state.finished else None)]

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        return [SlotSet(name, value) for name, value in tracker.slots_to_validate().items()]
