"""The human text that goes with each payload: short, plain, built only from what the Coach returned."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rehab_coach.core.engine import Advice, Plan, PlannedExercise
from rehab_coach.core.model import Activity, CheckIn, Dose, Escalation, Exercise, Knowledge, RedFlag, UncoveredActivity

_VERDICTS = {"avoid": "best avoided for now", "caution": "OK with care", "ok": "fine"}


def dose(d: Dose) -> str:
    """The dose in words; a dose with nothing set leaves it to the physio."""
    return d.in_words() or "as your physio advises"


def _bullets(lines: Iterable[str]) -> str:
    return "\n".join(f"• {line}" for line in lines)


def _lower_first(text: str) -> str:
    """"Running" -> "running" in a sentence; "HIIT" stays."""
    return text if text[1:2].isupper() else text[:1].lower() + text[1:]


def activity_names(ids: Sequence[str], knowledge: Knowledge) -> list[str]:
    return [_lower_first(knowledge.activities[i].name) if i in knowledge.activities else i for i in ids]


SHOW_ALL = "Ask me to \"show all my exercises\" for the rest of them and everything to avoid."


def _exercises(planned: Iterable[PlannedExercise]) -> str:
    return _bullets(f"{p.exercise.name}: {dose(p.dose)}" for p in planned)


def _avoid(result: Plan, knowledge: Knowledge, shown: int) -> str:
    names = activity_names(result.avoid[:shown], knowledge)
    more = len(result.avoid) - shown
    return f"Avoid today: {', '.join(names)}{f' and {more} more' if more else ''}."


def plan(result: Plan, knowledge: Knowledge) -> str:
    """Phase, today's session with doses, the activities that matter most to avoid today, and why."""
    lines = [f"Today's plan: phase {result.phase.number} of {knowledge.last_phase}, {result.phase.name}."]
    if result.exercises:
        lines.append(_exercises(result.exercises))
    if result.avoid:
        lines.append(_avoid(result, knowledge, result.avoid_shown))
    if result.reasons:
        lines.append(f"Why: {'; '.join(result.reasons)}.")
    if result.more_exercises or result.avoid_shown < len(result.avoid):
        lines.append(SHOW_ALL)
    return "\n".join(lines)


def full_plan(result: Plan, knowledge: Knowledge) -> str:
    """Everything behind today's plan: today's session, the exercises whose turn is on other days, all to avoid."""
    lines = [f"All your exercises in phase {result.phase.number} of {knowledge.last_phase}, {result.phase.name}."]
    for heading, exercises in (("Today:", result.exercises), ("On other days:", result.more_exercises)):
        if exercises:
            lines += [heading, _exercises(exercises)]
    if result.avoid:
        lines.append(_avoid(result, knowledge, len(result.avoid)))
    if result.reasons:
        lines.append(f"Why: {'; '.join(result.reasons)}.")
    return "\n".join(lines)


def checkin_recorded(checkin: CheckIn, day_class: str, reasons: Sequence[str]) -> str:
    why = f" ({'; '.join(reasons)})" if reasons else ""
    article = "an" if day_class[:1] in "aeiou" else "a"
    return f"Thanks, today's check-in is saved: {article} {day_class} day{why}."


def escalation(result: Escalation, lead: str) -> str:
    """The urgency's instruction first (`lead`, knowledge/red_flags.yml `urgencies`), then the reasons."""
    return "\n".join([lead, _bullets(result.reasons)])


WARNING_SIGNS_LEAD = "These need help at once. If you notice any of them, don't wait for your next check-in:"


def warning_signs(flags: Sequence[RedFlag]) -> str:
    """Each sign in the words of its red flag, which say how soon to act; most urgent first."""
    return "\n".join([WARNING_SIGNS_LEAD, _bullets(f.reason for f in flags)])


def advice(result: Advice) -> str:
    return f"{result.activity.name}: {_VERDICTS[result.verdict]}. {result.reason}"


def exercise(item: Exercise, planned: Dose | None, in_session: bool = True) -> str:
    """How to do it, step by step, and the patient's dose: today's, another day's, or not in their programme."""
    steps = "\n".join(f"{n}. {step}" for n, step in enumerate(item.steps, start=1))
    if planned is None:
        today = "It isn't in your plan today, so check with your physio before adding it."
    elif not in_session:
        today = f"It isn't in today's session: its turn comes on another day. Your dose then: {dose(planned)}."
    else:
        today = f"Your dose today: {dose(planned)}."
    return f"{item.name}\n{steps}\n{today}"


WHICH_ONE = "Which one do you mean?"
NOT_SURE = "I'm not sure which exercise you mean. Today's are:"


def which_exercise(exercises: Sequence[Exercise], near_tie: bool) -> str:
    """Which one of a near tie or, when nothing fitted, of today's session: numbered, so "the second" answers it."""
    return "\n".join([WHICH_ONE if near_tie else NOT_SURE, *(f"{n}. {e.name}" for n, e in enumerate(exercises, 1))])


def _one_of(names: Sequence[str]) -> str:
    """"a, b or c"."""
    return f"{', '.join(names[:-1])} or {names[-1]}" if len(names) > 1 else "".join(names)


def no_advice(uncovered: Sequence[UncoveredActivity], closest: Sequence[Activity], answered: bool) -> str:
    """"I don't have advice on that yet", naming what was asked and, if nothing was answered, what can be."""
    asked = _one_of([_lower_first(u.name) for u in uncovered]) or "that"
    if answered:
        return f"I don't have advice on {asked} yet, beyond the above."
    offer = f" I can tell you about {_one_of([_lower_first(a.name) for a in closest])}." if closest else ""
    return f"I don't have advice on {asked} yet.{offer}"


def progress(days: int, checkins: Sequence[CheckIn], phase_number: int, knowledge: Knowledge) -> str:
    """Days since starting, check-ins made, the phase, and the worst pain of the latest check-ins."""
    phase = knowledge.phase(phase_number)
    text = (f"Day {days} since you started: {len(checkins)} check-in{'s' if len(checkins) != 1 else ''}, "
            f"now in phase {phase.number} of {knowledge.last_phase} ({phase.name}).")
    recent = checkins[-7:]
    if recent:
        trend = ", ".join(str(c.worst_pain) for c in recent)
        text += f"\nWorst pain, latest {len(recent)} check-in{'s' if len(recent) != 1 else ''} (oldest first): {trend}."
    return text
