"""The any-time answers: plan, activity advice, exercise how-to, progress; greeting and starting a check-in."""

from __future__ import annotations

from datetime import timedelta

import pytest

from actions._base import EXERCISE_CANDIDATES
from actions.action_activity_advice import ActionActivityAdvice
from actions.action_exercise_info import ActionExerciseInfo
from actions.action_greet import ActionGreet
from actions.action_plan import ActionPlan
from actions.action_progress import ActionProgress
from actions.action_start_checkin import ActionStartCheckin
from rehab_coach.core.model import Dose
from tests.actions.conftest import QUIET_DAY, TODAY, clock, entity, kinds, payloads, run, slot_events, texts, tracker
from tests.conftest import say


async def test_the_plan_before_todays_checkin_says_so(coach, domain, patient):
    _, dispatcher = await run(ActionPlan(coach, clock), tracker("what's my plan?", "ask_plan"), domain)
    assert kinds(dispatcher) == ["plan"]
    assert texts(dispatcher)[-1] == say("utter_plan_not_checked_in")


async def test_the_plan_after_todays_checkin_follows_it(coach, domain, patient):
    coach.record_checkin(patient, QUIET_DAY, TODAY)
    _, dispatcher = await run(ActionPlan(coach, clock), tracker("what's my plan?", "ask_plan"), domain)
    (plan,) = payloads(dispatcher)
    assert plan["day_class"] == "green" and say("utter_plan_not_checked_in") not in texts(dispatcher)


@pytest.mark.parametrize(
    ("said", "activities"),
    [("can I run?", ["running"]), ("dancing tonight, and the jumps?", ["dance_class", "jumping"]),
     ("can I run, I mean go running?", ["running"])],
)
async def test_activity_advice_for_each_activity_asked_about(coach, domain, patient, said, activities):
    _, dispatcher = await run(ActionActivityAdvice(coach, clock), tracker(said, "ask_activity"), domain)
    assert [p["activity"] for p in payloads(dispatcher)] == activities
    assert all(p["kind"] == "activity_advice" for p in payloads(dispatcher))


async def test_an_activity_named_in_slang_gets_its_verdict(coach, domain, patient):
    _, dispatcher = await run(ActionActivityAdvice(coach, clock), tracker("7-a-side tonight?", "ask_activity"), domain)
    (advice,) = payloads(dispatcher)
    assert (advice["activity"], advice["verdict"]) == ("football_training", "avoid")


async def test_an_activity_without_advice_yet_says_so_and_offers_the_closest(coach, domain, patient, knowledge):
    _, dispatcher = await run(ActionActivityAdvice(coach, clock), tracker("is squash ok?", "ask_activity"), domain)
    (offer,) = payloads(dispatcher)
    closest = knowledge.uncovered["racket_sports"].closest
    assert (offer["kind"], offer["field"], offer["type"]) == ("question", "activity", "choice")
    assert offer["choices"] == list(closest)
    assert offer["labels"] == [knowledge.activities[a].name for a in closest]
    assert texts(dispatcher)[0].startswith("I don't have advice on racket sports yet.")


async def test_nothing_known_names_what_matters_for_the_patients_sport(coach, domain, patient, knowledge):
    _, dispatcher = await run(ActionActivityAdvice(coach, clock), tracker("can I do it?", "ask_activity"), domain)
    (offer,) = payloads(dispatcher)
    assert offer["choices"] == list(knowledge.rules.avoid_today.by_sport["dance"][:knowledge.rules.resolution.closest])
    assert texts(dispatcher)[0].startswith("I don't have advice on that yet. I can tell you about pointe work")


async def test_an_activity_with_advice_is_answered_and_one_without_is_named(coach, domain, patient):
    message = tracker("vinyasa session tonight, with lots of child's pose", "ask_activity")
    _, dispatcher = await run(ActionActivityAdvice(coach, clock), message, domain)
    (advice,) = payloads(dispatcher)
    assert (advice["kind"], advice["activity"]) == ("activity_advice", "kneeling_on_pointed_feet")
    assert texts(dispatcher)[-1] == "I don't have advice on yoga yet, beyond the above."


async def test_an_exercise_asked_about_as_an_activity_is_explained_with_its_place_in_todays_plan(coach, domain,
                                                                                               patient):
    other = coach.plan_for_today(patient, TODAY).more_exercises[0].exercise
    message = tracker(f"can I do the {other.name.lower()} today?", "ask_activity")
    _, dispatcher = await run(ActionActivityAdvice(coach, clock), message, domain)
    (info,) = payloads(dispatcher)
    assert (info["kind"], info["exercise"], info["in_plan"], info["in_phase"]) == ("exercise_info", other.id, False,
                                                                                  True)


