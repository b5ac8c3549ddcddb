"""The forms' shared validation: every answer in a message fills its slot; questions asked in between are
answered; unreadable answers are asked again.

A message is read for answers whatever its intent, so "rest 2, morning 3 - can I go to class?" keeps its
answers and gets its answer. A question to the coach (plan, activity, exercise, progress, warning signs) or a
reminder request ("remind me at 7pm") is answered here, and the form asks its own question again: a digression
never loses the check-in's place. A routine red flag said in an answer is given and stored here too. An
emergency or urgent red flag, partial evidence, stop and goodbye make the form give way to the rules.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import REQUESTED_SLOT, FormValidationAction
from rasa_sdk.types import DomainDict

from actions import _deps
from actions._base import EXERCISE_CANDIDATES, AnswerAction, CoachAction
from actions._checkin import stale_checkin
from actions._context import CHECKIN_SLOTS, entity_values, latest_intent, latest_text
from actions.action_activity_advice import ActionActivityAdvice
from actions.action_change_reminders import ActionChangeReminders
from actions.action_escalate import ActionEscalate
from actions.action_exercise_info import ActionExerciseInfo
from actions.action_plan import ActionPlan
from actions.action_progress import ActionProgress
from actions.action_warning_signs import ActionWarningSigns
from rehab_coach.adapters.clock import Clock, current_time, local_now
from rehab_coach.core import contract
from rehab_coach.core.answers import Answers
from rehab_coach.core.intents import RED_FLAG_INTENT
from rehab_coach.services.coach import Coach

# Messages read as answers to the question asked; a question to the coach is answered and only its
# labelled answers ("rest 2") are kept. Anything else (stop, goodbye, help, greet, thanks, an emergency
# or urgent red flag, partial evidence) is left to the rules.
ANSWER_INTENTS = frozenset({"inform", "affirm", "deny", "out_of_scope", "nlu_fallback"})
QUESTIONS: dict[str, type[AnswerAction]] = {
    "ask_plan": ActionPlan, "ask_all_exercises": ActionPlan, "ask_activity": ActionActivityAdvice,
    "ask_exercise": ActionExerciseInfo, "ask_progress": ActionProgress, "ask_warning_signs": ActionWarningSigns,
    "change_reminders": ActionChangeReminders,
}
# What runs between a patient's message and the form it opens (greeting, check-in, disclaimer).
OPENERS = frozenset({"action_greet", "action_start_checkin", "utter_disclaimer"})
# Said with an unlabelled value, these correct the answer given just before ("sorry, I meant 4").
CORRECTION_CUES = ("meant", "i mean", "correction", "typo", "scratch that", "my bad", "make that", "should have said",
                   "change that", "change it", "wrong number", "got that wrong", "mistake")
# A question about an activity or exercise at the end of an answer ("rest 1, no swelling. can I cycle?").
IN_PASSING: dict[str, type[AnswerAction]] = {"activity": ActionActivityAdvice, "exercise": ActionExerciseInfo}

Reader = Callable[[str, str | None], Answers]


def opened_by_this_message(tracker: Tracker) -> bool:
    """The form was opened by the patient's latest message (not handed over by another form)."""
    actions = [e.get("name") for e in reversed(tracker.events) if e.get("event") == "action"]
    earlier = [name for name in actions[1:] if name != "action_listen"][:1]
    return earlier == [] or earlier[0] in OPENERS


def said_routine_red_flag(tracker: Tracker) -> bool:
    """The red_flag intent forced by routine findings only (no partial evidence, not the classifier alone)."""
    return (latest_intent(tracker) == RED_FLAG_INTENT and bool(entity_values(tracker, RED_FLAG_INTENT))
            and not entity_values(tracker, "safety_check"))


