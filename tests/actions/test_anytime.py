"""The any-time answers: plan, activity advice, exercise how-to, progress; greeting and starting a check-in."""

from __future__ import annotations

from datetime import timedelta

import pytest

from actions._base import SORRY
from actions.action_activity_advice import ActionActivityAdvice
from actions.action_exercise_info import ActionExerciseInfo
from actions.action_greet import CARRY_ON, WELCOME, WELCOME_AGAIN, ActionGreet
from actions.action_plan import NOT_CHECKED_IN, ActionPlan
from actions.action_progress import ActionProgress
from actions.action_start_checkin import AGAIN, FINISH_SETUP, REMINDER, RESUME, START, ActionStartCheckin
from rehab_coach.model import Dose
from tests.actions.conftest import QUIET_DAY, TODAY, clock, entity, kinds, payloads, run, texts, tracker


async def test_the_plan_before_todays_checkin_says_so(coach, domain, patient):
    _, dispatcher = await run(ActionPlan(coach, clock), tracker("what's my plan?", "ask_plan"), domain)
    assert kinds(dispatcher) == ["plan"]
    assert texts(dispatcher)[-1] == NOT_CHECKED_IN


async def test_the_plan_after_todays_checkin_follows_it(coach, domain, patient):
    coach.record_checkin(patient, QUIET_DAY, TODAY)
    _, dispatcher = await run(ActionPlan(coach, clock), tracker("what's my plan?", "ask_plan"), domain)
    (plan,) = payloads(dispatcher)
    assert plan["day_class"] == "green" and NOT_CHECKED_IN not in texts(dispatcher)


@pytest.mark.parametrize(
    ("said", "activities"),
    [(["run"], ["running"]), (["dancing", "jump"], ["dance_class", "jumping"]), (["run", "running"], ["running"])],
)
async def test_activity_advice_for_each_activity_named(coach, domain, patient, said, activities):
    message = tracker("can I ...?", "ask_activity", entities=[entity("activity", s) for s in said])
    _, dispatcher = await run(ActionActivityAdvice(coach, clock), message, domain)
    assert [p["activity"] for p in payloads(dispatcher)] == activities
    assert all(p["kind"] == "activity_advice" for p in payloads(dispatcher))


@pytest.mark.parametrize("entities", [[], [entity("activity", "knitting")]])
async def test_no_known_activity_asks_which_one(coach, domain, patient, entities):
    message = tracker("can I do it?", "ask_activity", entities=entities)
    _, dispatcher = await run(ActionActivityAdvice(coach, clock), message, domain)
    assert kinds(dispatcher) == []
    assert "running" in texts(dispatcher)[0]


async def test_exercise_info_gives_the_dose_from_todays_plan(coach, domain, patient):
    todays = coach.plan_for_today(patient, TODAY).exercises[0]
    message = tracker("how do I do it?", "ask_exercise", entities=[entity("exercise", todays.exercise.name)])
    _, dispatcher = await run(ActionExerciseInfo(coach, clock), message, domain)
    (info,) = payloads(dispatcher)
    planned = {e["id"]: e for e in coach.store.latest_plan(patient.id)["exercises"]}
    assert info["exercise"] == todays.exercise.id
    assert info["dosage"]["sets"] == planned[todays.exercise.id]["sets"] and info["in_plan"] is True
    assert "Your dose today" in texts(dispatcher)[0]


async def test_an_exercise_whose_turn_is_another_day_is_explained_with_its_dose(coach, domain, patient):
    other = coach.plan_for_today(patient, TODAY).more_exercises[0]
    message = tracker("how?", "ask_exercise", entities=[entity("exercise", other.exercise.name)])
    _, dispatcher = await run(ActionExerciseInfo(coach, clock), message, domain)
    (info,) = payloads(dispatcher)
    assert (info["exercise"], info["in_plan"], info["in_phase"]) == (other.exercise.id, False, True)
    assert Dose.from_payload(info["dosage"]) == other.dose
    assert "its turn comes on another day" in texts(dispatcher)[0]


async def test_an_exercise_outside_todays_plan_is_explained_without_a_dose(coach, domain, patient):
    message = tracker("how?", "ask_exercise", entities=[entity("exercise", "soft-landing hops")])
    _, dispatcher = await run(ActionExerciseInfo(coach, clock), message, domain)
    (info,) = payloads(dispatcher)
    assert info["exercise"] == "ankle_hop_plyometrics" and set(info["dosage"].values()) == {None}
    assert info["in_plan"] is False and info["in_phase"] is False
    assert "isn't in your plan" in texts(dispatcher)[0]


