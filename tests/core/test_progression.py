"""Specification: phase decisions (start, progress, hold, regress) and exercise doses over a course."""

from rehab_coach.core.engine import follow_course, plan_for_today
from rehab_coach.core.model import Patient
from tests.builders import START, day, days, on

PATIENT = Patient(enrolled=START)


def phases(history, knowledge):
    return [result.state.phase for result in follow_course(history, knowledge)]


def test_first_plan_starts_phase_one(knowledge):
    plan = plan_for_today(PATIENT, [], START, knowledge)
    assert (plan.status, plan.phase.number) == ("start", 1)
    assert plan.exercises


def test_three_green_days_in_a_row_leave_phase_one(knowledge):
    need = knowledge.phase(1).exit.consecutive_green
    course = follow_course(days(0, need), knowledge)
    assert [r.status for r in course] == ["hold"] * (need - 1) + ["progress"]
    assert course[-1].state.phase == 2
    assert "moving on to phase 2" in course[-1].reasons[0]


def test_rest_pain_above_the_exit_limit_keeps_phase_one(knowledge):
    limit = knowledge.phase(1).exit.max_pain_rest
    assert phases(days(0, 5, rest=limit + 1), knowledge) == [1] * 5


def test_amber_day_breaks_the_green_streak(knowledge):
    history = [day(0), day(1), day(2, exercise=4), day(3), day(4)]
    assert phases(history, knowledge) == [1, 1, 1, 1, 1]
    assert phases([*history, day(5)], knowledge)[-1] == 2


def test_green_day_without_doing_the_plan_does_not_count(knowledge):
    history = [day(0), day(1, adherence="none"), day(2)]
    assert phases(history, knowledge)[-1] == 1


def test_phase_two_needs_a_full_window_in_the_phase(knowledge):
    window = knowledge.phase(2).exit.window_days
    history = days(0, 3 + window)  # phase 2 decided on day 2
    course = follow_course(history, knowledge)
    reached_three = next(r.checkin.day for r in course if r.state.phase == 3)
    assert reached_three == on(2 + window)


def test_red_day_holds_the_phase(knowledge):
    history = [*days(0, 3), day(3, exercise=7)]
    course = follow_course(history, knowledge)
    assert course[-1].status == "hold"
    assert course[-1].state.phase == 2


def test_two_red_days_within_a_week_step_back_one_phase(knowledge):
    history = [*days(0, 3), day(3, exercise=7), day(4), day(5, swelling="marked")]
    course = follow_course(history, knowledge)
    assert course[-1].status == "regress"
    assert course[-1].state.phase == 1
    assert "stepping back to phase 1" in course[-1].reasons[0]


def test_red_days_never_push_below_phase_one(knowledge):
    assert phases(days(0, 6, exercise=8), knowledge) == [1] * 6


def test_after_stepping_back_three_green_days_return_to_the_phase_left(knowledge):
    need = knowledge.rules.flare.reentry_consecutive_green
    history = [*days(0, 3), day(3, exercise=7), day(5, exercise=7), *days(6, need)]
    course = follow_course(history, knowledge)
    assert course[-need - 1].state.phase == 1
    assert course[-1].status == "progress" and course[-1].state.phase == 2


def test_maintenance_is_the_last_phase(knowledge):
    history = days(0, 200)
    assert phases(history, knowledge)[-1] == knowledge.last_phase


def test_doses_step_up_after_green_days_and_down_after_a_red_day(knowledge):
    need = knowledge.rules.progression.dose_up_after_green
    history = days(0, 3 + 2 * need)  # into phase 2, then two dose steps
    levels = [r.state.dose_level for r in follow_course(history, knowledge)]
    assert levels[2] == 0  # a new phase starts at the easiest dose
    assert levels[-1] > 0
    after_red = follow_course([*history, day(3 + 2 * need, exercise=7)], knowledge)[-1]
    assert after_red.state.dose_level == levels[-1] - knowledge.rules.progression.dose_down_on_red


def test_same_history_always_gives_the_same_plan(knowledge):
    history = [*days(0, 5), day(5, exercise=4), *days(6, 4)]
    shuffled = history[::-1]
    assert plan_for_today(PATIENT, history, on(9), knowledge) == plan_for_today(PATIENT, shuffled, on(9), knowledge)


def test_repeated_checkin_for_a_day_replaces_the_first(knowledge):
    history = [day(0), day(1), day(2, exercise=8), day(2)]
    assert follow_course(history, knowledge)[-1].classification.day_class == "green"


def test_plan_without_todays_checkin_follows_the_last_one(knowledge):
    plan = plan_for_today(PATIENT, days(0, 3), on(4), knowledge)
    assert plan.status == "hold"
    assert plan.phase.number == 2
    assert plan.day_class is None
    assert "2026-03-04" in plan.reasons[0]


def test_plan_explains_todays_class_and_decision(knowledge):
    plan = plan_for_today(PATIENT, days(0, 3), on(2), knowledge)
    assert plan.status == "progress"
    assert plan.day_class == "green"
    assert plan.reasons[0].startswith("green day:")
    assert any("moving on to phase 2" in reason for reason in plan.reasons)


def test_checkins_after_today_are_ignored(knowledge):
    plan = plan_for_today(PATIENT, [*days(0, 2), day(2)], on(1), knowledge)
    assert plan.phase.number == 1
