"""The progression engine: day classification -> phase decision -> plan.

Pure and deterministic: the patient's course is replayed from their check-ins, so the same history
always gives the same phase, and every decision carries its reasons. Every number comes from
`knowledge/rules.yml` and `knowledge/phases.yml`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import NamedTuple

from rehab_coach.core import selection
from rehab_coach.core.model import (
    SWELLING,
    Activity,
    CheckIn,
    DayClass,
    DayThresholds,
    Dose,
    Exercise,
    Knowledge,
    Patient,
    Phase,
    PhaseStatus,
    Verdict,
)

_MECHANICAL_WORDS = {"catching": "caught", "locking": "locked", "giving_way": "gave way"}


# A replay makes a Classification, a CourseState and a DayResult for every day of the course: named tuples,
# immutable like frozen dataclasses and several times cheaper to make.
class Classification(NamedTuple):
    day_class: DayClass
    reasons: tuple[str, ...]


class CourseState(NamedTuple):
    """Where the patient stands after a day. `since` is the day the current phase was decided.

    The replay makes an everyday state with the constructor: `_replace` costs twice as much.
    """

    phase: int = 1
    since: date = date.min
    highest: int = 1
    dose_level: int = 0
    green_streak: int = 0
    last_red: date | None = None


class DayResult(NamedTuple):
    checkin: CheckIn
    classification: Classification
    status: PhaseStatus
    reasons: tuple[str, ...]
    state: CourseState


@dataclass(frozen=True)
class PlannedExercise:
    exercise: Exercise
    dose: Dose


@dataclass(frozen=True)
class Plan:
    day: date
    phase: Phase
    status: PhaseStatus
    exercises: tuple[PlannedExercise, ...]  # today's session
    more_exercises: tuple[PlannedExercise, ...]  # the rest of today's programme: their turn is on other days
    avoided: tuple[Activity, ...]  # every activity to avoid today, the most relevant to the patient's sport first
    avoid_shown: int  # how many of them to show before "and N more"
    reasons: tuple[str, ...]
    day_class: DayClass | None = None

    @property
    def avoid(self) -> tuple[str, ...]:
        """The ids of the activities to avoid today."""
        return tuple(activity.id for activity in self.avoided)

    def in_session(self, exercise_id: str) -> bool:
        """In today's session (not just in the programme)."""
        return any(p.exercise.id == exercise_id for p in self.exercises)

    def dose(self, exercise_id: str) -> Dose | None:
        """The exercise's dose in today's programme (today's session or another day's), None if not in it."""
        return next((p.dose for p in (*self.exercises, *self.more_exercises) if p.exercise.id == exercise_id), None)


@dataclass(frozen=True)
class Advice:
    activity: Activity
    verdict: Verdict
    reason: str


_GREEN = Classification("green", ("pain stayed in the safe zone and settled by the morning",))


def _one_per_day(history: Sequence[CheckIn]) -> list[CheckIn]:
    """Check-ins in day order; if a day appears twice, the later entry wins."""
    by_day: dict[date, CheckIn] = {checkin.day: checkin for checkin in history}
    return [by_day[day] for day in sorted(by_day)]


def _signs(t: DayThresholds, today: CheckIn, baseline: int, previous: CheckIn | None) -> list[str]:
    signs = []
    if today.pain_exercise >= t.pain_exercise_min:
        signs.append(f"pain during exercise {today.pain_exercise}/10")
    if today.pain_rest >= t.pain_rest_min:
        signs.append(f"pain at rest {today.pain_rest}/10")
    if today.pain_morning - baseline >= t.morning_rise_min:
        signs.append(f"morning pain {today.pain_morning}/10, above your usual {baseline}/10")
    if today.swelling in t.swelling:
        signs.append(f"{today.swelling} swelling")
    if t.swelling_increase and previous and SWELLING.index(today.swelling) > SWELLING.index(previous.swelling):
        signs.append("more swelling than at your last check-in")
    if today.mechanical in t.mechanical:
        signs.append(f"the ankle {_MECHANICAL_WORDS[today.mechanical]}")
    return signs


def classify_day(checkin: CheckIn, history: Sequence[CheckIn], knowledge: Knowledge) -> Classification:
    """Green, amber or red for this check-in, judged against the check-ins before it."""
    before = [c for c in _one_per_day(history) if c.day < checkin.day]
    return _classify(checkin, before[-knowledge.rules.day.baseline_checkins:], knowledge)


def _classify(checkin: CheckIn, recent: Sequence[CheckIn], knowledge: Knowledge) -> Classification:
    """Classify against `recent`: the last baseline_checkins check-ins before this one, in day order."""
    rules = knowledge.rules.day
    baseline = min([c.pain_morning for c in recent], default=checkin.pain_morning)
    previous = recent[-1] if recent else None
    red = _signs(rules.red, checkin, baseline, previous)
    if red:
        return Classification("red", tuple(red))
    amber = _signs(rules.amber, checkin, baseline, previous)
    if amber:
        return Classification("amber", tuple(amber))
    return _GREEN


