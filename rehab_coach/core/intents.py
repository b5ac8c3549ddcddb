"""The intents the code relies on, and how the rules overrule or route the classifier's. Pure."""

from __future__ import annotations

import re

from rehab_coach.core.model import SERIOUS
from rehab_coach.core.redflags import Findings
from rehab_coach.core.reminder_request import ReminderRequest

RED_FLAG_INTENT = "red_flag"
# Forced for emergency and urgent findings: the rules answer them with a domain response from the Rasa
# server itself, so the advice reaches the patient even when the action server is down.
SERIOUS_INTENTS = {"emergency": "red_flag_emergency", "urgent": "red_flag_urgent"}
# How many days back the action server, once reachable again, records the serious messages the Rasa server answered
# without it (the Rasa server sends it those messages, rasa/speedups.py).
MISSED_DAYS = 2
# A routine finding is added to these intents' answers by their actions; any other intent gives way to
# the red_flag intent, so the routine advice is given (and stored) whatever the classifier guessed.
ANSWERED_WITH_ROUTINE = frozenset({"ask_plan", "ask_all_exercises", "ask_activity", "ask_exercise", "ask_progress",
                                   "start_checkin", "stop", "goodbye", "ask_warning_signs", "change_reminders"})
ASK_WARNING_SIGNS = "ask_warning_signs"
CHANGE_REMINDERS = "change_reminders"
DEMOTE = "demote"  # the classifier's red flag, overruled: take its next intent
# Intents a question about an activity or exercise may be mistaken for, when it is a question.
ROUTABLE = frozenset({"inform", "out_of_scope", "nlu_fallback", "help", "affirm", "deny", "thanks", "greet",
                      "goodbye", "ask_activity", "ask_exercise"})
# What a question about the plan names when the classifier missed it ("can u send my exercises again").
_PLAN = re.compile(r"\b(plan|routine|programme|program|my exercises|the exercises|exercise list|sets and reps|"
                   r"off limits|avoid)\b", re.IGNORECASE)
_ALL = re.compile(r"\b(all|full|whole|every|complete|everything)\b", re.IGNORECASE)
_QUESTION = re.compile(r"\?|(^|[.!,;:]\s*)(can|could|should|shall|may|is|are|am|how|what|which|when|will|would|do|"
                       r"does|any|ok|okay|alright)\b", re.IGNORECASE)


_PERMISSION = re.compile(r"\b(can i|could i|may i|am i allowed|allowed|is it ok|is it okay|is it safe|ok to|"
                         r"okay to|alright|yes or no|too early|too soon|should i (?:do|go|try|play|join|skip))\b|"
                         r"\b(ok|okay|fine|alright)\s*\?", re.IGNORECASE)
_HOW = re.compile(r"\b(how (?:do|should|many|long|far|high|low|often|tight|hard)|what's the|explain|show me)\b",
                  re.IGNORECASE)


def is_question(text: str) -> bool:
    """Asks something: a question mark, or a clause that opens like a question ("can I run", "ok to cycle")."""
    return bool(_QUESTION.search(text))


def after_red_flags(findings: Findings, classified: str | None) -> str | None:
    """The intent a message's red flags call for (DEMOTE: overrule the classifier's red flag), or None."""
    if findings.urgency in SERIOUS:
        return SERIOUS_INTENTS[findings.urgency]
    if findings.partial or (findings.fired and classified not in ANSWERED_WITH_ROUTINE):
        return RED_FLAG_INTENT
    if findings.fired:
        return None
    if findings.hypothetical and classified not in ANSWERED_WITH_ROUTINE:
        return ASK_WARNING_SIGNS
    if classified == RED_FLAG_INTENT and not findings.suspected:
        return DEMOTE
    return None


def asks_permission(text: str) -> bool:
    """"can I ...", "is X ok?", "am I allowed": a question about doing something, not how to do it."""
    return bool(_PERMISSION.search(text)) and not _HOW.search(text)


def topic(text: str, about: str | None) -> str | None:
    """What a question is about: "activity" or "exercise" (`about`: what the resolver found it names), or None.
    Naming both, leave to do something is about the activity and how to do it about the exercise."""
    if not is_question(text):
        return None
    if about == "both":
        return "activity" if asks_permission(text) else "exercise" if _HOW.search(text) else None
    return about


def routed(intent: str | None, text: str, about: str | None, answers: bool) -> str | None:
    """A question goes to its answer whatever the classifier made of its wording: about an activity or an exercise
    (see `topic`); naming neither, a question about the plan gets the plan. Answers with a question stay answers
    (the check-in reads both)."""
    if intent not in ROUTABLE or not is_question(text) or (intent == "inform" and answers):
        return None
    if about:
        asked = topic(text, about)
        return f"ask_{asked}" if asked else None
    if _PLAN.search(text) and intent not in ("ask_activity", "ask_exercise"):
        return "ask_all_exercises" if _ALL.search(text) else "ask_plan"
    return None


def reminder_routed(intent: str | None, request: ReminderRequest | None) -> str | None:
    """What the reminder reader makes of a message overrules the classifier: a request goes to change_reminders
    ("stop reminders" is not the check-in's stop), and a message the classifier took for one that asks nothing of
    the reminders ("remind me how to do the calf raise") gives way to its next intent (DEMOTE)."""
    if request is not None:
        return CHANGE_REMINDERS if intent != CHANGE_REMINDERS else None
    return DEMOTE if intent == CHANGE_REMINDERS else None
