"""The service functions every entry point calls (chat actions, clinician app, CLI): core + storage."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass, replace
from datetime import date, datetime

from rehab_coach.adapters.storage.repository import PatientRecord, Store
from rehab_coach.core import contract, engine, outcomes
from rehab_coach.core.engine import Advice, Classification, DayResult, Plan
from rehab_coach.core.intents import is_question, topic
from rehab_coach.core.model import (
    SERIOUS,
    Activity,
    CheckIn,
    Escalation,
    Knowledge,
    OutcomeMeasure,
    RedFlag,
    UncoveredActivity,
)
from rehab_coach.core.reading import Reader
from rehab_coach.core.redflags import Detector, Findings, detector_for
from rehab_coach.core.reminder_request import ReminderRequest, reminder_reader
from rehab_coach.core.resolve import ExerciseResolution, Resolver, asked_about, resolver_for
from rehab_coach.core.triage import flagged, triage_course
from rehab_coach.services import reminders
from rehab_coach.services.reminders import ReminderDefaults, ReminderSetting

NOT_DIAGNOSED = "not_diagnosed"  # the red flag (knowledge/red_flags.yml) for a patient nobody has diagnosed


@dataclass(frozen=True)
class RecordedCheckIn:
    course: Sequence[DayResult]  # the patient's course up to today, this check-in last: the turn's triage and plan
    created: bool  # False when it replaced an earlier check-in of the same day

    @property
    def checkin(self) -> CheckIn:
        return self.course[-1].checkin

    @property
    def classification(self) -> Classification:
        return self.course[-1].classification


@dataclass(frozen=True)
class DueMeasure:
    measure: OutcomeMeasure
    items: tuple[str, ...]  # empty for PSFS before the patient has named their activities


@dataclass(frozen=True)
class ExerciseAnswer:
    """The exercise(s) a patient asked about, and today's plan they are read against (for doses)."""

    plan: Plan
    resolution: ExerciseResolution


@dataclass(frozen=True)
class ActivityAnswer:
    """A verdict for each activity asked about; those with no advice yet and the closest that have it."""

    advice: tuple[Advice, ...]
    uncovered: tuple[UncoveredActivity, ...]
    closest: tuple[Activity, ...]
    exercise: ExerciseAnswer | None = None  # no activity, but an exercise asked about as if it were one


@dataclass(frozen=True)
class ReminderChange:
    request: ReminderRequest | None  # None: the message asked nothing the reader understood
    setting: ReminderSetting  # as it stands after the change