def _window(past: Sequence[DayResult], state: CourseState, today: date, days: int) -> list[DayResult]:
    """Results of the last `days` calendar days before today that belong to the current phase."""
    recent = []
    for result in reversed(past):  # past is in day order: stop at the first day outside the window
        if result.checkin.day <= state.since or (today - result.checkin.day).days >= days:
            break
        recent.append(result)
    return recent


def _counts(result_class: DayClass, checkin: CheckIn, knowledge: Knowledge) -> bool:
    """A green day moves the patient on only if they did at least part of the plan."""
    return result_class == "green" and checkin.adherence in knowledge.rules.progression.adherence_counts


def _ready(state: CourseState, checkin: CheckIn, past: Sequence[DayResult], knowledge: Knowledge) -> tuple[str, ...]:
    """The reasons to move to the next phase today, or () if its exit criteria are not all met."""
    if state.phase >= knowledge.last_phase:
        return ()
    if state.phase < state.highest:
        need = knowledge.rules.flare.reentry_consecutive_green
        return (f"{need} green days in a row since stepping back",) if state.green_streak >= need else ()
    criteria = knowledge.phase(state.phase).exit
    assert criteria is not None  # every phase but the last has one (checked on load)
    reasons = []
    if criteria.consecutive_green:
        if state.green_streak < criteria.consecutive_green:
            return ()
        reasons.append(f"{criteria.consecutive_green} green days in a row")
    if criteria.window_days:
        if (checkin.day - state.since).days < criteria.window_days:
            return ()
        days = [*_window(past, state, checkin.day, criteria.window_days)]
        greens = 1 + sum(_counts(r.classification.day_class, r.checkin, knowledge) for r in days)
        reds = sum(r.classification.day_class == "red" for r in days)
        if greens < criteria.min_green_in_window or reds > criteria.max_red_in_window:
            return ()
        reasons.append(f"{greens} green days and {reds} red days in the last {criteria.window_days} days")
    if criteria.max_pain_rest is not None:
        if checkin.pain_rest > criteria.max_pain_rest:
            return ()
        reasons.append(f"pain at rest {checkin.pain_rest}/10")
    return tuple(reasons)


@lru_cache(maxsize=64)
def _top_level(knowledge: Knowledge, phase_id: str) -> int:
    """The highest dose level of the phase's exercises."""
    return max((len(e.dosage[phase_id]) - 1 for e in knowledge.exercises.values() if phase_id in e.dosage), default=0)


def _decide(
    state: CourseState, checkin: CheckIn, day_class: DayClass, past: Sequence[DayResult], knowledge: Knowledge
) -> tuple[CourseState, PhaseStatus, tuple[str, ...]]:
    rules = knowledge.rules
    today = checkin.day
    if day_class == "red":
        state = CourseState(state.phase, state.since, state.highest, green_streak=0, last_red=today,
                            dose_level=max(0, state.dose_level - rules.progression.dose_down_on_red))
        if state.phase > 1:  # phase 1 has no phase to step back to
            window = rules.flare.regress_window_days
            reds = 1 + sum(r.classification.day_class == "red" for r in _window(past, state, today, window))
            if reds >= rules.flare.regress_red_days:
                back = knowledge.phase(state.phase - 1)
                return (state._replace(phase=back.number, since=today), "regress",
                        (f"{reds} red days within {window} days: stepping back to phase {back.number}, "
                         f"{back.name}, until the ankle settles",))
        return state, "hold", ("staying at this stage, with lighter work for the next days",)
    if day_class == "amber":
        return (CourseState(state.phase, state.since, state.highest, state.dose_level, green_streak=0,
                            last_red=state.last_red), "hold",
                ("same exercises and doses as before; no step up today",))
    if not _counts(day_class, checkin, knowledge):
        return state, "hold", ("the plan was not done: do it before we step up",)
    streak = state.green_streak + 1
    phase = knowledge.phase(state.phase)
    step_up = streak % rules.progression.dose_up_after_green == 0 and state.dose_level < _top_level(knowledge, phase.id)
    state = CourseState(state.phase, state.since, state.highest, dose_level=state.dose_level + step_up,
                        green_streak=streak, last_red=state.last_red)
    ready = _ready(state, checkin, past, knowledge)
    if ready:
        following = knowledge.phase(state.phase + 1)
        confirm = phase.exit.confirm if phase.exit else ()
        return (
            CourseState(phase=following.number, since=today, highest=max(state.highest, following.number),
                        last_red=state.last_red),
            "progress",
            (f"{' and '.join(ready)}: moving on to phase {following.number}, {following.name}",
             *(f"check for yourself: {item}" for item in confirm)),
        )
    note = f"{streak} green day{'s' * (streak > 1)} in a row"
    return state, "hold", (f"{note}: doses step up" if step_up else f"{note}: keep going",)


def follow_course(history: Sequence[CheckIn], knowledge: Knowledge) -> list[DayResult]:
    """Replay every check-in in day order: each day's class, phase decision and resulting state."""
    checkins = _one_per_day(history)
    results: list[DayResult] = []
    state = CourseState()
    baseline = knowledge.rules.day.baseline_checkins
    for index, checkin in enumerate(checkins):
        classification = _classify(checkin, checkins[max(0, index - baseline):index], knowledge)
        state, status, reasons = _decide(state, checkin, classification.day_class, results, knowledge)
        results.append(DayResult(checkin, classification, status, reasons, state))
    return results


