"""The reply contract in plain text (WhatsApp, SMS): questions as numbered choices and replies mapped back, every
other kind readable, an escalation's heading first with the emergency number; never a payload string."""

from __future__ import annotations

import re

import pytest

from rehab_coach.core import contract
from rehab_coach.rasa.plaintext import LIMIT, answer, parts, render
from tests.conftest import rendered

PLAN = {
    "text": "Today's plan: phase 1 of 5, Settle and protect.\n• Pain-free ankle movements: 2 × 10, once a day\n"
            "• Calf hold in mid-range: 4 × 30 s hold, once a day\n"
            "Avoid today: pointe work, demi-pointe / relevé, dance class, jumping and 10 more.\n"
            "Why: amber day: pain during exercise 5/10.",
    "custom": {"kind": "plan", "date": "2026-03-02", "phase": "settle", "phase_name": "Settle and protect",
               "phase_number": 1, "status": "hold", "day_class": "amber",
               "exercises": [{"id": "ankle_arom_pain_free", "name": "Pain-free ankle movements", "sets": 2,
                              "reps": 10, "hold_seconds": None, "minutes": None, "per_day": 1, "per_week": None,
                              "note": None}],
               "avoid": ["pointe", "demi_pointe", "dance_class", "jumping"], "avoid_shown": 4,
               "reasons": ["amber day: pain during exercise 5/10"]},
}
EXERCISE = {
    "text": "Calf stretch on a step\n1. Stand on a step holding the rail.\n2. Put the ball of the sore foot on the "
            "edge of the step.\nYour dose today: 3 × 30 s hold, twice a day.",
    "custom": {"kind": "exercise_info", "exercise": "calf_stretch_step", "name": "Calf stretch on a step",
               "steps": ["Stand on a step holding the rail.", "Put the ball of the sore foot on the edge of the step."],
               "dosage": {"sets": 3, "hold_seconds": 30, "per_day": 2}, "in_plan": True, "in_phase": True},
}
ACTIVITY = {
    "text": "Running: best avoided for now. Hold off running for now; each stride pushes off through a pointed foot.",
    "custom": {"kind": "activity_advice", "activity": "running", "activity_name": "Running", "verdict": "avoid",
               "reason": "Hold off running for now; each stride pushes off through a pointed foot."},
}
PROGRESS = {
    "text": "Day 14 since you started: 12 check-ins, now in phase 2 of 5 (Restore).\n"
            "Worst pain, latest 7 check-ins (oldest first): 5, 4, 4, 3, 3, 2, 2.",
    "custom": {"kind": "progress", "days": 14, "checkins": 12, "phase_number": 2,
               "pain_trend": [["2026-03-01", 4], ["2026-03-02", 3]]},
}
RECORDED = {
    "text": "Thanks, today's check-in is saved: an amber day (pain during exercise 5/10).",
    "custom": {"kind": "checkin_recorded", "date": "2026-03-02", "day_class": "amber",
               "values": {"pain_rest": 3, "pain_exercise": 5, "pain_morning": 2, "swelling": "mild",
                          "mechanical": "none", "adherence": "some"}},
}
ADVICE = "Breathlessness can mean a blood clot has reached the lungs. Call an ambulance now (999 / 112 / 911)."


def ask(field: str) -> dict:
    """The coach's question for `field`, as the Rasa server sends it (domain text and contract payload)."""
    return rendered({"response": f"utter_ask_{field}"})


def shows_no_payload(text: str) -> bool:
    return not re.search(r"[{}\[\]]|\bkind\b|/\w+|_", text)


@pytest.mark.parametrize(("field", "line"), [
    ("swelling", "Reply 1 none, 2 mild, 3 marked"),
    ("mechanical", "Reply 1 none, 2 catching, 3 locking, 4 giving way"),
    ("adherence", "Reply 1 all of it, 2 some of it, 3 none of it"),
    ("sport", "Reply 1 dance, 2 running, 3 football, 4 something else"),
    ("diagnosed", "Reply 1 yes, 2 no"),
    ("pain_rest", "Reply a number from 0 to 10"),
])
def test_a_question_reads_as_its_text_then_short_numbered_choices(field, line):
    shown = render(ask(field), whatsapp=True)
    assert shown.splitlines() == [ask(field)["text"], line]
    assert shows_no_payload(shown)