class Coach:
    """One patient-facing operation per method; each writes in its own short transaction."""

    def __init__(self, store: Store, knowledge: Knowledge, read: Reader, reminder_defaults: ReminderDefaults) -> None:
        self.store = store
        self.knowledge = knowledge
        self.read = read
        self.reminder_defaults = reminder_defaults
        self.read_reminder_request = reminder_reader(knowledge)

    def patient(self, channel: str, sender: str, today: date, device_zone: str | None = None) -> PatientRecord:
        """The patient behind a conversation on a channel, enrolled today if new. The time zone their device
        reports (the web chat sends the browser's) becomes theirs while they have none; a name that is not an
        IANA time zone is ignored."""
        record = self.store.patient(channel, sender, today)
        if device_zone and record.timezone is None:
            with suppress(ValueError):
                reminders.set_reminder_time(self.store, record.id, record.reminder_time, device_zone)
                record = replace(record, timezone=device_zone)
        return record

    def history(self, patient: PatientRecord, until: date) -> list[CheckIn]:
        """The patient's check-ins up to and including `until`, oldest first."""
        return self.store.checkins(patient.id, until=until)

    def onboard(self, patient: PatientRecord, side: str | None, sport: str | None, diagnosed: bool | None,
                at: datetime) -> Escalation | None:
        """Save the onboarding answers. A patient nobody has diagnosed is advised an assessment (stored)."""
        self.store.update_profile(patient.id, side=side, sport=sport, diagnosed=diagnosed)
        if diagnosed is not False:
            return None
        escalation = flagged(NOT_DIAGNOSED, self.knowledge)
        self.escalate(patient, escalation, None, at)
        return escalation

    @property
    def detector(self) -> Detector:
        return detector_for(self.knowledge, self.read)

    def red_flags(self, text: str, today: date) -> Findings:
        """What the message says about red flags (fired, partial evidence, asked about)."""
        return self.detector.find_text(text, today)

    def record_checkin(self, patient: PatientRecord, values: dict, today: date) -> RecordedCheckIn:
        """Validate (InvalidCheckIn lists every problem, nothing written), classify and save today's answers.

        The check-in is committed before anything else happens, so a later failure cannot lose it. The course
        replayed to classify it comes back with it: the rest of the turn reads no history again.
        """
        checkin = CheckIn.validated(today, today=today, **values)
        earlier = [c for c in self.history(patient, today) if c.day < today]  # today's is replaced
        course = engine.follow_course([*earlier, checkin], self.knowledge)
        created = self.store.save_checkin(patient.id, checkin, course[-1].classification.day_class)
        return RecordedCheckIn(course, created)

    def plan_for_today(self, patient: PatientRecord, today: date, course: Sequence[DayResult] | None = None) -> Plan:
        """Today's plan from the patient's whole history, or from their `course` up to today when the turn has
        it (`RecordedCheckIn.course`); stored as given (one per day, latest wins)."""
        plan = (engine.plan_for_today(patient.profile, self.history(patient, today), today, self.knowledge)
                if course is None else engine.plan_from_course(patient.profile, course, today, self.knowledge))
        self.store.save_plan(patient.id, today, plan.phase.number, plan.status, contract.plan(plan))
        return plan

    @property
    def resolver(self) -> Resolver:
        return resolver_for(self.knowledge, self.read)

    def explain_exercise(self, patient: PatientRecord, text: str, today: date,
                         among: Sequence[str] = ()) -> ExerciseAnswer:
        """The exercise the message means (`among`: the choices the patient was just offered) and today's plan.

        The plan is worked out, not stored: asking about an exercise is not being given a plan.
        """
        plan = engine.plan_for_today(patient.profile, self.history(patient, today), today,
                                     self.knowledge)
        return ExerciseAnswer(plan, self.resolver.exercise(self.read(text), plan, among))

    def asked_about(self, text: str) -> str | None:
        """A question's topic by its names and descriptions: "activity", "exercise" or None (see `topic`)."""
        return topic(text, asked_about(self.resolver, self.read(text))) if is_question(text) else None

    def advise_on(self, patient: PatientRecord, text: str, today: date) -> ActivityAnswer:
        """Today's verdict for each activity the message asks about, from the patient's whole course.

        A message naming no activity at all but an exercise ("can I do the calf stretch on the step?") is
        answered as the exercise question it is.
        """
        reading = self.read(text)
        found = self.resolver.activities(reading, patient.profile.sport)
        if found.uncovered and not found.activities:
            return ActivityAnswer((), found.uncovered, found.closest)
        course = engine.follow_course(self.history(patient, today), self.knowledge)  # once, for every answer below
        if found.activities:
            return ActivityAnswer(tuple(engine.advice_from_course(a.id, course, today, self.knowledge)
                                        for a in found.activities), found.uncovered, found.closest)
        plan = engine.plan_from_course(patient.profile, course, today, self.knowledge)
        exercise = self.resolver.exercise(reading, plan)
        return ActivityAnswer((), (), found.closest, ExerciseAnswer(plan, exercise) if exercise.candidates else None)

    def triage(self, patient: PatientRecord, at: datetime, text: str | None = None,
               course: Sequence[DayResult] = ()) -> Escalation | None:
        """Red flags in `text` (and the referral rules on the patient's `course`, `RecordedCheckIn.course`) at time
        `at`; stored for clinicians."""
        said = self.red_flags(text, at.date()) if text else None
        escalation = triage_course(said, course, knowledge=self.knowledge)
        if escalation is not None:
            self.escalate(patient, escalation, text, at)
        return escalation

    def escalate(self, patient: PatientRecord, escalation: Escalation, text: str | None, at: datetime) -> bool:
        """Store an escalation for clinicians; the same one (same triggers) is stored once a day. True if stored.
        An emergency or urgent one is stored with the clinic's notice of it, which the scheduler sends
        (services/notifications.py): no network call in the patient's turn."""
        if any(record.escalation.triggers == escalation.triggers and record.created_at.date() == at.date()
               for record in self.store.escalations(patient.id)):
            return False
        self.store.save_escalation(patient.id, escalation, text, at, notify=escalation.urgency in SERIOUS)
        return True

    def reminders(self, patient: PatientRecord, today: date) -> ReminderSetting:
        """The patient's daily reminder as it stands today."""
        return ReminderSetting.of(self.store.patient_by_id(patient.id), self.reminder_defaults, today)

    def change_reminders(self, patient: PatientRecord, text: str, today: date) -> ReminderChange:
        """What the message asks of the patient's reminders, applied; None if it asks nothing of them."""
        request = self.read_reminder_request(text, today)
        if request is not None:
            reminders.change_reminders(self.store, patient, request, today)
        return ReminderChange(request, self.reminders(patient, today))

    def measure_due(self, patient: PatientRecord, today: date) -> DueMeasure | None:
        """The questionnaire due today, with its items: PSFS's are the activities the patient last named (none
        at enrolment: the coach asks for them first)."""
        responses = self.store.responses(patient.id)
        measure = outcomes.due(outcomes.asked_in_chat(self.knowledge), responses, today, patient.discharged_on)
        if measure is None:
            return None
        if measure.items_from == "clinic":
            return DueMeasure(measure, tuple(self.knowledge.questionnaires[measure.id].items))
        named = [r.items for r in responses if r.measure == measure.id and r.items]
        return DueMeasure(measure, named[-1] if named else ())

    def record_response(self, patient: PatientRecord, measure: str, today: date, items: Sequence[str],
                        answers: Sequence[outcomes.Answer]) -> outcomes.Response:
        """Score and save a completed questionnaire (InvalidAnswers: nothing written)."""
        response = outcomes.Response(measure, today, tuple(items), tuple(answers),
                                     outcomes.score(self.knowledge.measures[measure], answers))
        self.store.save_response(patient.id, response)
        return response

    def warning_signs(self) -> list[RedFlag]:
        """The signs that need emergency or same-day care, most urgent first, for a patient who asks."""
        return [flag for flag in self.knowledge.red_flags if flag.urgency in SERIOUS and flag.triggers]
