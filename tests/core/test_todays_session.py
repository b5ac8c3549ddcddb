"""Specification: today's session (a few of the phase's exercises, taking turns) and what to avoid first."""

import random

import pytest

from rehab_coach.core import selection
from rehab_coach.core.engine import follow_course, plan_for_today
from rehab_coach.core.model import SPORTS, Patient
from tests.builders import START, day, days, on

DANCER = Patient(enrolled=START, sport="dance")


def phase_after(history, knowledge) -> int:
    course = follow_course(history, knowledge)
    return course[-1].state.phase if course else 1


def reaching(phase: int, knowledge) -> list:
    """Quiet green check-ins from START, as many as it takes to reach `phase`."""
    history: list = []
    while phase_after(history, knowledge) < phase:
        history.append(day(len(history)))
    return history


def week_after(history, knowledge, patient=DANCER, length=None) -> list:
    """The plans of the days after the history, with no more check-ins: a week unless told otherwise."""
    first = len(history)
    return [plan_for_today(patient, history, on(first + n), knowledge)
            for n in range(length or knowledge.rules.session.cover_days)]


def ids(planned) -> list[str]:
    return [p.exercise.id for p in planned]


def kind_of(knowledge) -> dict[str, str]:
    return {exercise: kind.id for kind in knowledge.rules.session.kinds for exercise in kind.exercises}


PHASES = [1, 2, 3, 4, 5]


@pytest.mark.parametrize("phase", PHASES)
def test_a_session_holds_at_most_the_cap_and_every_exercise_comes_round_within_a_week(knowledge, phase):
    week = week_after(reaching(phase, knowledge), knowledge)
    assert {plan.phase.number for plan in week} == {phase}
    programme = {e.id for e in knowledge.exercises.values() if week[0].phase.id in e.dosage}
    assert all(len(plan.exercises) == min(knowledge.rules.session.max_exercises, len(programme)) for plan in week)
    assert {ident for plan in week for ident in ids(plan.exercises)} == programme


@pytest.mark.parametrize("phase", PHASES)
def test_the_session_and_the_other_days_exercises_make_up_the_phase_without_overlap(knowledge, phase):
    plan = week_after(reaching(phase, knowledge), knowledge, length=1)[0]
    today, others = ids(plan.exercises), ids(plan.more_exercises)
    assert not set(today) & set(others)
    assert sorted(today + others) == sorted(e.id for e in knowledge.exercises.values() if plan.phase.id in e.dosage)


@pytest.mark.parametrize("phase", PHASES)
def test_every_session_keeps_each_kinds_daily_minimum(knowledge, phase):
    kinds = kind_of(knowledge)
    for plan in week_after(reaching(phase, knowledge), knowledge):
        programme = [kinds[i] for i in ids(plan.exercises + plan.more_exercises)]
        session = [kinds[i] for i in ids(plan.exercises)]
        for kind in knowledge.rules.session.kinds:
            assert session.count(kind.id) >= min(kind.min_per_day, programme.count(kind.id)), (plan.day, kind.id)


def test_mobility_and_strength_are_planned_every_day(knowledge):
    minimum = {kind.id: kind.min_per_day for kind in knowledge.rules.session.kinds}
    assert minimum["mobility"] >= 1 and minimum["strength"] >= 1


def test_the_first_day_of_a_phase_brings_the_most_important_exercise_of_each_kind(knowledge):
    history = reaching(2, knowledge)
    entered = on(len(history) - 1)  # the check-in that moved the patient on
    plan = plan_for_today(DANCER, history, entered, knowledge)
    programme = ids(plan.exercises + plan.more_exercises)
    for kind in knowledge.rules.session.kinds:
        top = next((e for e in kind.exercises if e in programme), None)
        assert top is None or top in ids(plan.exercises), kind.id


def test_the_session_is_shown_kind_by_kind_each_in_its_lists_order(knowledge):
    order = [e for kind in knowledge.rules.session.kinds for e in kind.exercises]
    for plan in week_after([], knowledge):
        assert ids(plan.exercises) == sorted(ids(plan.exercises), key=order.index)
        assert ids(plan.more_exercises) == sorted(ids(plan.more_exercises), key=order.index)


