"""Specification: when the coach tells the patient to see a professional, and how soon."""

import pytest

from rehab_coach.adapters.nlp import read
from rehab_coach.core.triage import triage
from tests.builders import day, days
from tests.conftest import TODAY, urgency


@pytest.mark.parametrize("text,expected", [
    ("I suddenly can't breathe properly and my chest hurts", "emergency"),
    ("my foot has gone cold and pale", "emergency"),
    ("ankle is hot and swollen and I have a fever", "emergency"),
    ("I can't put any weight on it since I fell", "urgent"),
    ("heard a crack when I landed", "urgent"),
    ("my calf is swollen and warm", "urgent"),
    ("numbness in my toes since this morning", "urgent"),
    ("I have pins and needles in my foot", "urgent"),
    ("felt a pop at the back of my heel", "urgent"),
    ("my ankle keeps locking", "routine"),
    ("the pain wakes me up at night", "routine"),
    ("I had a steroid injection last week", "routine"),
])
def test_red_flag_messages_escalate(text, expected):
    assert urgency(text) == expected


@pytest.mark.parametrize("text", [
    "no numbness or tingling",
    "I don't have a fever",
    "I do not have any numbness",
    "there's no swelling in my calf",
    "never had pins and needles",
    "my calf isn't swollen",
    "no chest pain or breathlessness",
])
def test_negated_symptoms_do_not_escalate(text):
    assert urgency(text) is None


@pytest.mark.parametrize("text", [
    "my ankle feels a bit sore after dancing",
    "can I run today?",
    "I did all my stretches",
    "how do I do the calf stretch?",
    "I was looking at the exercises",
    "it's a bit red after the ice pack",
    "I feel warm after my bike ride",
    "pain was 3 out of 10",
])
def test_ordinary_messages_do_not_escalate(text):
    assert urgency(text) is None


@pytest.mark.parametrize("text", [
    "numbnes in my foot",
    "tingeling in my toes",
    "my calf is swolen and warm",
    "I feel brethless",
])
def test_common_misspellings_still_escalate(text):
    assert urgency(text) is not None


def test_negation_ends_at_but():
    assert urgency("no fever but my toes are numb") == "urgent"


def test_uncertainty_is_not_negation():
    assert urgency("I'm not sure but I think there's numbness") == "urgent"


def test_most_urgent_level_wins_and_every_trigger_is_named(knowledge, detector):
    escalation = triage(detector.find_text("my toes are numb and I'm short of breath", TODAY), knowledge=knowledge)
    assert escalation.urgency == "emergency"
    assert len(escalation.triggers) >= 2


def test_contractions_are_spelled_out():
    words = ("i", "can", "not", "and", "will", "not", ",", "it", "is", "not")
    assert read("I can’t and won't, it isn't").texts == words


def test_locking_in_todays_checkin_is_a_routine_referral(knowledge):
    escalation = triage(checkin=day(0, mechanical="locking"), knowledge=knowledge)
    assert escalation.urgency == "routine" and escalation.triggers == ("mechanical_immediate",)


def test_catching_on_three_days_in_a_week_is_a_routine_referral(knowledge):
    rule = knowledge.rules.referral.persistent_mechanical
    history = days(0, rule.count - 1, mechanical="catching")
    assert triage(history=history, knowledge=knowledge) is None
    escalation = triage(checkin=day(rule.count - 1, mechanical="catching"), history=history, knowledge=knowledge)
    assert "persistent_mechanical" in escalation.triggers


def test_repeated_red_days_are_a_routine_referral(knowledge):
    history = [day(0, exercise=7), day(3, exercise=7), day(6, exercise=7)]
    assert "repeated_red" in triage(history=history, knowledge=knowledge).triggers


def test_flare_not_settling_in_three_days_is_a_routine_referral(knowledge):
    history = [*days(0, 5, morning=1), day(5, exercise=7), day(6, morning=2), day(7, morning=2)]
    assert triage(history=history, knowledge=knowledge) is None
    escalation = triage(checkin=day(8, morning=2), history=history, knowledge=knowledge)
    assert "flare_not_settling" in escalation.triggers


def test_settled_flare_is_not_referred(knowledge):
    history = [*days(0, 5, morning=1), day(5, exercise=7), day(6, morning=1), day(8, morning=2)]
    escalation = triage(history=history, knowledge=knowledge)
    assert escalation is None or "flare_not_settling" not in escalation.triggers


def test_no_improvement_after_six_weeks_is_a_routine_referral(knowledge):
    weeks = knowledge.rules.referral.no_improvement.weeks
    stuck = days(0, weeks * 7 + 1, rest=2, exercise=3, morning=2)
    assert "no_improvement" in triage(history=stuck, knowledge=knowledge).triggers
    improving = [*days(0, 7, rest=2, exercise=5, morning=2), *days(7, weeks * 7 - 6, rest=1, exercise=2, morning=1)]
    escalation = triage(history=improving, knowledge=knowledge)
    assert escalation is None or "no_improvement" not in escalation.triggers


def test_not_recovered_after_three_months_is_referred_to_a_specialist(knowledge):
    weeks = knowledge.rules.referral.unresolved.weeks
    amber_forever = days(0, weeks * 7 + 1, exercise=4)
    assert "unresolved" in triage(history=amber_forever, knowledge=knowledge).triggers
    recovered = days(0, weeks * 7 + 1)
    escalation = triage(history=recovered, knowledge=knowledge)
    assert escalation is None or "unresolved" not in escalation.triggers


def test_exercise_names_are_not_symptoms(knowledge):
    assert urgency("some swelling after my calf raises") is None
    assert urgency("my calf is swollen after the calf raises") == "urgent"


def test_colour_change_of_the_foot_is_an_emergency_however_it_is_phrased(knowledge):
    assert urgency("my toes turned blue") == "emergency"
    assert urgency("I used the blue band under my foot") is None
