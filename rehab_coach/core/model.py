"""The knowledge model and the patient's day: frozen, validated-on-load data, no I/O.

The knowledge records are pydantic models (core/schema.py): their fields are the schema of knowledge/.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal, get_args

from pydantic import Field, StrictBool, StrictInt, root_validator, validator

from rehab_coach.core.schema import Id, Record, Text, Texts, Whole, Words, within

Verdict = Literal["avoid", "caution", "ok"]
Urgency = Literal["emergency", "urgent", "routine"]
DayClass = Literal["green", "amber", "red"]
PhaseStatus = Literal["start", "progress", "hold", "regress"]
Swelling = Literal["none", "mild", "marked"]
Mechanical = Literal["none", "catching", "locking", "giving_way"]
Adherence = Literal["all", "some", "none"]

VERDICTS: tuple[Verdict, ...] = ("avoid", "caution", "ok")
URGENCIES: tuple[Urgency, ...] = ("emergency", "urgent", "routine")  # most urgent first
SERIOUS: tuple[Urgency, ...] = ("emergency", "urgent")  # replace the turn's coaching: no plan, no exercise
DAY_CLASSES: tuple[DayClass, ...] = ("green", "amber", "red")
PHASE_STATUSES: tuple[PhaseStatus, ...] = ("start", "progress", "hold", "regress")
SIDES = ("left", "right", "both")
SPORTS = ("dance", "running", "football", "other")
SWELLING: tuple[Swelling, ...] = get_args(Swelling)
MECHANICAL: tuple[Mechanical, ...] = get_args(Mechanical)
ADHERENCE: tuple[Adherence, ...] = get_args(Adherence)
PAIN_FIELDS = ("pain_rest", "pain_exercise", "pain_morning")
PAIN_RANGE = (0, 10)
REMINDER_KINDS = ("daily", "gentle")  # the gentle one after several silent days (rules.yml reminders)


class Source(Record):
    id: str
    title: Text
    url: Text

    @validator("url")
    def _is_a_url(cls, url: str) -> str:
        if not url.startswith(("http://", "https://")):
            raise ValueError("must be a URL")
        return url


class ExitCriteria(Record):
    consecutive_green: Whole | None = within(1, 90, None)
    window_days: Whole | None = within(1, 90, None)
    min_green_in_window: Whole = within(0, 90, 0)
    max_red_in_window: Whole = within(0, 90, 0)
    max_pain_rest: Whole | None = within(0, 10, None)
    confirm: Texts = ()

    @root_validator(skip_on_failure=True)
    def _window(cls, values: dict[str, Any]) -> dict[str, Any]:
        if values["consecutive_green"] is None and values["window_days"] is None:
            raise ValueError("needs consecutive_green or window_days")
        if values["window_days"] is not None and values["min_green_in_window"] > values["window_days"]:
            raise ValueError("min_green_in_window is more than window_days")
        return values


class Phase(Record):
    id: Id
    number: Whole = within(1, 99)
    name: Text
    typical_weeks: Text
    goals: Texts
    entry: Texts
    exit: ExitCriteria | None = None  # on every phase but the last
    sources: Texts


class Dose(Record):
    sets: Whole | None = within(1, 20, None)
    reps: Whole | None = within(1, 500, None)
    hold_seconds: Whole | None = within(1, 600, None)
    minutes: Whole | None = within(1, 180, None)
    per_day: Whole | None = within(1, 10, None)
    per_week: Whole | None = within(1, 7, None)
    note: Text | None = None

    @classmethod
    def from_payload(cls, values: Mapping[str, object]) -> Dose:
        """The dose in a reply-contract payload (an exercise of a plan, an exercise_info's dosage)."""
        return cls.construct(**{name: values.get(name) for name in cls.__fields__})  # type: ignore[arg-type]

    def in_words(self) -> str:
        """'3 × 10, hold 5 s, once a day (seated)', '4 × 30 s hold, twice a day'; empty when nothing is set."""
        if self.reps is not None:
            amount = f"{self.sets} × {self.reps}" if self.sets else f"{self.reps} reps"
            if self.hold_seconds is not None:
                amount += f", hold {self.hold_seconds} s"
        elif self.hold_seconds is not None:
            amount = f"{self.sets} × {self.hold_seconds} s hold" if self.sets else f"hold {self.hold_seconds} s"
        elif self.minutes is not None:
            amount = f"{self.sets} × {self.minutes} min" if self.sets else f"{self.minutes} min"
        else:
            amount = f"{self.sets} sets" if self.sets else ""
        parts = [amount] if amount else []
        parts += [_times(count, unit) for count, unit in ((self.per_day, "day"), (self.per_week, "week")) if count]
        text = ", ".join(parts)
        if self.note:
            text = f"{text} ({self.note})" if text else self.note
        return text


def _times(count: int, unit: str) -> str:
    return {1: f"once a {unit}", 2: f"twice a {unit}"}.get(count, f"{count} times a {unit}")


class DoseLevel(Dose):
    """A level of an exercise's dose ladder: it says how often and how much."""

    @root_validator
    def _how_often(cls, values: dict[str, Any]) -> dict[str, Any]:
        if (values.get("per_day") is None) == (values.get("per_week") is None):
            raise ValueError("needs exactly one of per_day or per_week")
        return values

    @root_validator
    def _how_much(cls, values: dict[str, Any]) -> dict[str, Any]:
        if not any(values.get(key) for key in ("sets", "reps", "hold_seconds", "minutes")):
            raise ValueError("needs at least one of sets, reps, hold_seconds, minutes")
        return values


class Sourced(Record):
    """Cites sources.yml ids; `synthesis`: the numbers are the team's proposal, to be signed off by a clinician."""

    sources: Texts
    synthesis: StrictBool = False


class Exercise(Sourced):
    id: Id
    name: Text
    target: Text
    equipment: Texts = ()
    steps: Texts
    involves: Texts = ()  # activity ids
    aggravated_by: Text
    regression: Text
    progression: Text
    dosage: Mapping[str, tuple[DoseLevel, ...]]  # phase id -> dose levels, easiest first
    aliases: Words = ()  # what patients call it; the chat's entity patterns come from these
    regress_to: Text | None = None
    progress_to: Text | None = None
    # How patients describe it without its name: concept ids of `Knowledge.concepts`, one field per group.
    targets: Texts = ()
    uses: Texts = ()
    moves: Texts = ()

    @validator("dosage")
    def _dosed(cls, dosage: Mapping[str, tuple[DoseLevel, ...]]) -> Mapping[str, tuple[DoseLevel, ...]]:
        if not dosage or not all(dosage.values()):
            raise ValueError("must map at least one phase id to a non-empty list of dose levels")
        return dosage


CONCEPT_GROUPS = ("targets", "uses", "moves")  # what an exercise works, what it needs, what it does


@dataclass(frozen=True)
class Concept:
    """Words patients use for one thing an exercise targets, uses or does (phrases: knowledge/language.yml syntax)."""

    id: str
    group: str  # one of CONCEPT_GROUPS
    phrases: tuple[str, ...]


class Activity(Record):
    id: Id
    name: Text
    synonyms: Words
    verdicts: Mapping[str, Verdict]  # phase id -> verdict
    reasons: Mapping[str, Text]  # verdict -> reason, for each verdict it has
    sources: Texts
    phrases: Words = ()  # more ways to say it, with gaps and alternatives (resolver only)
    hints: Words = ()  # words that mean it only when nothing else is named ("class", "training")


class UncoveredActivity(Record):
    """An activity patients ask about that the catalogue has no advice on yet, and the nearest ones it has."""

    id: Id
    name: Text
    phrases: Words
    closest: Texts = ()  # activity ids


class DayThresholds(Record):
    pain_exercise_min: Whole = within(0, 11)
    pain_rest_min: Whole = within(0, 11)
    morning_rise_min: Whole = within(1, 10)
    swelling: tuple[Swelling, ...] = ()
    swelling_increase: StrictBool = False
    mechanical: tuple[Mechanical, ...] = ()


class DayRules(Sourced):
    baseline_checkins: Whole = within(1, 60)
    red: DayThresholds
    amber: DayThresholds


class ProgressionRules(Sourced):
    dose_up_after_green: Whole = within(1, 30)
    dose_down_on_red: Whole = within(0, 10)
    adherence_counts: tuple[Adherence, ...] = ()


class FlareRules(Sourced):
    protect_days: Whole = within(1, 14)
    protect_max_phase: Whole = within(1, 99)
    regress_red_days: Whole = within(1, 30)
    regress_window_days: Whole = within(1, 60)
    reentry_consecutive_green: Whole = within(1, 30)


class ExerciseKind(Record):
    """A kind of exercise (mobility, strength ...): its exercises, most important first."""

    id: Id
    name: Text
    min_per_day: Whole = within(0, 50)  # at least this many of the kind in every session, when the programme has them
    exercises: Texts


class SessionRules(Sourced):
    """How today's session is chosen from the programme's exercises (selection.py)."""

    max_exercises: Whole = within(1, 50)
    cover_days: Whole = within(1, 28)  # every exercise of the programme comes round within this many days
    kinds: tuple[ExerciseKind, ...]  # in priority order; every exercise belongs to exactly one


class AvoidTodayRules(Sourced):
    """How the activities to avoid are ordered and how many are shown before "and N more"."""

    shown: Whole = within(1, 50)
    by_sport: Mapping[str, Texts]  # sport -> activity ids that matter most to it, most first


class _Untaken:
    """What a referral rule does not take reads as 0 or (): class attributes, not fields, so that its entry
    giving one is an unknown field (pydantic lets a field replace them only because they are falsy)."""

    values: tuple[str, ...] = ()
    count = window_days = days = weeks = min_pain_drop = 0


class ReferralRule(Record, _Untaken):
    """One routine-referral trigger; `reason` is patient-facing with {placeholders} for its numbers."""

    reason: Text

    def message(self) -> str:
        return self.reason.format(count=self.count, window_days=self.window_days, days=self.days, weeks=self.weeks)

    @root_validator(skip_on_failure=True)
    def _placeholders(cls, values: dict[str, Any]) -> dict[str, Any]:
        try:
            cls.construct(**values).message()
        except (KeyError, IndexError, ValueError) as error:
            raise ValueError(f"reason has an unknown placeholder {error}") from None
        return values


class _OnMechanical(ReferralRule):
    values: tuple[Mechanical, ...] = ()


class _Repeated(ReferralRule):
    count: Whole = within(1, 60)
    window_days: Whole = within(1, 120)


class _RepeatedMechanical(_Repeated, _OnMechanical):
    pass


class _NotSettling(ReferralRule):
    days: Whole = within(1, 30)


class _NoImprovement(ReferralRule):
    weeks: Whole = within(1, 52)
    min_pain_drop: Whole = within(1, 10)


class _Unresolved(ReferralRule):
    weeks: Whole = within(1, 104)


class ReferralRules(Sourced):
    mechanical_immediate: _OnMechanical
    persistent_mechanical: _RepeatedMechanical
    repeated_red: _Repeated
    flare_not_settling: _NotSettling
    no_improvement: _NoImprovement
    unresolved: _Unresolved


class ResolutionRules(Record):
    """How sure the coach must be of which exercise or activity a patient means (resolve.py)."""

    points: Mapping[str, Annotated[Whole, within(0, 100)]]  # names, each concept group, in_session, in_programme
    clear_lead: Whole = within(1, 100)  # a winner scores at least this much more than every other exercise
    min_points: Whole = within(1, 100)  # the least evidence (plan points aside) that makes an exercise a candidate
    max_choices: Whole = within(2, 20)  # a "which one?" question names at most this many
    closest: Whole = within(1, 20)  # how many activities "no advice yet" names
    set_aside_window: Whole = within(0, 10)  # words between a set-aside cue ("skip") and the activity it sets aside
    ordinals: Mapping[str, StrictInt]  # "second" -> 2, "last" -> -1: answers to "which one?"

    @validator("ordinals", pre=True)
    def _ordinals(cls, ordinals: Any) -> Any:
        if isinstance(ordinals, dict) and ordinals and all(
                isinstance(k, str) and k == k.lower() and isinstance(n, int) and not isinstance(n, bool) and n
                for k, n in ordinals.items()):
            return ordinals
        raise ValueError("must map lower-case words to non-zero whole numbers (-1: the last)")


class Retries(Record):
    """How a failed send is retried: the waits before each retry, in order."""

    retry_minutes: tuple[Annotated[Whole, within(1, 720)], ...]

    def retry_at(self, at: datetime, attempt: int) -> datetime | None:
        """When the attempt after attempt number `attempt` (1 for the first), claimed `at`, is due; None after the
        last wait."""
        return at + timedelta(minutes=self.retry_minutes[attempt - 1]) if attempt <= len(self.retry_minutes) else None


class ReminderRules(Sourced, Retries):
    """When the daily reminder turns gentler, when the clinic hears of a silent patient, how failed sends are
    retried (services/reminders.py)."""

    gentle_after_days: Whole = within(1, 60)  # silent days (no check-in, up to yesterday)
    alert_clinician_after_days: Whole = within(1, 90)


class _Silent(Record):
    reason: Text  # {days}


class _Stalled(Record):
    weeks: Whole = within(1, 52)
    min_adherence: Whole = within(0, 100)  # percent
    reason: Text  # {phase}, {weeks}, {adherence}


class _Worsening(Record):
    window_days: Whole = within(2, 60)
    min_rise: Whole = within(1, 10)
    reason: Text  # {before}, {after}, {window_days}


class _FunctionWorse(Record):
    reason: Text  # {measure}, {before}, {after}, {since}


class AlertRules(Sourced):
    """The clinicians' alerts on the patient list (core/alerts.py); each reason is checked for its placeholders."""

    silent: _Silent
    stalled_phase: _Stalled
    pain_worsening: _Worsening
    function_worse: _FunctionWorse

    @root_validator(skip_on_failure=True)
    def _placeholders(cls, values: dict[str, Any]) -> dict[str, Any]:
        for name, figures in (("silent", {"days": 7}), ("stalled_phase", {"phase": 2, "weeks": 4, "adherence": 90}),
                              ("pain_worsening", {"before": 2.0, "after": 4.5, "window_days": 7}),
                              ("function_worse", {"measure": "PSFS", "before": 6.0, "after": 3.5,
                                                  "since": "2026-03-02"})):
            try:
                values[name].reason.format(**figures)
            except (KeyError, IndexError, ValueError) as error:
                raise ValueError(f"{name}: reason has an unknown placeholder {error}") from None
        return values


class NotificationRules(Retries):
    """How a failed notice of an emergency or urgent escalation to the clinic is retried
    (services/notifications.py)."""


class Rules(Record):
    day: DayRules = Field(alias="day_classification")
    progression: ProgressionRules
    flare: FlareRules
    session: SessionRules
    avoid_today: AvoidTodayRules
    referral: ReferralRules
    resolution: ResolutionRules
    reminders: ReminderRules
    notifications: NotificationRules = Field(alias="clinic_notifications")
    alerts: AlertRules = Field(alias="clinician_alerts")


ContextCategory = Literal["negated", "historical", "hypothetical", "other", "benign"]
CONTEXT_CATEGORIES: tuple[ContextCategory, ...] = ("negated", "historical", "hypothetical", "other", "benign")
CueDirection = Literal["before", "after", "both"]


@dataclass(frozen=True)
class Cue:
    """A ConText cue: it changes what stands within its category's window after it (`before` cues),
    before it (`after` cues) or either side (`both`); `applies_to` limits it to some concepts."""

    category: ContextCategory
    phrase: str
    direction: CueDirection
    applies_to: tuple[str, ...] = ()


@dataclass(frozen=True)
class Language:
    """How every reader of patient text reads (knowledge/language.yml)."""

    lemmas: Mapping[str, str]
    numbers: Mapping[str, float]
    ignore: tuple[str, ...]
    windows: Mapping[str, int]  # per context category
    bind_window: int
    terminators: tuple[str, ...]
    pseudo: tuple[str, ...]
    cues: tuple[Cue, ...]
    persisting: tuple[str, ...]
    pronouns: tuple[str, ...]
    patient_named: tuple[str, ...]
    writing_for: tuple[str, ...]


class RedFlag(Record):
    """Triggers are lists of terms (knowledge/red_flags.yml): a concept, `part+finding`, or a quantity."""

    id: Id
    urgency: Urgency
    reason: Text
    triggers: tuple[Texts, ...]  # empty for a flag only a safety check raises
    sources: Texts
    partial: tuple[Texts, ...] = ()
    check: Text | None = None
    counts_when: tuple[ContextCategory, ...] = ()
    rule: Text | None = None  # a referral rule whose numbers the triggers and reason use


class SafetyCheck(Record):
    """Questions for partial evidence, asked in order; the first outcome the answers meet gives the flag."""

    id: str
    questions: Texts
    outcomes: tuple[tuple[Mapping[str, str], str], ...]  # (answers that must all hold, red flag id)

    @validator("outcomes", pre=True)
    def _outcomes(cls, outcomes: Any, values: dict[str, Any]) -> Any:
        """From YAML's [{when: {question: "yes" or "no"}, flag: red flag id}, ...] to (when, flag) pairs."""
        if not isinstance(outcomes, list) or not outcomes:
            raise ValueError("must be a non-empty list of {when: {question: answer}, flag: red flag id}")
        for outcome in outcomes:
            when = outcome.get("when") if isinstance(outcome, dict) else None
            if not isinstance(when, dict) or not when or not isinstance(outcome.get("flag"), str) or len(outcome) > 2:
                raise ValueError("each outcome needs `when` (question: answer) and `flag`, and nothing else")
            for question, answer in when.items():
                if question not in values.get("questions", ()):
                    raise ValueError(f"{question!r} is not one of this check's questions")
                if answer not in ("yes", "no"):
                    raise ValueError(f"{question}: {answer!r} must be \"yes\" or \"no\" (quoted)")
        return tuple((outcome["when"], outcome["flag"]) for outcome in outcomes)


class Scale(Record):
    """An item's ratings: whole numbers from `lowest` to `highest`."""

    lowest: Whole = within(0, 100)
    highest: Whole = within(1, 100)

    @root_validator(skip_on_failure=True)
    def _rises(cls, values: dict[str, Any]) -> dict[str, Any]:
        if values["lowest"] >= values["highest"]:
            raise ValueError("lowest must be below highest")
        return values


class ImportantChange(Record):
    """The minimal clinically important difference: of the score, and (PSFS) of a single item."""

    score: Whole = within(1, 100)
    item: Whole | None = within(1, 100, None)


class Cadence(Record):
    baseline: StrictBool  # asked at enrolment
    every_days: Whole = within(1, 365)  # then again this many days after the last time
    discharge: StrictBool  # asked when the programme ends


class OutcomeMeasure(Sourced):
    """A functional outcome measure (outcome_measures.yml): its structure, scoring, important change, cadence."""

    id: Id
    name: Text
    items_from: Literal["patient", "clinic"]  # the patient's own activities, or a licensed text the clinic supplies
    items: Whole = within(1, 100)  # patient: at most this many
    min_answered: Whole = within(1, 100)  # items rated (not skipped, not N/A) for a score
    scale: Scale
    not_applicable: StrictBool  # an item may be answered N/A, and is then left out of the score
    score: Literal["mean", "percent", "sum"]  # of the items rated; percent: their sum over the highest it could be
    mcid: ImportantChange
    cadence: Cadence

    @root_validator(skip_on_failure=True)
    def _enough_items(cls, values: dict[str, Any]) -> dict[str, Any]:
        if values["min_answered"] > values["items"]:
            raise ValueError("min_answered is more than items")
        return values


class Questionnaire(Record):
    """A licensed questionnaire's text, supplied by the clinic (knowledge/questionnaires/<measure>.yml)."""

    measure: Id
    licence: Text  # under what the clinic uses it
    stem: Text  # the words before every item ("Because of your foot and ankle, how much difficulty ...")
    choices: Mapping[int, Text]  # each rating of the measure's scale, with its words
    not_applicable: Text | None = None  # the words of N/A, for a measure that allows it
    items: Texts


class UrgencyWording(Record):
    """What the coach says of an urgency: a banner heading (what to do) and the lead of its message."""

    heading: Text
    lead: Text


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: loaded once, used as a cache key
class Knowledge:
    sources: Mapping[str, Source]
    phases: tuple[Phase, ...]
    exercises: Mapping[str, Exercise]
    activities: Mapping[str, Activity]
    rules: Rules
    language: Language
    parts: Mapping[str, tuple[str, ...]]  # body parts a red-flag finding can belong to
    findings: Mapping[str, tuple[str, ...]]  # every other red-flag concept
    body_parts: Mapping[str, tuple[str, ...]]  # id -> words patients use, for the chat's entity patterns
    places: Mapping[str, tuple[str, ...]]  # IANA time zone -> other words for it (countries, regions)
    not_places: tuple[str, ...]  # zone city names that are everyday words
    red_flags: tuple[RedFlag, ...]
    checks: Mapping[str, SafetyCheck]
    urgencies: Mapping[str, UrgencyWording]  # red_flags.yml `urgencies`: one for each of URGENCIES
    concepts: Mapping[str, Concept]  # exercises.yml `concepts`, by id
    uncovered: Mapping[str, UncoveredActivity]  # activities.yml `not_covered`, by id
    set_aside: tuple[str, ...]  # activities.yml: cues that set the activity after them aside ("skip", "instead of")
    measures: Mapping[str, OutcomeMeasure]  # outcome_measures.yml, by id
    questionnaires: Mapping[str, Questionnaire]  # the licensed texts a clinic supplied, by measure id

    def phase(self, number: int) -> Phase:
        """The phase with this number (1-based)."""
        return self.phases[number - 1]

    @property
    def last_phase(self) -> int:
        return len(self.phases)


@dataclass(frozen=True)
class Patient:
    """What the engine needs to know about a patient (onboarding answers may still be missing)."""

    enrolled: date
    side: str | None = None
    sport: str | None = None
    diagnosed: bool | None = None


class InvalidCheckIn(ValueError):
    """A check-in with values outside their allowed ranges; `problems` lists each one."""

    def __init__(self, problems: tuple[str, ...]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class CheckIn:
    """One day's answers. Construct through `CheckIn.validated` to get every problem at once."""

    day: date
    pain_rest: int
    pain_exercise: int
    pain_morning: int
    swelling: str
    mechanical: str
    adherence: str

    @classmethod
    def validated(cls, day: date, today: date, **values: object) -> CheckIn:
        """Check every value and the date (not after `today`); raise InvalidCheckIn listing all problems."""
        problems = []
        if day > today:
            problems.append(f"date {day.isoformat()} is in the future")
        expected = set(PAIN_FIELDS) | {"swelling", "mechanical", "adherence"}
        for name in sorted(set(values) - expected):
            problems.append(f"{name}: unknown field")
        low, high = PAIN_RANGE
        for name in PAIN_FIELDS:
            value = values.get(name)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                problems.append(f"{name}: {value!r} is not a whole number from {low} to {high}")
        for name, allowed in (("swelling", SWELLING), ("mechanical", MECHANICAL), ("adherence", ADHERENCE)):
            if values.get(name) not in allowed:
                problems.append(f"{name}: {values.get(name)!r} is not one of {', '.join(allowed)}")
        if problems:
            raise InvalidCheckIn(tuple(problems))
        return cls(day=day, **values)  # type: ignore[arg-type]

    @property
    def worst_pain(self) -> int:
        return max(self.pain_rest, self.pain_exercise, self.pain_morning)

    def values(self) -> dict:
        """The answers as the reply contract's `values` object."""
        return {name: getattr(self, name) for name in (*PAIN_FIELDS, "swelling", "mechanical", "adherence")}


@dataclass(frozen=True)
class Escalation:
    urgency: Urgency
    reasons: tuple[str, ...]
    triggers: tuple[str, ...] = field(default=())  # red-flag or rule ids, for clinicians