def test_the_same_history_and_date_give_the_same_plan_whatever_order_the_history_comes_in(knowledge):
    history = [*days(0, 12), day(12, exercise=4), day(13)]
    shuffled = random.Random(7).sample(history, len(history))
    for n in range(14, 24):
        assert plan_for_today(DANCER, history, on(n), knowledge) == plan_for_today(DANCER, shuffled, on(n), knowledge)


def test_the_sessions_take_turns_from_day_to_day(knowledge):
    week = week_after([], knowledge)
    assert ids(week[0].exercises) != ids(week[1].exercises)
    turns = len(selection.cycle(tuple(ids(week[0].exercises + week[0].more_exercises)), knowledge.rules.session))
    assert ids(week[0].exercises) == ids(week[turns].exercises)


def test_the_plan_says_why_it_holds_only_some_exercises(knowledge):
    plan = plan_for_today(DANCER, [], START, knowledge)
    total = len(plan.exercises) + len(plan.more_exercises)
    assert f"{len(plan.exercises)} of your {total} exercises today: they take turns" in plan.reasons[-1]


def test_a_programme_that_fits_is_planned_whole_every_day(knowledge):
    rules = knowledge.rules.session
    small = tuple(kind.exercises[0] for kind in rules.kinds)[:rules.max_exercises]
    assert selection.cycle(small, rules) == (selection.in_kind_order(small, rules),)


def test_a_flare_session_is_capped_and_drawn_from_the_gentler_programme(knowledge):
    history = [*days(0, 12), day(12, exercise=7)]  # phase 3 from day 9, then a red day
    gentle = knowledge.phase(knowledge.rules.flare.protect_max_phase).id
    for n in range(12, 12 + knowledge.rules.flare.protect_days):
        plan = plan_for_today(DANCER, history, on(n), knowledge)
        assert len(plan.exercises) == knowledge.rules.session.max_exercises
        assert all(gentle in p.exercise.dosage for p in plan.exercises + plan.more_exercises)
        assert not {a for p in plan.exercises + plan.more_exercises for a in p.exercise.involves} & set(plan.avoid)


@pytest.mark.parametrize("sport", SPORTS)
def test_the_activities_that_matter_for_the_patients_sport_come_first(knowledge, sport):
    plan = plan_for_today(Patient(enrolled=START, sport=sport), [], START, knowledge)
    ranked = [a for a in knowledge.rules.avoid_today.by_sport[sport] if a in plan.avoid]
    assert list(plan.avoid[:len(ranked)]) == ranked
    catalogue = list(knowledge.activities)
    rest = plan.avoid[len(ranked):]
    assert list(rest) == sorted(rest, key=catalogue.index)


def test_a_dancer_is_told_about_pointe_work_first_a_footballer_about_football(knowledge):
    assert plan_for_today(DANCER, [], START, knowledge).avoid[0] == "pointe"
    footballer = Patient(enrolled=START, sport="football")
    assert plan_for_today(footballer, [], START, knowledge).avoid[0] == "football_training"


def test_a_patient_who_has_not_said_their_sport_gets_the_general_order(knowledge):
    unknown = plan_for_today(Patient(enrolled=START), [], START, knowledge)
    other = plan_for_today(Patient(enrolled=START, sport="other"), [], START, knowledge)
    assert unknown.avoid == other.avoid


def test_avoid_lists_every_activity_to_avoid_and_shows_the_first_few(knowledge):
    plan = plan_for_today(DANCER, [], START, knowledge)
    phase_avoids = {a.id for a in knowledge.activities.values() if a.verdicts["settle"] == "avoid"}
    assert set(plan.avoid) == phase_avoids
    assert plan.avoid_shown == min(knowledge.rules.avoid_today.shown, len(plan.avoid))
    late = week_after(reaching(5, knowledge), knowledge, length=1)[0]
    assert (late.avoid, late.avoid_shown) == ((), 0)