class AnswerFormValidation(FormValidationAction, ABC):
    """Custom extraction for a form whose slots all use `type: custom` mappings."""

    def __init__(self, read: Reader | None = None, clock: Clock = local_now, coach: Coach | None = None) -> None:
        self._reader = read
        self._clock = clock
        self._coach = coach

    def _read(self, text: str, requested: str | None) -> Answers:
        return (self._reader or _deps.answers())(text, requested)

    @property
    def coach(self) -> Coach:
        return self._coach or _deps.coach()

    def _run(self, action: type[CoachAction]) -> CoachAction:
        return action(coach=self._coach, clock=self._clock)

    @abstractmethod
    def name(self) -> str: ...

    async def get_extraction_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        fields = self.domain_slots(domain)
        requested = tracker.get_slot(REQUESTED_SLOT)
        intent = latest_intent(tracker)
        # A choice as its button sends it ("all", "giving_way") is the answer, though the classifier heard a question
        # to the coach in the word ("all": show all my exercises).
        asked = contract.question(requested) if requested in contract.QUESTIONS else {}
        if intent in QUESTIONS and contract.chosen(asked, latest_text(tracker)):
            intent = "inform"
        if requested is None and opened_by_this_message(tracker):  # "check in: rest 2, no swelling"
            return self._given_up_front(tracker, fields)
        # Only a reply to this form's own question is read, never the last answer of another form that
        # handed over to this one.
        if requested not in fields or not (
                intent in ANSWER_INTENTS or intent in QUESTIONS or said_routine_red_flag(tracker)):
            return []
        today = current_time(tracker.latest_message.get("metadata"), self._clock).date()
        events = stale_checkin(tracker, today) if set(fields) & set(CHECKIN_SLOTS) else []
        if events:
            dispatcher.utter_message(response="utter_checkin_stale", day=tracker.get_slot("checkin_day"))
        text = latest_text(tracker)
        if said_routine_red_flag(tracker):  # a routine red flag said in passing: advised and stored, then read on
            await self._run(ActionEscalate).run(dispatcher, tracker, domain)
        question = QUESTIONS.get(intent or "") or IN_PASSING.get(self.coach.asked_about(text) or "")
        if intent in QUESTIONS:
            answers = self._read(text, None)  # only what the message labels ("rest 2"), never a loose number
        else:
            answers = self._corrected(dispatcher, tracker, fields, requested, text)
        if question is None and tracker.get_slot(EXERCISE_CANDIDATES) and requested not in answers.values:
            question = ActionExerciseInfo  # not an answer: the pick from the "which one?" just asked
        offered: list[EventType] = []  # a "which one?" the answer asked keeps its choices
        if question is not None:
            offered = [e for e in await self._run(question).run(dispatcher, tracker, domain)
                       if e.get("name") == EXERCISE_CANDIDATES]
        values: dict[str, object | None] = {f: v for f, v in answers.values.items() if f in fields}
        if requested not in values:
            problem = answers.problems.get(requested) if question is None else None
            if problem:
                dispatcher.utter_message(response=problem.response, **problem.values)
            elif not (values or question):
                dispatcher.utter_message(response="utter_not_understood")
            values[requested] = None  # a slot event, so the form asks the same question again
        if set(values) & set(CHECKIN_SLOTS):
            values["checkin_day"] = today.isoformat()
        return [*events, *(SlotSet(field, value) for field, value in values.items()), *offered]

    def _given_up_front(self, tracker: Tracker, fields: list[str]) -> list[EventType]:
        """The answers the message that opened the form already gives (only what it states, no loose number)."""
        answers = self._read(latest_text(tracker), None)
        values: dict[str, object] = {f: v for f, v in answers.values.items() if f in fields}
        if set(values) & set(CHECKIN_SLOTS):
            today = current_time(tracker.latest_message.get("metadata"), self._clock).date()
            values["checkin_day"] = today.isoformat()
        return [SlotSet(field, value) for field, value in values.items()]

    def _corrected(self, dispatcher: CollectingDispatcher, tracker: Tracker, fields: list[str], requested: str,
                   text: str) -> Answers:
        """The answers, with "sorry, I meant 4" applied to the question answered just before this one."""
        previous = [f for f in fields[:fields.index(requested)] if tracker.get_slot(f) is not None]
        if previous and re.search(rf"\b({'|'.join(CORRECTION_CUES)})\b", text.lower()):
            earlier = self._read(text, previous[-1])
            if previous[-1] in earlier.values and requested not in self._read(text, None).values:
                dispatcher.utter_message(response="utter_corrected")
                return Answers({previous[-1]: earlier.values[previous[-1]]})
        return self._read(text, requested)

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """The answer reader has already checked every value: pass this form's extracted slots through."""
        fields = {*self.domain_slots(domain), "checkin_day", EXERCISE_CANDIDATES}
        return [SlotSet(name, value) for name, value in tracker.slots_to_validate().items() if name in fields]
