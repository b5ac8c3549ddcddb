"""The safety check in progress, as the slots hold it (shared by the safety form's actions)."""

from __future__ import annotations

from rasa_sdk import Tracker

from rehab_coach.core.model import Knowledge, SafetyCheck

UNCLEAR = "unclear"  # the check for a red flag the classifier heard and the rules do not confirm


def current_check(tracker: Tracker, knowledge: Knowledge) -> tuple[SafetyCheck, dict[str, str]]:
    """The check being asked (the unclear one if the slot names none) and the answers so far."""
    check = knowledge.checks.get(str(tracker.get_slot("safety_check")), knowledge.checks[UNCLEAR])
    answers = tracker.get_slot("safety_answers")
    return check, dict(answers) if isinstance(answers, dict) else {}
