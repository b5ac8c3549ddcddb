"""Abstract bases shared by the actions (abstract, so the action server does not register them)."""

from __future__ import annotations

import asyncio
import logging
import traceback
from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import datetime

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import _deps, _render
from actions._context import Turn, entity_values, turn
from rehab_coach.adapters.clock import Clock, current_time, local_now
from rehab_coach.core import contract
from rehab_coach.core.intents import MISSED_DAYS, SERIOUS_INTENTS
from rehab_coach.core.model import SERIOUS, Escalation, Knowledge
from rehab_coach.services.coach import Coach, ExerciseAnswer
from rehab_coach.services.reminders import ReminderSetting

log = logging.getLogger(__name__)


def where(error: BaseException) -> str:
    """The failing line as file:line, for the log: exception messages may quote personal data (SQL parameters)."""
    frames = traceback.extract_tb(error.__traceback__)
    return f"{frames[-1].filename}:{frames[-1].lineno}" if frames else "?"


def send_escalation(dispatcher: CollectingDispatcher, escalation: Escalation, knowledge: Knowledge) -> None:
    wording = knowledge.urgencies[escalation.urgency]
    dispatcher.utter_message(**_render.escalation(escalation, wording.lead),
                             json_message=contract.escalation(escalation, wording.heading))


def as_it_stands(setting: ReminderSetting) -> str:
    """The response that says how the reminders stand: on, paused or stopped."""
    if setting.stopped:
        return "utter_reminder_is_stopped"
    return "utter_reminder_is_paused" if setting.resumes_on else "utter_reminder_is"


def send_setting(dispatcher: CollectingDispatcher, response: str, setting: ReminderSetting) -> None:
    """The response worded with the setting's time, zone and the day a pause ends, and its payload."""
    day = setting.resumes_on
    dispatcher.utter_message(response=response, time=setting.time, zone=setting.zone,
                             day=f"{day:%A} {day.day} {day:%B}" if day else None,
                             json_message=contract.reminders(setting.time, setting.zone, setting.stopped, day))


EXERCISE_CANDIDATES = "exercise_candidates"  # the slot holding the exercises a "which one?" question offered


def send_exercise(dispatcher: CollectingDispatcher, domain: DomainDict, answer: ExerciseAnswer,
                  offered: Sequence[str] = ()) -> list[EventType]:
    """How to do the exercise meant, with today's dose; or which one: of a near tie, or of today's session.

    The exercises offered go into the `exercise_candidates` slot, so that the answer ("the second", "the band
    one") is read among them; the exercise explained clears what was `offered`.
    """
    plan, winner = answer.plan, answer.resolution.winner
    if winner is not None:
        dose, in_session = plan.dose(winner.id), plan.in_session(winner.id)
        dispatcher.utter_message(**_render.exercise(winner, dose, in_session, domain),
                                 json_message=contract.exercise_info(winner, dose, in_session))
        return [SlotSet(EXERCISE_CANDIDATES, None)] if offered else []
    choices = answer.resolution.candidates or tuple(p.exercise for p in plan.exercises)
    dispatcher.utter_message(**_render.which_exercise(choices, near_tie=bool(answer.resolution.candidates)),
                             json_message=contract.choice("exercise", [(e.id, e.name) for e in choices]))
    return [SlotSet(EXERCISE_CANDIDATES, [e.id for e in choices])]


class CoachAction(Action, ABC):
    """An action backed by the Coach. Its database work runs in a worker thread, off the server's event loop."""

    def __init__(self, coach: Coach | None = None, clock: Clock = local_now) -> None:
        self._coach = coach
        self._clock = clock

    @abstractmethod
    def name(self) -> str: ...

    @property
    def coach(self) -> Coach:
        return self._coach if self._coach is not None else _deps.coach()

    @property
    def knowledge(self) -> Knowledge:
        # Not through the Coach: the knowledge must be at hand even when the database is not.
        return self._coach.knowledge if self._coach is not None else _deps.knowledge()

    def turn(self, tracker: Tracker) -> Turn:
        return turn(tracker, self.coach, self._clock)

    def record(self, tracker: Tracker, escalation: Escalation, text: str | None) -> None:
        """Keep an escalation for clinicians; the patient has their advice whether or not the database is there."""
        try:
            now = self.turn(tracker)
            self.coach.escalate(now.patient, escalation, text, now.now)
        except Exception as error:
            log.error("escalation not stored: %s at %s", type(error).__name__, where(error))

    def checked_in_today(self, now: Turn) -> bool:
        checkins = self.coach.history(now.patient, now.today)
        return bool(checkins) and checkins[-1].day == now.today

    @abstractmethod
    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """The action's work (synchronous: it runs in a worker thread)."""

    def record_missed(self, tracker: Tracker) -> None:
        """Store the emergency and urgent red flags the Rasa server answered on its own while this server was
        unreachable: each serious message of the last days is triaged again (stored once a day per finding)."""
        serious = [e for e in tracker.events if e.get("event") == "user"
                   and (e.get("parse_data") or {}).get("intent", {}).get("name") in SERIOUS_INTENTS.values()]
        if not serious:
            return
        now = self.turn(tracker)
        for event in serious:
            sent = datetime.fromtimestamp(float(event["timestamp"])).astimezone()
            at = current_time(event.get("metadata"), lambda: sent)  # noqa: B023  (called at once)
            if (now.now - at).days <= MISSED_DAYS:
                self.coach.triage(now.patient, at, str(event.get("text") or ""))

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        try:
            await asyncio.to_thread(self.record_missed, tracker)
        except Exception as error:  # a clinician record must never cost the patient this turn's reply
            log.error("missed escalations not stored: %s at %s", type(error).__name__, where(error))
        try:
            events = await asyncio.to_thread(self.respond, dispatcher, tracker, domain)
        except Exception as error:  # the patient gets an apology rather than silence
            log.error("%s failed: %s at %s", self.name(), type(error).__name__, where(error))
            dispatcher.utter_message(response="utter_sorry")
            events = []
        # a "which one?" is answered by the very next message or not at all: its choices do not linger
        if tracker.get_slot(EXERCISE_CANDIDATES) and not any(e.get("name") == EXERCISE_CANDIDATES for e in events):
            events.append(SlotSet(EXERCISE_CANDIDATES, None))
        return events


class AnswerAction(CoachAction, ABC):
    """An any-time answer (plan, activity, exercise, progress) that also heeds red flags said in passing.

    The NLU pipeline marks red flags it finds with a `red_flag` entity; routine ones do not change the
    intent, so the answer is given and the routine escalation added. Should a serious one arrive here,
    it replaces the answer.
    """

    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        now = self.turn(tracker)
        flagged = None
        if entity_values(tracker, "red_flag"):
            flagged = self.coach.triage(now.patient, now.now, text=now.text)
        if flagged is not None and flagged.urgency in SERIOUS:
            send_escalation(dispatcher, flagged, self.knowledge)
            return []
        events = self.answer(dispatcher, tracker, domain, now)
        if flagged is not None:
            send_escalation(dispatcher, flagged, self.knowledge)
        return events

    @abstractmethod
    def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict,
               now: Turn) -> list[EventType]: ...
