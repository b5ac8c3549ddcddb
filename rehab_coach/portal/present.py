"""How records and reply-contract payloads read on the portal's pages. Pure; the templates escape the text."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from rehab_coach.core.knowledge import default_knowledge
from rehab_coach.core.model import Dose
from rehab_coach.services.clinic import ClinicNotification
from rehab_coach.services.notifications import NO_CHANNEL


@dataclass(frozen=True)
class Payload:
    """A contract payload as a heading and a short list."""

    kind: str
    heading: str
    items: list[str] = field(default_factory=list)


def dose_text(dose: dict[str, Any]) -> str:
    """A payload's dose in the words the coach uses ('3 × 10, twice a day')."""
    return Dose.from_payload(dose).in_words()


def exercise_line(exercise: dict[str, Any]) -> str:
    dose = dose_text(exercise)
    name = exercise.get("name") or exercise.get("id") or "exercise"
    return f"{name}: {dose}" if dose else str(name)


def answer(value: int | str | None) -> str:
    """An outcome questionnaire's answer: a rating, N/A, or skipped."""
    return "skipped" if value is None else str(value)


def other_days(plan: dict[str, Any]) -> str:
    """'and 9 more exercises of the phase on other days' for a plan payload; empty when there are none."""
    count = len(plan.get("more_exercises") or [])
    return f"and {count} more exercise{'s' * (count != 1)} of the phase on other days" if count else ""


def notification_status(notice: ClinicNotification) -> str:
    """Where the clinic's notice of an escalation stands, in a few words."""
    tries = f"{notice.attempts} attempt{'s' * (notice.attempts != 1)}"
    if notice.delivered_at is not None:
        return f"clinic notified ({', '.join(notice.delivered_by)})"
    if notice.last_error == NO_CHANNEL:
        return f"not delivered: {NO_CHANNEL}"
    if notice.next_attempt_at is None:
        return f"not delivered: gave up after {tries} ({notice.last_error})"
    if notice.last_error:
        return f"not delivered yet: {tries} failed ({notice.last_error}), trying again"
    return "not sent yet: waiting for the scheduler"


SPEAKERS = {"user": "Patient", "bot": "Coach", "clinician": "Clinician"}  # who said a message, as the pages name them


def speaker(message: dict[str, Any]) -> str:
    """Who said a transcript message: `user` (the patient), `bot` (the coach) or `clinician` (a message written in
    the portal, which the coach only delivered)."""
    custom = message.get("custom")
    if message.get("sender") == "bot" and isinstance(custom, dict) and custom.get("kind") == "clinician_message":
        return "clinician"
    return str(message.get("sender"))


def describe(payload: dict[str, Any]) -> Payload:
    """A readable heading and list for any payload; unknown kinds are shown as their JSON."""
    kind = str(payload.get("kind", "unknown"))
    describer = _DESCRIBERS.get(kind)
    if describer is not None:
        try:
            return describer(payload)
        except (AttributeError, KeyError, TypeError, ValueError):
            pass  # a malformed payload of a known kind still shows, as JSON
    return Payload(kind, f"Payload: {kind}", [json.dumps(payload, ensure_ascii=False, sort_keys=True)])


def _question(p: dict[str, Any]) -> Payload:
    answer = p["type"]
    if p.get("choices"):
        answer += ": " + ", ".join(map(str, p["choices"]))
    elif "min" in p and "max" in p:
        answer += f" {p['min']}-{p['max']}"
    items = [f"answer: {answer}"] + ([f"previous answer not accepted: {p['problem']}"] if p.get("problem") else [])
    return Payload("question", f"Question: {p['field']}", items)


def _checkin(p: dict[str, Any]) -> Payload:
    values = [f"{name}: {value}" for name, value in p["values"].items()]
    return Payload("checkin_recorded", f"Check-in recorded for {p['date']}: {p['day_class']} day",
                   values + [f"why: {reason}" for reason in p.get("reasons", [])])


def _plan(p: dict[str, Any]) -> Payload:
    phase = f"phase {p['phase_number']}" + (f" ({p['phase_name']})" if p.get("phase_name") else "")
    items = [exercise_line(exercise) for exercise in p.get("exercises", [])]
    if other_days(p):
        items.append(other_days(p))
    avoid = p.get("avoid_names") or p.get("avoid")
    if avoid:
        items.append("avoid: " + ", ".join(map(str, avoid)))
    items += [f"why: {reason}" for reason in p.get("reasons", [])]
    return Payload("plan", f"Plan for {p['date']}: {phase}, {p['status']}", items)


def _advice(p: dict[str, Any]) -> Payload:
    name = p.get("activity_name") or p["activity"]
    reason = [p["reason"]] if p.get("reason") else []
    return Payload("activity_advice", f"Activity advice: {name}: {p['verdict']}", reason)


def _escalation(p: dict[str, Any]) -> Payload:
    urgency = p["urgency"]
    wording = default_knowledge().urgencies.get(urgency)  # for payloads stored before they carried a heading
    heading = p.get("heading") or (wording.heading if wording else "")
    return Payload("escalation", f"Escalation, {urgency}: {heading}", list(map(str, p["reasons"])))


def _exercise_info(p: dict[str, Any]) -> Payload:
    dose = dose_text(p.get("dosage") or {})
    heading = f"How to do: {p['name']}" + (f" ({dose})" if dose else "")
    return Payload("exercise_info", heading, [f"{n}. {step}" for n, step in enumerate(p.get("steps", []), start=1)])


def _progress(p: dict[str, Any]) -> Payload:
    trend = ", ".join(f"{day}: {pain}" for day, pain in p.get("pain_trend", [])[-7:])
    return Payload("progress", f"Progress: {p['days']} days, {p['checkins']} check-ins, phase {p['phase_number']}",
                   [f"worst pain, latest days: {trend}"] if trend else [])


def _notice(p: dict[str, Any]) -> Payload:
    return Payload("notice", f"Service notice: {str(p['reason']).replace('_', ' ')}",
                   [f"told to try again after {p['retry_after_seconds']} s"])


def _clinician_message(p: dict[str, Any]) -> Payload:
    return Payload("clinician_message", f"Clinician's message from the portal, signed \"{p['from']}\"")


_DESCRIBERS = {"question": _question, "checkin_recorded": _checkin, "plan": _plan, "activity_advice": _advice,
               "escalation": _escalation, "exercise_info": _exercise_info, "progress": _progress, "notice": _notice,
               "clinician_message": _clinician_message}
