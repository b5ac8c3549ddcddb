"""Reply-contract payloads (shared/reply-contract.md), built from core results. Pure, no I/O."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from rehab_coach.core.engine import Advice, Plan, PlannedExercise
from rehab_coach.core.model import (
    ADHERENCE,
    MECHANICAL,
    PAIN_RANGE,
    SIDES,
    SPORTS,
    SWELLING,
    CheckIn,
    Dose,
    Escalation,
    Exercise,
    OutcomeMeasure,
    Questionnaire,
    RedFlag,
)
from rehab_coach.core.outcomes import NOT_APPLICABLE, Response

SCHEMA_PATH = Path(__file__).with_name("reply_contract.schema.json")

# Every question the coach asks, in the contract's terms: field -> (type, extra keys).
QUESTIONS: dict[str, dict[str, Any]] = {
    "side": {"type": "choice", "choices": list(SIDES)},
    "sport": {"type": "choice", "choices": list(SPORTS)},
    "diagnosed": {"type": "yesno"},
    "pain_rest": {"type": "scale", "min": PAIN_RANGE[0], "max": PAIN_RANGE[1]},
    "pain_exercise": {"type": "scale", "min": PAIN_RANGE[0], "max": PAIN_RANGE[1]},
    "pain_morning": {"type": "scale", "min": PAIN_RANGE[0], "max": PAIN_RANGE[1]},
    "swelling": {"type": "choice", "choices": list(SWELLING)},
    "mechanical": {"type": "choice", "choices": list(MECHANICAL)},
    "adherence": {"type": "choice", "choices": list(ADHERENCE)},
}


@lru_cache(maxsize=1)
def schema() -> dict:
    """The contract's JSON Schema, kept in the repository."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def question(field: str, problem: str | None = None) -> dict:
    """Ask for one value; `problem` says why the previous answer was not accepted."""
    payload = {"kind": "question", "field": field, **QUESTIONS[field]}
    return {**payload, "problem": problem} if problem else payload


def chosen(question: dict, text: str) -> bool:
    """The message is one of the question's choices, or the words shown for one, as its button sends it."""
    return text.strip().lower() in {c.lower() for c in (*question.get("choices", ()), *question.get("labels", ()))}


def choice(field: str, options: Sequence[tuple[str, str]]) -> dict:
    """Ask which one of `options`, (id, name) pairs: `choices` are the ids, `labels` the names to show."""
    return {"kind": "question", "field": field, "type": "choice", "choices": [i for i, _ in options],
            "labels": [name for _, name in options]}


def offer(measure: OutcomeMeasure) -> dict:
    """Offer a questionnaire due today: yes starts it, no leaves it for the next check-in."""
    return {"kind": "question", "field": "questionnaire_now", "type": "yesno", "measure": measure.id}


def activities_question(measure: OutcomeMeasure) -> dict:
    """Ask for the activities PSFS rates (free text: "releve, jumps, pointe")."""
    return {"kind": "question", "field": f"{measure.id}_activities", "type": "text", "measure": measure.id,
            "skippable": True}


def item_question(measure: OutcomeMeasure, number: int, item: str, text: Questionnaire | None) -> dict:
    """Ask item `number` (from 1) of a measure: a scale, or the clinic's worded ratings (highest first, then N/A)."""
    payload: dict[str, Any] = {"kind": "question", "field": f"{measure.id}_{number}"}
    if text is None:
        payload.update(type="scale", min=measure.scale.lowest, max=measure.scale.highest)
    else:
        ratings = sorted(text.choices, reverse=True)
        payload.update(type="choice", choices=[str(r) for r in ratings], labels=[text.choices[r] for r in ratings])
        if measure.not_applicable and text.not_applicable:
            payload["choices"].append(NOT_APPLICABLE)
            payload["labels"].append(text.not_applicable)
    return {**payload, "measure": measure.id, "item": item, "skippable": True}


def measure_recorded(response: Response) -> dict:
    return {"kind": "measure_recorded", "measure": response.measure, "date": response.day.isoformat(),
            "items": list(response.items), "answers": list(response.answers), "score": response.score}


