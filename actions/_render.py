"""The human text that goes with each payload: short, plain, built only from what the Coach returned."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rehab_coach.engine import Advice, Plan
from rehab_coach.model import CheckIn, Dose, Escalation, Exercise, Knowledge

_LEADS = {
    "emergency": "This could be an emergency: call the emergency number now (999, 112 or 911).",
    "urgent": "Please be seen by a doctor today (your GP, an urgent care centre or A&E).",
    "routine": "It would be worth booking a physiotherapist or doctor in the next week or two.",
}
_VERDICTS = {"avoid": "best avoided for now", "caution": "OK with care", "ok": "fine"}


def dose(d: Dose) -> str:
    """The dose in words; a dose with nothing set leaves it to the physio."""
    return d.in_words() or "as your physio advises"


def _bullets(lines: Iterable[str]) -> str:
    return "\n".join(f"• {line}" for line in lines)


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def activity_names(ids: Sequence[str], knowledge: Knowledge) -> list[str]:
    return [_lower_first(knowledge.activities[i].name) if i in knowledge.activities else i for i in ids]


def plan(result: Plan, knowledge: Knowledge) -> str:
    """Phase, each exercise with its dose, what to avoid today and why."""
    lines = [f"Today's plan: phase {result.phase.number} of {knowledge.last_phase}, {result.phase.name}."]
    if result.exercises:
        lines.append(_bullets(f"{p.exercise.name}: {dose(p.dose)}" for p in result.exercises))
    if result.avoid:
        lines.append(f"Avoid today: {', '.join(activity_names(result.avoid, knowledge))}.")
    if result.reasons:
        lines.append(f"Why: {'; '.join(result.reasons)}.")
    return "\n".join(lines)


def checkin_recorded(checkin: CheckIn, day_class: str, reasons: Sequence[str]) -> str:
    why = f" ({'; '.join(reasons)})" if reasons else ""
    article = "an" if day_class[:1] in "aeiou" else "a"
    return f"Thanks, today's check-in is saved: {article} {day_class} day{why}."


def escalation(result: Escalation) -> str:
    """The urgency's instruction first, then the reasons from the knowledge base."""
    return "\n".join([_LEADS[result.urgency], _bullets(result.reasons)])


def advice(result: Advice) -> str:
    return f"{result.activity.name}: {_VERDICTS[result.verdict]}. {result.reason}"


def exercise(item: Exercise, planned: Dose | None) -> str:
    """How to do it, step by step, and the patient's dose today (or that it is not in today's plan)."""
    steps = "\n".join(f"{n}. {step}" for n, step in enumerate(item.steps, start=1))
    if planned is None:
        today = "It isn't in your plan today, so check with your physio before adding it."
    else:
        today = f"Your dose today: {dose(planned)}."
    return f"{item.name}\n{steps}\n{today}"


WHICH_EXERCISE = "Which exercise do you mean? Ask me about any of today's:"


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