@pytest.mark.parametrize(("field", "reply", "meant"), [
    ("swelling", "2", "mild"), ("swelling", "b", "mild"), ("swelling", " B. ", "mild"), ("swelling", "Mild", "mild"),
    ("adherence", "some", "some"), ("adherence", "2", "some of it"), ("mechanical", "4", "giving way"),
    ("sport", "4", "other"), ("sport", "something else", "other"), ("diagnosed", "1", "yes"), ("diagnosed", "b", "no"),
    ("swelling", "7", "7"), ("swelling", "it's a bit puffy", "it's a bit puffy"), ("pain_rest", "2", "2"),
    ("pain_rest", "b", "b"),
])
def test_a_reply_is_mapped_back_to_the_answer_of_the_question_last_asked(field, reply, meant):
    assert answer(contract.question(field), reply) == meant


def test_a_reply_with_no_question_asked_goes_through_as_written():
    assert answer(None, "2") == "2" and answer(PLAN["custom"], "b") == "b"


def test_a_which_one_question_offers_the_names_and_a_number_answers_with_the_name():
    question = contract.choice("exercise", [("calf_stretch_step", "Calf stretch on a step"),
                                            ("towel_curls", "Towel scrunches")])
    shown = render({"text": "Which one do you mean?", "custom": question}, whatsapp=False)
    assert shown.splitlines()[-1] == "Reply 1 Calf stretch on a step, 2 Towel scrunches"
    assert answer(question, "2") == "towel scrunches"


@pytest.mark.parametrize("message", [PLAN, EXERCISE, ACTIVITY, PROGRESS, RECORDED], ids=lambda m: m["custom"]["kind"])
@pytest.mark.parametrize("whatsapp", [True, False], ids=["whatsapp", "sms"])
def test_every_other_kind_reads_as_the_coachs_text_and_never_as_its_payload(message, whatsapp):
    shown = render(message, whatsapp)
    assert shown == message["text"]
    assert not re.search(r"[{}]|\bkind\b|calf_stretch_step|ankle_arom|dance_class|pain_trend", shown)


def test_an_emergency_starts_with_its_heading_and_gives_the_emergency_number():
    message = rendered({"response": "utter_red_flag_emergency", "red_flag_advice": ADVICE})
    whatsapp, sms = render(message, whatsapp=True), render(message, whatsapp=False)
    assert whatsapp.splitlines()[0] == "*🚨 CALL YOUR LOCAL EMERGENCY NUMBER NOW*"
    assert sms.splitlines()[0] == "🚨 CALL YOUR LOCAL EMERGENCY NUMBER NOW"
    assert "call the emergency number now (999, 112 or 911)" in sms and ADVICE in sms
    assert "**" not in sms and "*This could be an emergency" in whatsapp


@pytest.mark.parametrize(("urgency", "heading"), [("urgent", "🚨 SEE A DOCTOR TODAY"),
                                                   ("routine", "BOOK A PHYSIOTHERAPIST OR DOCTOR")])
def test_an_urgent_or_routine_escalation_starts_with_its_heading(urgency, heading, knowledge):
    wording = knowledge.urgencies[urgency]
    message = {"text": f"{wording.lead}\n• Catching on 3 of the last 7 days.",
               "custom": {"kind": "escalation", "urgency": urgency, "heading": wording.heading,
                          "reasons": ["Catching on 3 of the last 7 days."]}}
    shown = render(message, whatsapp=False).splitlines()
    assert shown[0] == heading and shown[1] == wording.lead


def test_a_long_text_goes_in_parts_cut_between_lines():
    lines = [f"• exercise {n}: " + "x" * 90 for n in range(40)]
    cut = parts("\n".join(lines))
    assert len(cut) > 1 and all(len(part) <= LIMIT for part in cut)
    assert "\n".join(cut).splitlines() == lines
    assert parts("y" * (LIMIT + 5)) == ["y" * LIMIT, "y" * 5]
