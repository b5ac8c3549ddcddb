"""Specification: how one day's check-in is classed green, amber or red (knowledge/rules.yml)."""

import pytest

from rehab_coach.core.engine import classify_day
from rehab_coach.core.model import CheckIn, InvalidCheckIn
from tests.builders import day, days, on


def test_quiet_day_is_green(knowledge):
    assert classify_day(day(0), [], knowledge).day_class == "green"


def test_exercise_pain_in_acceptable_zone_is_amber(knowledge):
    amber = knowledge.rules.day.amber.pain_exercise_min
    result = classify_day(day(0, exercise=amber), [], knowledge)
    assert result.day_class == "amber"
    assert f"pain during exercise {amber}/10" in result.reasons


def test_exercise_pain_in_unacceptable_zone_is_red(knowledge):
    red = knowledge.rules.day.red.pain_exercise_min
    assert classify_day(day(0, exercise=red), [], knowledge).day_class == "red"
    assert classify_day(day(0, exercise=red - 1), [], knowledge).day_class == "amber"


def test_morning_pain_rising_two_points_above_baseline_is_red(knowledge):
    rise = knowledge.rules.day.red.morning_rise_min
    history = days(0, 3, morning=1)
    result = classify_day(day(3, morning=1 + rise), history, knowledge)
    assert result.day_class == "red"
    assert any("above your usual 1/10" in reason for reason in result.reasons)


def test_morning_pain_not_quite_settled_is_amber(knowledge):
    rise = knowledge.rules.day.amber.morning_rise_min
    assert classify_day(day(3, morning=1 + rise), days(0, 3, morning=1), knowledge).day_class == "amber"


def test_baseline_is_the_lowest_recent_morning_pain(knowledge):
    history = [day(0, morning=0), *days(1, 3, morning=2)]
    rise = knowledge.rules.day.red.morning_rise_min
    assert classify_day(day(4, morning=rise), history, knowledge).day_class == "red"


def test_first_day_has_no_baseline_so_morning_pain_alone_is_not_a_rise(knowledge):
    assert classify_day(day(0, morning=4), [], knowledge).day_class == "green"


def test_marked_swelling_is_red(knowledge):
    assert classify_day(day(0, swelling="marked"), [], knowledge).day_class == "red"


def test_more_swelling_than_last_time_is_red_but_steady_mild_swelling_is_green(knowledge):
    assert classify_day(day(1, swelling="mild"), [day(0)], knowledge).day_class == "red"
    assert classify_day(day(1, swelling="mild"), [day(0, swelling="mild")], knowledge).day_class == "green"


@pytest.mark.parametrize("mechanical,expected", [("catching", "amber"), ("locking", "red"), ("giving_way", "red")])
def test_mechanical_symptoms_are_never_green(knowledge, mechanical, expected):
    assert classify_day(day(0, mechanical=mechanical), [], knowledge).day_class == expected


def test_high_rest_pain_is_red(knowledge):
    rest = knowledge.rules.day.red.pain_rest_min
    assert classify_day(day(0, rest=rest), [], knowledge).day_class == "red"


def test_red_reasons_list_every_sign(knowledge):
    result = classify_day(day(0, exercise=8, swelling="marked", mechanical="locking"), [], knowledge)
    assert result.reasons == ("pain during exercise 8/10", "marked swelling", "the ankle locked")


def test_later_checkins_do_not_change_an_earlier_days_class(knowledge):
    assert classify_day(day(0), [day(1, morning=9)], knowledge).day_class == "green"


def test_checkin_validation_lists_every_problem():
    with pytest.raises(InvalidCheckIn) as caught:
        CheckIn.validated(on(5), today=on(4), pain_rest=11, pain_exercise="4", pain_morning=-1,
                          swelling="huge", mechanical="none", adherence="most", mood="ok")
    assert caught.value.problems == (
        "date 2026-03-07 is in the future",
        "mood: unknown field",
        "pain_rest: 11 is not a whole number from 0 to 10",
        "pain_exercise: '4' is not a whole number from 0 to 10",
        "pain_morning: -1 is not a whole number from 0 to 10",
        "swelling: 'huge' is not one of none, mild, marked",
        "adherence: 'most' is not one of all, some, none",
    )


def test_valid_checkin_is_accepted():
    checkin = CheckIn.validated(on(0), today=on(0), pain_rest=0, pain_exercise=10, pain_morning=3,
                                swelling="mild", mechanical="catching", adherence="some")
    assert checkin.worst_pain == 10
    assert checkin.values()["mechanical"] == "catching"
