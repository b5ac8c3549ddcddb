"""Specification: what today's plan contains, and the answer to "can I ...?"."""

import pytest

from rehab_coach.core.engine import advise_activity, plan_for_today
from rehab_coach.core.model import Patient
from tests.builders import START, day, days, on

PATIENT = Patient(enrolled=START, side="right", sport="dance", diagnosed=True)


def test_early_plan_avoids_the_seed_articles_aggravating_activities(knowledge):
    plan = plan_for_today(PATIENT, [], START, knowledge)
    for activity in ("running", "jumping", "hopping", "pointe", "demi_pointe", "heel_raises", "forced_toe_pointing"):
        assert activity in plan.avoid


def test_plan_doses_come_from_the_phase_ladder(knowledge):
    plan = plan_for_today(PATIENT, [], START, knowledge)
    for planned in plan.exercises + plan.more_exercises:
        assert planned.dose == planned.exercise.dosage["settle"][0]


def test_every_exercise_of_the_phase_is_planned_today_or_another_day_unless_it_involves_an_avoided_activity(
        knowledge):
    plan = plan_for_today(PATIENT, days(0, 3), on(2), knowledge)
    phase_id = plan.phase.id
    expected = [e.id for e in knowledge.exercises.values()
                if phase_id in e.dosage and not set(e.involves) & set(plan.avoid)]
    assert sorted(p.exercise.id for p in plan.exercises + plan.more_exercises) == sorted(expected)


def test_red_day_brings_gentler_exercises_and_no_provoking_activities_for_two_days(knowledge):
    protect = knowledge.rules.flare.protect_days
    history = [*days(0, 12), day(12, exercise=7)]  # phase 3 from day 9, then a red day
    plan = plan_for_today(PATIENT, history, on(12), knowledge)
    assert plan.phase.number == 3 and plan.status == "hold" and plan.day_class == "red"
    gentle = knowledge.phase(knowledge.rules.flare.protect_max_phase).id
    assert all(gentle in p.exercise.dosage for p in plan.exercises + plan.more_exercises)
    cautious = [a.id for a in knowledge.activities.values() if a.verdicts["load"] == "caution"]
    assert set(cautious) <= set(plan.avoid)
    later = plan_for_today(PATIENT, history, on(12 + protect), knowledge)
    assert not set(cautious) & set(later.avoid)


def test_no_planned_exercise_involves_an_activity_avoided_that_day(knowledge):
    history = [*days(0, 12), day(12, exercise=7)]
    for today in range(0, 16):
        plan = plan_for_today(PATIENT, history, on(today), knowledge)
        for planned in plan.exercises + plan.more_exercises:
            assert not set(planned.exercise.involves) & set(plan.avoid), (today, planned.exercise.id)


def test_running_is_avoided_early_and_allowed_in_maintenance(knowledge):
    assert advise_activity("running", PATIENT, [], START, knowledge).verdict == "avoid"
    late = advise_activity("running", PATIENT, days(0, 200), on(199), knowledge)
    assert late.verdict == "ok"
    assert late.reason == knowledge.activities["running"].reasons["ok"]


def test_caution_activity_becomes_avoid_right_after_a_red_day(knowledge):
    history = [*days(0, 12), day(12, exercise=7)]
    cautious = next(a.id for a in knowledge.activities.values() if a.verdicts["load"] == "caution")
    advice = advise_activity(cautious, PATIENT, history, on(12), knowledge)
    assert advice.verdict == "avoid"
    assert "red day" in advice.reason


def test_unknown_activity_is_a_key_error(knowledge):
    with pytest.raises(KeyError):
        advise_activity("skydiving", PATIENT, [], START, knowledge)