async def test_exercise_info_gives_the_dose_from_todays_plan(coach, domain, patient):
    todays = coach.plan_for_today(patient, TODAY).exercises[0]
    message = tracker(f"how do I do the {todays.exercise.name}?", "ask_exercise")
    events, dispatcher = await run(ActionExerciseInfo(coach, clock), message, domain)
    (info,) = payloads(dispatcher)
    planned = {e["id"]: e for e in coach.store.latest_plan(patient.id)["exercises"]}
    assert info["exercise"] == todays.exercise.id
    assert info["dosage"]["sets"] == planned[todays.exercise.id]["sets"] and info["in_plan"] is True
    assert "Your dose today" in texts(dispatcher)[0]
    assert events == []  # no "which one?" was pending


async def test_an_exercise_whose_turn_is_another_day_is_explained_with_its_dose(coach, domain, patient):
    other = coach.plan_for_today(patient, TODAY).more_exercises[0]
    message = tracker(f"how do I do the {other.exercise.name}?", "ask_exercise")
    _, dispatcher = await run(ActionExerciseInfo(coach, clock), message, domain)
    (info,) = payloads(dispatcher)
    assert (info["exercise"], info["in_plan"], info["in_phase"]) == (other.exercise.id, False, True)
    assert Dose.from_payload(info["dosage"]) == other.dose
    assert "its turn comes on another day" in texts(dispatcher)[0]


async def test_an_exercise_outside_todays_plan_is_explained_without_a_dose(coach, domain, patient):
    message = tracker("how do I do the soft-landing hops?", "ask_exercise")
    _, dispatcher = await run(ActionExerciseInfo(coach, clock), message, domain)
    (info,) = payloads(dispatcher)
    assert info["exercise"] == "ankle_hop_plyometrics" and set(info["dosage"].values()) == {None}
    assert info["in_plan"] is False and info["in_phase"] is False
    assert "isn't in your plan" in texts(dispatcher)[0]


async def test_an_exercise_described_in_the_patients_words_is_explained(coach, domain, patient):
    message = tracker("twisting my foot out to the side against the theraband, seated", "ask_exercise")
    _, dispatcher = await run(ActionExerciseInfo(coach, clock), message, domain)
    (info,) = payloads(dispatcher)
    assert info["exercise"] == "band_eversion_peroneals"


async def test_a_near_tie_asks_which_one_naming_only_the_candidates(coach, domain, patient, knowledge):
    tied = ["band_inversion_tib_post", "band_eversion_peroneals"]
    message = tracker("the theraband one, twisting my foot: which direction?", "ask_exercise")
    events, dispatcher = await run(ActionExerciseInfo(coach, clock), message, domain)
    (question,) = payloads(dispatcher)
    assert (question["kind"], question["field"], question["type"]) == ("question", "exercise", "choice")
    assert question["choices"] == tied
    assert question["labels"] == [knowledge.exercises[e].name for e in tied]
    assert slot_events(events) == {EXERCISE_CANDIDATES: tied}
    assert texts(dispatcher)[0].splitlines()[1:] == [f"{n}. {label}" for n, label in enumerate(question["labels"], 1)]


async def test_the_answer_to_which_one_is_read_among_the_candidates(coach, domain, patient):
    offered = {EXERCISE_CANDIDATES: ["band_inversion_tib_post", "band_eversion_peroneals"]}
    events, dispatcher = await run(ActionExerciseInfo(coach, clock), tracker("the second", slots=offered), domain)
    (info,) = payloads(dispatcher)
    assert info["kind"] == "exercise_info" and info["exercise"] == "band_eversion_peroneals"
    assert slot_events(events) == {EXERCISE_CANDIDATES: None}


async def test_no_candidate_says_so_and_offers_todays_exercises(coach, domain, patient):
    events, dispatcher = await run(ActionExerciseInfo(coach, clock), tracker("how do I do the thing?", "ask_exercise"),
                                   domain)
    (question,) = payloads(dispatcher)
    todays = [p.exercise.id for p in coach.plan_for_today(patient, TODAY).exercises]
    assert (question["field"], question["choices"]) == ("exercise", todays)
    assert texts(dispatcher)[0].startswith(say("utter_which_exercise_today", exercises=""))
    assert slot_events(events) == {EXERCISE_CANDIDATES: todays}


