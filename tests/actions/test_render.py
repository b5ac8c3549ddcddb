"""The text that goes with the payloads."""

from __future__ import annotations

from dataclasses import replace

import pytest

from actions import _render
from rehab_coach.core.engine import Plan, plan_for_today
from rehab_coach.core.model import Dose, Patient
from tests.builders import START
from tests.conftest import say


@pytest.mark.parametrize(
    ("dose", "text"),
    [
        (Dose(sets=3, reps=10, per_day=1), "3 × 10, once a day"),
        (Dose(sets=4, hold_seconds=30, per_day=2), "4 × 30 s hold, twice a day"),
        (Dose(sets=3, reps=10, hold_seconds=5, per_day=1, note="seated"), "3 × 10, hold 5 s, once a day (seated)"),
        (Dose(minutes=10, per_week=3), "10 min, 3 times a week"),
        (Dose(sets=5, minutes=6, per_week=3), "5 × 6 min, 3 times a week"),
        (Dose(note="as your physio shows you"), "as your physio shows you"),
        (Dose(), "as your physio advises"),
    ],
)
def test_doses_read_as_sets_reps_holds_and_how_often(domain, dose, text):
    assert _render.dose(dose, domain) == text


@pytest.mark.parametrize(("day_class", "article"), [("green", "a"), ("amber", "an"), ("red", "a")])
def test_the_day_class_reads_naturally(day_class, article):
    assert f"saved: {article} {day_class} day." in say(**_render.checkin_recorded(day_class, ()))


def _dancers_first_plan(knowledge) -> Plan:
    return plan_for_today(Patient(enrolled=START, sport="dance"), [], START, knowledge)


def test_the_plan_lists_todays_session_the_first_activities_to_avoid_and_how_many_more(knowledge, domain):
    plan = _dancers_first_plan(knowledge)
    text = say(**_render.plan(plan, knowledge, domain))
    assert all(f"• {p.exercise.name}: " in text for p in plan.exercises)
    assert not any(p.exercise.name in text for p in plan.more_exercises)
    shown = _render.activity_names(plan.avoid[:plan.avoid_shown], knowledge)
    more = len(plan.avoid) - plan.avoid_shown
    assert f"Avoid today: {', '.join(shown)} and {more} more." in text
    assert f"Why: {'; '.join(plan.reasons)}." in text
    assert text.endswith(say("utter_plan_show_all"))


def test_a_plan_with_nothing_left_out_does_not_offer_more(knowledge, domain):
    plan = replace(_dancers_first_plan(knowledge), more_exercises=(), avoided=(), avoid_shown=0)
    text = say(**_render.plan(plan, knowledge, domain))
    assert "Avoid today" not in text and say("utter_plan_show_all") not in text


def test_all_my_exercises_lists_today_the_other_days_and_everything_to_avoid(knowledge, domain):
    plan = _dancers_first_plan(knowledge)
    text = say(**_render.full_plan(plan, knowledge, domain))
    today, other_days = text.split("\nToday:\n")[1].split("\nOn other days:\n")
    assert all(p.exercise.name in today for p in plan.exercises)
    assert all(p.exercise.name in other_days for p in plan.more_exercises)
    assert f"Avoid today: {', '.join(_render.activity_names(plan.avoid, knowledge))}." in text
    assert "more." not in text and f"Why: {'; '.join(plan.reasons)}." in text


def test_an_exercise_whose_turn_is_another_day_gives_its_dose_then(knowledge, domain):
    other = _dancers_first_plan(knowledge).more_exercises[0]
    text = say(**_render.exercise(other.exercise, other.dose, in_session=False, domain=domain))
    assert text.endswith(f"It isn't in today's session: its turn comes on another day. "
                         f"Your dose then: {_render.dose(other.dose, domain)}.")
