"""Outcome questionnaires in the chat: offered after the check-in when due, PSFS's activities named then rated, a
licensed questionnaire in the clinic's words, skipped items kept empty, a pause that keeps the answers, and the
form giving way to red flags."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest

from actions import _deps
from actions.action_ask_questionnaire_answer import ActionAskQuestionnaireAnswer
from actions.action_record_checkin import ActionRecordCheckin
from actions.action_record_questionnaire import ActionRecordQuestionnaire
from actions.action_start_questionnaire import ActionStartQuestionnaire
from actions.validate_questionnaire_form import ValidateQuestionnaireForm
from rehab_coach.adapters.nlp import read
from rehab_coach.adapters.storage import Store
from rehab_coach.bootstrap import reminder_defaults
from rehab_coach.core.knowledge import load_knowledge
from rehab_coach.core.outcomes import NOT_APPLICABLE, Response
from rehab_coach.paths import KNOWLEDGE_DIR
from rehab_coach.services.coach import Coach
from tests.actions.conftest import QUIET_DAY, TODAY, clock, kinds, payloads, run, slot_events, texts, tracker
from tests.conftest import say

FIXTURE = Path(__file__).parents[1] / "fixtures" / "questionnaires" / "faam_adl.yml"
PSFS = {"measure": "psfs", "items": ["relevé", "jumps"], "answers": []}


def checked_in(**slots):
    return tracker("all of it", "inform", slots={**QUIET_DAY, **slots})


def answering(state: dict, text: str, intent: str = "inform", **extra):
    return tracker(text, intent, slots={"requested_slot": "questionnaire_answer", "questionnaire": state},
                   active_loop="questionnaire_form", form_turn=True, **extra)


def psfs_answered(coach, patient, day, items=("relevé", "jumps"), answers=(4, 5)):
    coach.store.save_response(patient.id, Response("psfs", day, tuple(items), tuple(answers), 4.5))


async def test_after_the_first_check_in_psfs_is_offered_its_activities_to_name(coach, domain, patient):
    events, dispatcher = await run(ActionRecordCheckin(coach, clock), checked_in(), domain)
    assert texts(dispatcher)[-1] == say("utter_psfs_offer_first")
    assert payloads(dispatcher)[-1] == {"kind": "question", "field": "questionnaire_now", "type": "yesno",
                                        "measure": "psfs"}
    assert slot_events(events)["questionnaire"] == {"measure": "psfs", "items": None, "answers": []}


async def test_six_days_after_psfs_nothing_is_offered(coach, domain, patient):
    psfs_answered(coach, patient, TODAY - timedelta(days=6))
    events, dispatcher = await run(ActionRecordCheckin(coach, clock), checked_in(), domain)
    assert kinds(dispatcher) == ["checkin_recorded", "plan"] and "questionnaire" not in slot_events(events)


async def test_a_week_later_the_activities_named_are_offered_for_rating(coach, domain, patient):
    psfs_answered(coach, patient, TODAY - timedelta(days=7))
    events, dispatcher = await run(ActionRecordCheckin(coach, clock), checked_in(), domain)
    assert texts(dispatcher)[-1] == say("utter_psfs_offer_weekly", count=2)
    assert slot_events(events)["questionnaire"] == PSFS


async def test_a_paused_questionnaire_is_offered_again_where_it_stopped(coach, domain, patient):
    paused = {**PSFS, "answers": [6]}
    events, dispatcher = await run(ActionRecordCheckin(coach, clock), checked_in(questionnaire=paused), domain)
    assert texts(dispatcher)[-1] == say("utter_questionnaire_resume", done=1, count=2)
    assert slot_events(events)["questionnaire"] == paused


@pytest.mark.parametrize(("intent", "response"), [("affirm", "utter_questionnaire_how"),
                                                  ("deny", "utter_questionnaire_later")])
async def test_the_patient_says_yes_or_no_to_the_offer(domain, intent, response):
    events, dispatcher = await run(ActionStartQuestionnaire(), tracker("ok", intent), domain)
    assert texts(dispatcher) == [say(response)] and slot_events(events) == {"questionnaire_offered": False}


async def test_psfs_asks_for_the_activities_then_rates_each_named(domain):
    state = {"measure": "psfs", "items": None, "answers": []}
    _, dispatcher = await run(ActionAskQuestionnaireAnswer(), answering(state, ""), domain)
    assert payloads(dispatcher) == [{"kind": "question", "field": "psfs_activities", "type": "text",
                                     "measure": "psfs", "skippable": True}]
    events, _ = await run(ValidateQuestionnaireForm(), answering(state, "relevé and jumps"), domain)
    assert slot_events(events) == {"questionnaire": PSFS, "questionnaire_answer": None}
    _, dispatcher = await run(ActionAskQuestionnaireAnswer(), answering(PSFS, ""), domain)
    assert payloads(dispatcher) == [{"kind": "question", "field": "psfs_1", "type": "scale", "min": 0, "max": 10,
                                     "measure": "psfs", "item": "relevé", "skippable": True}]
    assert texts(dispatcher) == [say("utter_psfs_rating_question", activity="relevé", number=1, count=2)]


async def test_a_skipped_item_stays_unanswered_and_the_last_answer_completes_the_form(domain):
    events, _ = await run(ValidateQuestionnaireForm(), answering(PSFS, "skip", "stop"), domain)
    skipped = {**PSFS, "answers": [None]}
    assert slot_events(events) == {"questionnaire": skipped, "questionnaire_answer": None}
    events, _ = await run(ValidateQuestionnaireForm(), answering(skipped, "7/10"), domain)
    assert slot_events(events) == {"questionnaire": {**PSFS, "answers": [None, 7]}, "questionnaire_answer": "answered"}


async def test_an_unreadable_rating_is_asked_again_and_nothing_is_guessed(domain):
    events, dispatcher = await run(ValidateQuestionnaireForm(), answering(PSFS, "12"), domain)
    assert slot_events(events) == {"questionnaire_answer": None}
    assert texts(dispatcher) == [say("utter_reask_measure", lowest=0, highest=10)]


@pytest.mark.parametrize(("text", "intent"), [
    ("stop", "stop"), ("bye", "goodbye"), ("chest pain", "red_flag_emergency"),
    ("my calf is hot and swollen", "red_flag_urgent")])
async def test_stop_goodbye_and_serious_red_flags_are_left_to_the_rules(domain, text, intent):
    events, _ = await run(ValidateQuestionnaireForm(), answering(PSFS, text, intent), domain)
    assert events == []


async def test_a_question_to_the_coach_is_answered_and_the_item_asked_again(coach, domain, patient):
    events, dispatcher = await run(ValidateQuestionnaireForm(coach, clock),
                                   answering(PSFS, "what's my plan today?", "ask_plan"), domain)
    assert kinds(dispatcher) == ["plan"] and slot_events(events) == {"questionnaire_answer": None}


async def test_the_completed_questionnaire_is_scored_saved_and_cleared(coach, domain, patient):
    done = {**PSFS, "answers": [None, 7]}
    events, dispatcher = await run(ActionRecordQuestionnaire(coach, clock), answering(done, "7"), domain)
    assert payloads(dispatcher) == [{"kind": "measure_recorded", "measure": "psfs", "date": TODAY.isoformat(),
                                     "items": ["relevé", "jumps"], "answers": [None, 7], "score": 7.0}]
    assert texts(dispatcher) == [say("utter_psfs_saved", score="7", highest=10)]
    assert coach.store.responses(patient.id) == [Response("psfs", TODAY, ("relevé", "jumps"), (None, 7), 7.0)]
    assert slot_events(events) == {"questionnaire": None, "questionnaire_answer": None}


async def test_no_activities_named_is_saved_as_such_and_asked_again_next_week(coach, domain, patient):
    _, dispatcher = await run(ActionRecordQuestionnaire(coach, clock),
                              answering({"measure": "psfs", "items": [], "answers": []}, "none"), domain)
    assert texts(dispatcher) == [say("utter_psfs_no_activities")]
    assert coach.store.responses(patient.id) == [Response("psfs", TODAY, (), (), None)]


async def test_answers_the_database_could_not_take_are_kept(coach, domain, patient, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("database unavailable")

    monkeypatch.setattr(Store, "save_response", broken)
    events, dispatcher = await run(ActionRecordQuestionnaire(coach, clock),
                                   answering({**PSFS, "answers": [3, 4]}, "4"), domain)
    assert events == [] and texts(dispatcher) == [say("utter_measure_not_saved_yet")]


@pytest.fixture
def licensed(tmp_path, coach) -> Coach:
    """The coach with the test questionnaire (FAAM ADL's structure) as the clinic's licensed text."""
    folder = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, folder)
    (folder / "questionnaires").mkdir()
    shutil.copy(FIXTURE, folder / "questionnaires" / "faam_adl.yml")
    return Coach(coach.store, load_knowledge(folder), read, reminder_defaults())


async def test_a_licensed_questionnaire_is_offered_once_psfs_is_done_and_asked_in_the_clinics_words(
        licensed, domain, patient, monkeypatch):
    psfs_answered(licensed, patient, TODAY)
    events, dispatcher = await run(ActionRecordCheckin(licensed, clock), checked_in(), domain)
    name = licensed.knowledge.measures["faam_adl"].name
    assert texts(dispatcher)[-1] == say("utter_questionnaire_offer", name=name, count=21)
    state = slot_events(events)["questionnaire"]
    assert (state["measure"], len(state["items"])) == ("faam_adl", 21)
    monkeypatch.setattr(_deps, "knowledge", lambda: licensed.knowledge)  # the ask action reads the process's
    _, dispatcher = await run(ActionAskQuestionnaireAnswer(), answering(state, ""), domain)
    (question,) = payloads(dispatcher)
    assert question["type"] == "choice" and question["field"] == "faam_adl_1"
    assert question["choices"] == ["4", "3", "2", "1", "0", NOT_APPLICABLE]
    assert question["labels"][-1] == "does not apply to me" and question["item"] == "test activity 1"
    events, _ = await run(ValidateQuestionnaireForm(licensed, clock), answering(state, "a little trouble"), domain)
    assert slot_events(events)["questionnaire"]["answers"] == [3]



async def test_activities_named_are_taken_as_named_though_the_router_read_a_question_about_them(domain):
    state = {"measure": "psfs", "items": None, "answers": []}
    events, dispatcher = await run(ValidateQuestionnaireForm(), answering(state, "relevé, jumps and pointe",
                                                                          "ask_activity"), domain)
    assert slot_events(events)["questionnaire"]["items"] == ["relevé", "jumps", "pointe"]
    assert dispatcher.messages == []


async def test_a_rating_in_the_clinics_words_is_the_answer_whatever_the_classifier_heard(licensed, domain):
    state = {"measure": "faam_adl", "items": list(licensed.knowledge.questionnaires["faam_adl"].items), "answers": []}
    for text, intent, answer in (("does not apply to me", "help", NOT_APPLICABLE), ("A lot of trouble", "greet", 1),
                                 ("3", "ask_all_exercises", 3)):
        events, dispatcher = await run(ValidateQuestionnaireForm(licensed, clock), answering(state, text, intent),
                                       domain)
        assert slot_events(events)["questionnaire"]["answers"] == [answer] and not dispatcher.messages
    events, _ = await run(ValidateQuestionnaireForm(licensed, clock),
                          answering(state, "does not apply to me", "red_flag_urgent"), domain)
    assert events == []  # a serious red flag is still the rules'
