"""Which domain response goes with each payload, and the values that fill it: built only from what the Coach returned.

Every word the patient reads is worded in the domain (domain.yml `responses`); the Rasa server fills the
response with these values. Here are only the values: names, steps and reasons from the knowledge, as bullet
or numbered lists. A message with lines or phrases that only sometimes apply (what to avoid, why, a dose left
to the physio) gets them as a value: each is a response of its own, taken from the domain the action is sent
and filled here as Rasa fills a response.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from rasa_sdk.types import DomainDict

from rehab_coach.core.engine import Advice, Plan, PlannedExercise
from rehab_coach.core.model import Activity, CheckIn, Dose, Escalation, Exercise, Knowledge, RedFlag, UncoveredActivity

Message = dict[str, Any]  # utter_message's keywords: the `response`, and the values that fill it


def part(domain: DomainDict, response: str, **values: object) -> str:
    """A part of a message, worded in the domain's `response`, filled with `values`."""
    return str(domain["responses"][response][0]["text"]).format(**values)


def dose(d: Dose, domain: DomainDict) -> str:
    """The dose in words; a dose with nothing set leaves it to the physio."""
    return d.in_words() or part(domain, "utter_dose_unset")


def _bullets(lines: Iterable[str]) -> str:
    return "\n".join(f"• {line}" for line in lines)


def _numbered(lines: Iterable[str]) -> str:
    return "\n".join(f"{n}. {line}" for n, line in enumerate(lines, start=1))


def _lower_first(text: str) -> str:
    """"Running" -> "running" in a sentence; "HIIT" stays."""
    return text if text[1:2].isupper() else text[:1].lower() + text[1:]


def activity_names(ids: Sequence[str], knowledge: Knowledge) -> list[str]:
    return [_lower_first(knowledge.activities[i].name) if i in knowledge.activities else i for i in ids]


def _exercises(planned: Iterable[PlannedExercise], domain: DomainDict) -> str:
    return _bullets(f"{p.exercise.name}: {dose(p.dose, domain)}" for p in planned)


def _avoid(result: Plan, knowledge: Knowledge, shown: int, domain: DomainDict) -> str:
    names = ", ".join(activity_names(result.avoid[:shown], knowledge))
    more = len(result.avoid) - shown
    return (part(domain, "utter_plan_avoid_more", activities=names, more=more) if more
            else part(domain, "utter_plan_avoid", activities=names))


def _why(result: Plan, domain: DomainDict) -> list[str]:
    return [part(domain, "utter_plan_why", reasons="; ".join(result.reasons))] if result.reasons else []


def _plan(response: str, result: Plan, knowledge: Knowledge, lines: Sequence[str]) -> Message:
    return {"response": response, "phase": result.phase.number, "phases": knowledge.last_phase,
            "phase_name": result.phase.name, "details": "".join(f"\n{line}" for line in lines)}


def plan(result: Plan, knowledge: Knowledge, domain: DomainDict) -> Message:
    """Phase, today's session with doses, the activities that matter most to avoid today, and why."""
    lines = [_exercises(result.exercises, domain)] if result.exercises else []
    if result.avoid:
        lines.append(_avoid(result, knowledge, result.avoid_shown, domain))
    lines += _why(result, domain)
    if result.more_exercises or result.avoid_shown < len(result.avoid):
        lines.append(part(domain, "utter_plan_show_all"))
    return _plan("utter_plan", result, knowledge, lines)


def full_plan(result: Plan, knowledge: Knowledge, domain: DomainDict) -> Message:
    """Everything behind today's plan: today's session, the exercises whose turn is on other days, all to avoid."""
    lines = []
    for heading, exercises in (("utter_plan_today", result.exercises),
                               ("utter_plan_other_days", result.more_exercises)):
        if exercises:
            lines += [part(domain, heading), _exercises(exercises, domain)]
    if result.avoid:
        lines.append(_avoid(result, knowledge, len(result.avoid), domain))
    return _plan("utter_plan_all", result, knowledge, lines + _why(result, domain))


def checkin_recorded(day_class: str, reasons: Sequence[str]) -> Message:
    return {"response": f"utter_checkin_saved_{day_class}", "why": f" ({'; '.join(reasons)})" if reasons else ""}


def escalation(result: Escalation, lead: str) -> Message:
    """The urgency's instruction first (`lead`, knowledge/red_flags.yml `urgencies`), then the reasons."""
    return {"response": "utter_escalation", "lead": lead, "reasons": _bullets(result.reasons)}


def warning_signs(flags: Sequence[RedFlag]) -> Message:
    """Each sign in the words of its red flag, which say how soon to act; most urgent first."""
    return {"response": "utter_warning_signs", "signs": _bullets(f.reason for f in flags)}


def advice(result: Advice) -> Message:
    return {"response": f"utter_activity_{result.verdict}", "activity": result.activity.name, "reason": result.reason}


def exercise(item: Exercise, planned: Dose | None, in_session: bool, domain: DomainDict) -> Message:
    """How to do it, step by step, and the patient's dose: today's, another day's, or not in their programme."""
    how = {"exercise": item.name, "steps": _numbered(item.steps)}
    if planned is None:
        return {"response": "utter_exercise_not_planned", **how}
    return {"response": "utter_exercise_today" if in_session else "utter_exercise_other_day", **how,
            "dose": dose(planned, domain)}


def which_exercise(exercises: Sequence[Exercise], near_tie: bool) -> Message:
    """Which one of a near tie or, when nothing fitted, of today's session: numbered, so "the second" answers it."""
    return {"response": "utter_which_exercise" if near_tie else "utter_which_exercise_today",
            "exercises": _numbered(e.name for e in exercises)}


def _one_of(names: Sequence[str], domain: DomainDict) -> str:
    """"a, b or c"."""
    return part(domain, "utter_one_of", items=", ".join(names[:-1]), last=names[-1]) if len(names) > 1 else names[0]


def no_advice(uncovered: Sequence[UncoveredActivity], closest: Sequence[Activity], answered: bool,
              domain: DomainDict) -> Message:
    """"I don't have advice on that yet", naming what was asked and, if nothing was answered, what can be."""
    asked = {"activities": _one_of([_lower_first(u.name) for u in uncovered], domain)} if uncovered else {}
    if answered:  # then something asked about was not covered
        return {"response": "utter_no_advice_beyond", **asked}
    offer = {"closest": _one_of([_lower_first(a.name) for a in closest], domain)} if closest else {}
    if uncovered:
        return {"response": "utter_no_advice_offer" if closest else "utter_no_advice", **asked, **offer}
    return {"response": "utter_no_advice_on_that_offer" if closest else "utter_no_advice_on_that", **offer}


def progress(days: int, checkins: Sequence[CheckIn], phase_number: int, knowledge: Knowledge) -> Message:
    """Days since starting, check-ins made, the phase, and the worst pain of the latest check-ins."""
    phase = knowledge.phase(phase_number)
    recent = checkins[-7:]
    response = ("utter_progress" if len(checkins) > 1 else "utter_progress_one_checkin" if checkins
                else "utter_progress_no_checkins")
    return {"response": response, "days": days, "checkins": len(checkins), "phase": phase.number,
            "phases": knowledge.last_phase, "phase_name": phase.name, "recent": len(recent),
            "trend": ", ".join(str(c.worst_pain) for c in recent)}
