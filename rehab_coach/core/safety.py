"""Safety checks: the questions partial evidence calls for, and what the answers decide. Pure."""

from __future__ import annotations

from collections.abc import Mapping

from rehab_coach.core.model import Escalation, Knowledge, SafetyCheck
from rehab_coach.core.triage import flagged


def _met(check: SafetyCheck, answers: Mapping[str, str]) -> str | None:
    """The red flag of the first outcome the answers meet, or None."""
    for when, flag in check.outcomes:
        if all(answers.get(question) == answer for question, answer in when.items()):
            return flag
    return None


def next_question(check: SafetyCheck, answers: Mapping[str, str]) -> str | None:
    """The next question to ask, or None once the answers decide (an outcome is met, or all are answered)."""
    if _met(check, answers) is not None:
        return None
    return next((q for q in check.questions if q not in answers), None)


def decide(check: SafetyCheck, answers: Mapping[str, str], knowledge: Knowledge) -> Escalation | None:
    """The escalation the answers call for, or None when nothing urgent came up."""
    flag_id = _met(check, answers)
    if flag_id is None:
        return None
    return flagged(flag_id, knowledge, f"check:{check.id}")