def checkin_recorded(checkin: CheckIn, day_class: str, reasons: tuple[str, ...] = ()) -> dict:
    return {"kind": "checkin_recorded", "date": checkin.day.isoformat(), "values": checkin.values(),
            "day_class": day_class, "reasons": list(reasons)}


def _planned(exercises: tuple[PlannedExercise, ...]) -> list[dict]:
    return [{"id": p.exercise.id, "name": p.exercise.name, **dict(p.dose)} for p in exercises]


def plan(result: Plan, show_all: bool = False) -> dict:
    """Today's plan; `show_all` when the patient asked for every exercise and everything to avoid."""
    payload = {
        "kind": "plan",
        "date": result.day.isoformat(),
        "phase": result.phase.id,
        "phase_name": result.phase.name,
        "phase_number": result.phase.number,
        "status": result.status,
        "day_class": result.day_class,
        "exercises": _planned(result.exercises),
        "more_exercises": _planned(result.more_exercises),
        "avoid": list(result.avoid),
        "avoid_names": [activity.name for activity in result.avoided],
        "avoid_shown": result.avoid_shown,
        "reasons": list(result.reasons),
    }
    return {**payload, "show_all": True} if show_all else payload


def activity_advice(advice: Advice) -> dict:
    return {"kind": "activity_advice", "activity": advice.activity.id, "activity_name": advice.activity.name,
            "verdict": advice.verdict, "reason": advice.reason}


def escalation(result: Escalation, heading: str | None = None) -> dict:
    """`heading`: what to do, as the knowledge words it for the urgency (knowledge/red_flags.yml `urgencies`)."""
    payload = {"kind": "escalation", "urgency": result.urgency, "reasons": list(result.reasons),
               "triggers": list(result.triggers)}
    return payload | ({"heading": heading} if heading else {})


def exercise_info(exercise: Exercise, dose: Dose | None, in_session: bool = True) -> dict:
    """How to do an exercise; `dose` is its dose in today's programme, None when it is not in it.

    An exercise of the programme whose turn is on another day (`in_session` false) has a dose and `in_phase`,
    but not `in_plan` (today's session).
    """
    return {"kind": "exercise_info", "exercise": exercise.id, "name": exercise.name, "steps": list(exercise.steps),
            "dosage": dict(dose or Dose()), "in_plan": dose is not None and in_session, "in_phase": dose is not None,
            "target": exercise.target, "equipment": list(exercise.equipment)}


def progress(enrolled: date, today: date, checkins: list[CheckIn], phase_number: int) -> dict:
    """How the patient is doing: days since enrolment, check-ins made, phase and worst daily pain."""
    return {"kind": "progress", "days": (today - enrolled).days, "checkins": len(checkins),
            "phase_number": phase_number, "pain_trend": [[c.day.isoformat(), c.worst_pain] for c in checkins]}


def warning_signs(flags: list[RedFlag]) -> dict:
    """The warning signs a patient asked about (information, not an escalation)."""
    return {"kind": "warning_signs", "signs": [{"urgency": f.urgency, "reason": f.reason} for f in flags]}


def safety_question(question: str) -> dict:
    """A safety check's question (its wording is the domain's utter_safety_<question>)."""
    return {"kind": "question", "field": f"safety_{question}", "type": "yesno"}


def reminders(time: str, zone: str, stopped: bool, resumes_on: date | None) -> dict:
    """The patient's daily reminder as it stands (HH:MM, IANA zone; `resumes_on`: the day a pause ends)."""
    return {"kind": "reminders", "time": time, "zone": zone, "stopped": stopped,
            "resumes_on": resumes_on.isoformat() if resumes_on else None}


def notice(reason: str, retry_after_seconds: int) -> dict:
    """A service notice, not coaching: the message is kept; sent again after `retry_after_seconds`, it should work."""
    return {"kind": "notice", "reason": reason, "retry_after_seconds": retry_after_seconds}


def clinician_message(text: str, sender: str) -> dict:
    """A clinician's message to the patient, from the portal: their words, not the coach's; `sender` as the patient
    reads it (a clinician's name, or "your clinic")."""
    return {"kind": "clinician_message", "text": text, "from": sender}
