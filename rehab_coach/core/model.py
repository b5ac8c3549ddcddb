"""The knowledge model and the patient's day: frozen, validated-on-load data, no I/O."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

Verdict = Literal["avoid", "caution", "ok"]
Urgency = Literal["emergency", "urgent", "routine"]
DayClass = Literal["green", "amber", "red"]
PhaseStatus = Literal["start", "progress", "hold", "regress"]

VERDICTS: tuple[Verdict, ...] = ("avoid", "caution", "ok")
URGENCIES: tuple[Urgency, ...] = ("emergency", "urgent", "routine")  # most urgent first
SERIOUS: tuple[Urgency, ...] = ("emergency", "urgent")  # replace the turn's coaching: no plan, no exercise
DAY_CLASSES: tuple[DayClass, ...] = ("green", "amber", "red")
PHASE_STATUSES: tuple[PhaseStatus, ...] = ("start", "progress", "hold", "regress")
SIDES = ("left", "right", "both")
SPORTS = ("dance", "running", "football", "other")
SWELLING = ("none", "mild", "marked")
MECHANICAL = ("none", "catching", "locking", "giving_way")
ADHERENCE = ("all", "some", "none")
PAIN_FIELDS = ("pain_rest", "pain_exercise", "pain_morning")
PAIN_RANGE = (0, 10)


@dataclass(frozen=True)
class Source:
    id: str
    title: str
    url: str


@dataclass(frozen=True)
class ExitCriteria:
    consecutive_green: int | None = None
    window_days: int | None = None
    min_green_in_window: int = 0
    max_red_in_window: int = 0
    max_pain_rest: int | None = None
    confirm: tuple[str, ...] = ()


@dataclass(frozen=True)
class Phase:
    id: str
    number: int
    name: str
    typical_weeks: str
    goals: tuple[str, ...]
    entry: tuple[str, ...]
    exit: ExitCriteria | None
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Dose:
    sets: int | None = None
    reps: int | None = None
    hold_seconds: int | None = None
    minutes: int | None = None
    per_day: int | None = None
    per_week: int | None = None
    note: str | None = None

    @classmethod
    def from_payload(cls, values: Mapping[str, object]) -> Dose:
        """The dose in a reply-contract payload (an exercise of a plan, an exercise_info's dosage)."""
        return cls(**{name: values.get(name) for name in cls.__dataclass_fields__})  # type: ignore[arg-type]

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


@dataclass(frozen=True)
class Exercise:
    id: str
    name: str
    target: str
    equipment: tuple[str, ...]
    steps: tuple[str, ...]
    involves: tuple[str, ...]
    aggravated_by: str
    regression: str
    progression: str
    dosage: Mapping[str, tuple[Dose, ...]]
    sources: tuple[str, ...]
    synthesis: bool = False
    aliases: tuple[str, ...] = ()  # what patients call it; the chat's entity patterns come from these
    regress_to: str | None = None
    progress_to: str | None = None
    # How patients describe it without its name: concept ids of `Knowledge.concepts`, one field per group.
    targets: tuple[str, ...] = ()
    uses: tuple[str, ...] = ()
    moves: tuple[str, ...] = ()


CONCEPT_GROUPS = ("targets", "uses", "moves")  # what an exercise works, what it needs, what it does


@dataclass(frozen=True)
class Concept:
    """Words patients use for one thing an exercise targets, uses or does (phrases: knowledge/language.yml syntax)."""

    id: str
    group: str  # one of CONCEPT_GROUPS
    phrases: tuple[str, ...]


@dataclass(frozen=True)
class Activity:
    id: str
    name: str
    synonyms: tuple[str, ...]
    verdicts: Mapping[str, Verdict]
    reasons: Mapping[Verdict, str]
    sources: tuple[str, ...]
    phrases: tuple[str, ...] = ()  # more ways to say it, with gaps and alternatives (resolver only)
    hints: tuple[str, ...] = ()  # words that mean it only when nothing else is named ("class", "training")


@dataclass(frozen=True)
class UncoveredActivity:
    """An activity patients ask about that the catalogue has no advice on yet, and the nearest ones it has."""

    id: str
    name: str
    phrases: tuple[str, ...]
    closest: tuple[str, ...]  # activity ids


@dataclass(frozen=True)
class DayThresholds:
    pain_exercise_min: int
    pain_rest_min: int
    morning_rise_min: int
    swelling: tuple[str, ...]
    swelling_increase: bool
    mechanical: tuple[str, ...]


@dataclass(frozen=True)
class DayRules:
    baseline_checkins: int
    red: DayThresholds
    amber: DayThresholds
    sources: tuple[str, ...]


@dataclass(frozen=True)
class ProgressionRules:
    dose_up_after_green: int
    dose_down_on_red: int
    adherence_counts: tuple[str, ...]
    sources: tuple[str, ...]


@dataclass(frozen=True)
class FlareRules:
    protect_days: int
    protect_max_phase: int
    regress_red_days: int
    regress_window_days: int
    reentry_consecutive_green: int
    sources: tuple[str, ...]


@dataclass(frozen=True)
class ExerciseKind:
    """A kind of exercise (mobility, strength ...): its exercises, most important first."""

    id: str
    name: str
    min_per_day: int  # at least this many of the kind in every session, when the programme has them
    exercises: tuple[str, ...]


@dataclass(frozen=True)
class SessionRules:
    """How today's session is chosen from the programme's exercises (selection.py)."""

    max_exercises: int
    cover_days: int  # every exercise of the programme comes round within this many days
    kinds: tuple[ExerciseKind, ...]  # in priority order; every exercise belongs to exactly one
    sources: tuple[str, ...]


@dataclass(frozen=True)
class AvoidTodayRules:
    """How the activities to avoid are ordered and how many are shown before "and N more"."""

    shown: int
    by_sport: Mapping[str, tuple[str, ...]]  # sport -> activity ids that matter most to it, most first
    sources: tuple[str, ...]


@dataclass(frozen=True)
class ReferralRule:
    """One routine-referral trigger; `reason` is patient-facing with {placeholders} for its numbers."""

    reason: str
    values: tuple[str, ...] = ()
    count: int = 0
    window_days: int = 0
    days: int = 0
    weeks: int = 0
    min_pain_drop: int = 0

    def message(self) -> str:
        return self.reason.format(count=self.count, window_days=self.window_days, days=self.days, weeks=self.weeks)


@dataclass(frozen=True)
class ReferralRules:
    mechanical_immediate: ReferralRule
    persistent_mechanical: ReferralRule
    repeated_red: ReferralRule
    flare_not_settling: ReferralRule
    no_improvement: ReferralRule
    unresolved: ReferralRule
    sources: tuple[str, ...]


@dataclass(frozen=True)
class ResolutionRules:
    """How sure the coach must be of which exercise or activity a patient means (resolve.py)."""

    points: Mapping[str, int]  # names, each concept group, in_session, in_programme
    clear_lead: int  # a winner scores at least this much more than every other exercise
    min_points: int  # the least evidence (plan points aside) that makes an exercise a candidate
    max_choices: int  # a "which one?" question names at most this many
    closest: int  # how many activities "no advice yet" names
    set_aside_window: int  # words between a set-aside cue ("skip", "instead of") and the activity it sets aside
    ordinals: Mapping[str, int]  # "second" -> 2, "last" -> -1: answers to "which one?"


@dataclass(frozen=True)
class Rules:
    day: DayRules
    progression: ProgressionRules
    flare: FlareRules
    session: SessionRules
    avoid_today: AvoidTodayRules
    referral: ReferralRules
    resolution: ResolutionRules


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


@dataclass(frozen=True)
class RedFlag:
    """Triggers are lists of terms (knowledge/red_flags.yml): a concept, `part+finding`, or a quantity."""

    id: str
    urgency: Urgency
    reason: str
    triggers: tuple[tuple[str, ...], ...]
    sources: tuple[str, ...]
    partial: tuple[tuple[str, ...], ...] = ()
    check: str | None = None
    counts_when: tuple[ContextCategory, ...] = ()
    rule: str | None = None  # a referral rule whose numbers the triggers and reason use


@dataclass(frozen=True)
class SafetyCheck:
    """Questions for partial evidence, asked in order; the first outcome the answers meet gives the flag."""

    id: str
    questions: tuple[str, ...]
    outcomes: tuple[tuple[Mapping[str, str], str], ...]  # (answers that must all hold, red flag id)


@dataclass(frozen=True)
class UrgencyWording:
    """What the coach says of an urgency: a banner heading (what to do) and the lead of its message."""

    heading: str
    lead: str


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
    red_flags: tuple[RedFlag, ...]
    checks: Mapping[str, SafetyCheck]
    urgencies: Mapping[str, UrgencyWording]  # red_flags.yml `urgencies`: one for each of URGENCIES
    concepts: Mapping[str, Concept]  # exercises.yml `concepts`, by id
    uncovered: Mapping[str, UncoveredActivity]  # activities.yml `not_covered`, by id
    set_aside: tuple[str, ...]  # activities.yml: cues that set the activity after them aside ("skip", "instead of")

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