async def test_an_unknown_exercise_lists_todays(coach, domain, patient):
    _, dispatcher = await run(ActionExerciseInfo(coach, clock), tracker("how do I do the thing?", "ask_exercise"),
                              domain)
    assert kinds(dispatcher) == ["plan"]
    assert texts(dispatcher)[0].startswith("Which exercise do you mean?")
    todays = coach.plan_for_today(patient, TODAY).exercises
    assert all(p.exercise.name in texts(dispatcher)[1] for p in todays)


async def test_progress_counts_days_checkins_and_the_pain_trend(coach, domain, patient):
    enrolled = patient.profile.enrolled
    for offset in (2, 1, 0):
        coach.record_checkin(patient, QUIET_DAY, TODAY - timedelta(days=offset))
    _, dispatcher = await run(ActionProgress(coach, clock), tracker("how am I doing?", "ask_progress"), domain)
    (progress,) = payloads(dispatcher)
    assert progress["checkins"] == 3 and progress["days"] == (TODAY - enrolled).days
    assert [day for day, _ in progress["pain_trend"]] == [(TODAY - timedelta(days=n)).isoformat() for n in (2, 1, 0)]


ANSWERS = [
    (ActionPlan, "ask_plan", []),
    (ActionActivityAdvice, "ask_activity", [entity("activity", "run")]),
    (ActionExerciseInfo, "ask_exercise", [entity("exercise", "towel scrunches")]),
    (ActionProgress, "ask_progress", []),
]


@pytest.mark.parametrize(("action", "intent", "entities"), ANSWERS)
async def test_a_routine_red_flag_said_in_passing_is_added_to_the_answer(coach, domain, patient, action, intent,
                                                                         entities):
    flag = entity("red_flag", "mechanical_locking_text", urgency="routine")
    message = tracker("my ankle keeps locking, what now?", intent, entities=[*entities, flag])
    _, dispatcher = await run(action(coach, clock), message, domain)
    found = kinds(dispatcher)
    assert found[-1] == "escalation" and len(found) >= 2
    assert payloads(dispatcher)[-1]["urgency"] == "routine"


@pytest.mark.parametrize(("action", "intent", "entities"), ANSWERS)
async def test_a_serious_red_flag_replaces_the_answer(coach, domain, patient, action, intent, entities):
    flag = entity("red_flag", "possible_dvt", urgency="urgent")
    message = tracker("my calf is swollen, hot and red", intent, entities=[*entities, flag])
    _, dispatcher = await run(action(coach, clock), message, domain)
    assert kinds(dispatcher) == ["escalation"]


@pytest.mark.parametrize(("action", "intent", "entities"), ANSWERS)
async def test_a_failure_gets_an_apology_not_silence(coach, domain, patient, action, intent, entities, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("database unavailable")

    monkeypatch.setattr(coach.store, "checkins", broken)
    events, dispatcher = await run(action(coach, clock), tracker("?", intent, entities=entities), domain)
    assert events == [] and texts(dispatcher)[-1] == SORRY


@pytest.mark.parametrize(("checked_in", "loop", "expected"),
                         [(False, None, WELCOME), (True, None, WELCOME_AGAIN), (False, "checkin_form", CARRY_ON)])
async def test_greeting(coach, domain, patient, checked_in, loop, expected):
    if checked_in:
        coach.record_checkin(patient, QUIET_DAY, TODAY)
    _, dispatcher = await run(ActionGreet(coach, clock), tracker("hi", "greet", active_loop=loop), domain)
    assert texts(dispatcher) == [expected] and kinds(dispatcher) == []


@pytest.mark.parametrize(
    ("intent", "checked_in", "slots", "loop", "expected"),
    [("start_checkin", False, {}, None, START), ("EXTERNAL_checkin_reminder", False, {}, None, REMINDER),
     ("start_checkin", True, {}, None, AGAIN), ("start_checkin", True, {"pain_rest": 2}, None, RESUME),
     ("start_checkin", False, {}, "onboarding_form", FINISH_SETUP)],
)
async def test_starting_a_checkin(coach, domain, patient, intent, checked_in, slots, loop, expected):
    if checked_in:
        coach.record_checkin(patient, QUIET_DAY, TODAY)
    message = tracker("", intent, slots=slots, active_loop=loop)
    _, dispatcher = await run(ActionStartCheckin(coach, clock), message, domain)
    assert texts(dispatcher) == [expected]