async def test_progress_counts_days_checkins_and_the_pain_trend(coach, domain, patient):
    enrolled = patient.profile.enrolled
    for offset in (2, 1, 0):
        coach.record_checkin(patient, QUIET_DAY, TODAY - timedelta(days=offset))
    _, dispatcher = await run(ActionProgress(coach, clock), tracker("how am I doing?", "ask_progress"), domain)
    (progress,) = payloads(dispatcher)
    assert progress["checkins"] == 3 and progress["days"] == (TODAY - enrolled).days
    assert [day for day, _ in progress["pain_trend"]] == [(TODAY - timedelta(days=n)).isoformat() for n in (2, 1, 0)]


ANSWERS = [
    (ActionPlan, "ask_plan", "what's my plan?"),
    (ActionActivityAdvice, "ask_activity", "can I run?"),
    (ActionExerciseInfo, "ask_exercise", "how do the towel scrunches go?"),
    (ActionProgress, "ask_progress", "how am I doing?"),
]


@pytest.mark.parametrize(("action", "intent", "question"), ANSWERS)
async def test_a_routine_red_flag_said_in_passing_is_added_to_the_answer(coach, domain, patient, action, intent,
                                                                         question):
    flag = entity("red_flag", "mechanical_locking_text", urgency="routine")
    message = tracker(f"{question} my ankle keeps locking", intent, entities=[flag])
    _, dispatcher = await run(action(coach, clock), message, domain)
    found = kinds(dispatcher)
    assert found[-1] == "escalation" and len(found) >= 2
    assert payloads(dispatcher)[-1]["urgency"] == "routine"


@pytest.mark.parametrize(("action", "intent", "question"), ANSWERS)
async def test_a_serious_red_flag_replaces_the_answer(coach, domain, patient, action, intent, question):
    flag = entity("red_flag", "possible_dvt", urgency="urgent")
    message = tracker(f"{question} my calf is swollen, hot and red", intent, entities=[flag])
    _, dispatcher = await run(action(coach, clock), message, domain)
    assert kinds(dispatcher) == ["escalation"]


@pytest.mark.parametrize(("action", "intent", "question"), ANSWERS)
async def test_a_failure_gets_an_apology_not_silence(coach, domain, patient, action, intent, question, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("database unavailable")

    monkeypatch.setattr(coach.store, "checkins", broken)
    events, dispatcher = await run(action(coach, clock), tracker(question, intent), domain)
    assert events == [] and texts(dispatcher)[-1] == say("utter_sorry")


@pytest.mark.parametrize(("checked_in", "loop", "expected"),
                         [(False, None, "utter_greet_checkin"), (True, None, "utter_greet_checked_in"),
                          (False, "checkin_form", "utter_greet_mid_form")])
async def test_greeting(coach, domain, patient, checked_in, loop, expected):
    if checked_in:
        coach.record_checkin(patient, QUIET_DAY, TODAY)
    _, dispatcher = await run(ActionGreet(coach, clock), tracker("hi", "greet", active_loop=loop), domain)
    assert texts(dispatcher) == [say(expected)] and kinds(dispatcher) == []


@pytest.mark.parametrize(
    ("intent", "checked_in", "slots", "loop", "expected"),
    [("start_checkin", False, {}, None, "utter_checkin_start"),
     ("EXTERNAL_checkin_reminder", False, {}, None, "utter_checkin_reminder"),
     ("start_checkin", True, {}, None, "utter_checkin_again"),
     ("start_checkin", True, {"pain_rest": 2}, None, "utter_checkin_resume"),
     ("start_checkin", False, {}, "onboarding_form", "utter_checkin_after_setup")],
)
async def test_starting_a_checkin(coach, domain, patient, intent, checked_in, slots, loop, expected):
    if checked_in:
        coach.record_checkin(patient, QUIET_DAY, TODAY)
    message = tracker("", intent, slots=slots, active_loop=loop)
    _, dispatcher = await run(ActionStartCheckin(coach, clock), message, domain)
    assert texts(dispatcher) == [say(expected)]


@pytest.mark.parametrize(("kind", "expected"), [("daily", "utter_checkin_reminder"),
                                                ("gentle", "utter_checkin_gentle")])
async def test_the_scheduler_says_which_reminder_it_is(coach, domain, kind, expected):
    message = tracker("", "EXTERNAL_checkin_reminder", entities=[entity("reminder", kind)])
    _, dispatcher = await run(ActionStartCheckin(coach, clock), message, domain)
    assert texts(dispatcher) == [say(expected)]