def _protecting(state: CourseState, today: date, knowledge: Knowledge) -> bool:
    """Within the flare protocol's protect days after a red day."""
    return state.last_red is not None and (today - state.last_red).days < knowledge.rules.flare.protect_days


def avoided_activities(state: CourseState, today: date, knowledge: Knowledge) -> tuple[Activity, ...]:
    """Activities to avoid today: `avoid` in the phase, and `caution` ones too while protecting."""
    phase_id = knowledge.phase(state.phase).id
    banned = {"avoid", "caution"} if _protecting(state, today, knowledge) else {"avoid"}
    return tuple(a for a in knowledge.activities.values() if a.verdicts[phase_id] in banned)


def _course_until(history: Sequence[CheckIn], today: date, knowledge: Knowledge) -> list[DayResult]:
    return follow_course([c for c in history if c.day <= today], knowledge)


def _current(course: Sequence[DayResult]) -> tuple[CourseState, DayResult | None]:
    """The state the course ends in and its last day; the starting state and None before any check-in."""
    return (course[-1].state, course[-1]) if course else (CourseState(), None)


def plan_for_today(patient: Patient, history: Sequence[CheckIn], today: date, knowledge: Knowledge) -> Plan:
    """Today's exercises with their doses, the activities to avoid, and why."""
    return plan_from_course(patient, _course_until(history, today, knowledge), today, knowledge)


def plan_from_course(patient: Patient, course: Sequence[DayResult], today: date, knowledge: Knowledge) -> Plan:
    """`plan_for_today` from the course up to today (`follow_course`), for a caller that has replayed it already."""
    state, last = _current(course)
    phase = knowledge.phase(state.phase)
    checked_in = last if last is not None and last.checkin.day == today else None
    if last is None:
        status: PhaseStatus = "start"
        reasons: tuple[str, ...] = (f"starting at phase 1, {phase.name}",)
    elif checked_in:
        signs = "; ".join(checked_in.classification.reasons)
        status, reasons = checked_in.status, (f"{checked_in.classification.day_class} day: {signs}", *last.reasons)
    else:
        status, reasons = "hold", (f"no check-in yet today: this plan follows your check-in of "
                                   f"{last.checkin.day.isoformat()}",)
    programme = phase
    if _protecting(state, today, knowledge):
        programme = knowledge.phase(min(phase.number, knowledge.rules.flare.protect_max_phase))
        reasons += (f"after a red day: gentler phase {programme.number} exercises and no provoking activities "
                    f"for {knowledge.rules.flare.protect_days} days",)
    avoided = avoided_activities(state, today, knowledge)
    doses = {
        exercise.id: PlannedExercise(exercise, levels[min(state.dose_level, len(levels) - 1)])
        for exercise in knowledge.exercises.values()
        if (levels := exercise.dosage.get(programme.id)) and not set(exercise.involves) & {a.id for a in avoided}
    }
    rules = knowledge.rules.session
    cycle = selection.cycle(tuple(doses), rules)
    todays = cycle[(today - max(state.since, patient.enrolled)).days % len(cycle)]  # the phase's first day first
    if len(cycle) > 1:
        reasons += (f"{len(todays)} of your {len(doses)} exercises today: they take turns, so each one comes "
                    f"round at least every {len(cycle)} days",)
    relevant = selection.most_relevant_first(avoided, patient.sport, knowledge.rules.avoid_today)
    return Plan(
        day=today, phase=phase, status=status,
        exercises=tuple(doses[ident] for ident in todays),
        more_exercises=tuple(doses[ident] for ident in selection.in_kind_order(doses.keys() - set(todays), rules)),
        avoided=relevant, avoid_shown=min(knowledge.rules.avoid_today.shown, len(relevant)), reasons=reasons,
        day_class=checked_in.classification.day_class if checked_in else None,
    )


def advise_activity(
    activity_id: str, patient: Patient, history: Sequence[CheckIn], today: date, knowledge: Knowledge
) -> Advice:
    """May the patient do this activity today? The phase's verdict, made stricter after a red day."""
    return advice_from_course(activity_id, _course_until(history, today, knowledge), today, knowledge)


def advice_from_course(activity_id: str, course: Sequence[DayResult], today: date, knowledge: Knowledge) -> Advice:
    """`advise_activity` from the course up to today (`follow_course`), for a caller that has replayed it already."""
    activity = knowledge.activities[activity_id]
    state, _ = _current(course)
    verdict = activity.verdicts[knowledge.phase(state.phase).id]
    reason = activity.reasons[verdict]
    if verdict == "caution" and activity in avoided_activities(state, today, knowledge):
        verdict = "avoid"
        reason = (f"You had a red day recently, so give it {knowledge.rules.flare.protect_days} days' rest "
                  f"from this. Afterwards: {reason}")
    return Advice(activity, verdict, reason)
