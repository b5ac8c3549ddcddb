"""The safety form: its questions one at a time, yes/no answers read, and the decision at the end."""

from __future__ import annotations

from actions.action_ask_safety_answer import ActionAskSafetyAnswer
from actions.action_safety_decision import ActionSafetyDecision
from actions.action_warning_signs import ActionWarningSigns
from actions.validate_safety_form import ValidateSafetyForm
from tests.actions.conftest import clock, kinds, payloads, run, slot_events, texts, tracker
from tests.conftest import say


def asking(check: str, answers: dict, text: str = "", intent: str = "affirm", **slots):
    return tracker(text, intent, slots={"requested_slot": "safety_answer", "safety_check": check,
                                        "safety_answers": answers, **slots}, active_loop="safety_form",
                   form_turn=True)


async def test_the_next_question_is_asked_with_its_domain_wording(domain):
    _, dispatcher = await run(ActionAskSafetyAnswer(), asking("fracture", {"steps_now": "yes"}), domain)
    assert [m["response"] for m in dispatcher.messages] == ["utter_safety_bone_tender"]


async def test_a_yes_or_no_is_recorded_and_the_form_goes_on_until_the_answers_decide(domain):
    events, _ = await run(ValidateSafetyForm(), asking("fracture", {}, "yes I can walk on it"), domain)
    assert slot_events(events) == {"safety_answers": {"steps_now": "yes"}, "safety_answer": None}
    events, _ = await run(ValidateSafetyForm(), asking("fracture", {}, "no", "deny"), domain)
    assert slot_events(events) == {"safety_answers": {"steps_now": "no"}, "safety_answer": "answered"}


async def test_an_answer_that_is_neither_yes_nor_no_is_asked_again(domain):
    events, dispatcher = await run(ValidateSafetyForm(), asking("fracture", {}, "not sure really", "inform"), domain)
    assert slot_events(events) == {"safety_answer": None}
    assert texts(dispatcher) == [say("utter_reask_safety")]


async def test_an_emergency_said_during_the_questions_is_left_to_the_rules(domain):
    events, _ = await run(ValidateSafetyForm(), asking("fracture", {}, "chest pain", "red_flag_emergency"), domain)
    assert events == []


async def test_answers_that_meet_an_outcome_escalate_and_are_stored(coach, domain, patient):
    events, dispatcher = await run(ActionSafetyDecision(coach, clock), asking("fracture", {"steps_now": "no"}),
                                   domain)
    (payload,) = payloads(dispatcher)
    assert (payload["urgency"], payload["triggers"]) == ("urgent", ["possible_fracture", "check:fracture"])
    assert [e.escalation.urgency for e in coach.store.escalations(patient.id)] == ["urgent"]
    assert slot_events(events)["safety_asking"] is False


async def test_clear_answers_say_so_and_the_interrupted_check_in_carries_on(coach, domain, patient):
    answers = {"breathing": "no", "calf_changes": "no"}
    events, dispatcher = await run(ActionSafetyDecision(coach, clock),
                                   asking("clot", answers, resume_form="checkin_form"), domain)
    assert dispatcher.messages[0]["response"] == "utter_safety_clear"
    assert {"event": "followup", "name": "checkin_form"} in [
        {k: e.get(k) for k in ("event", "name")} for e in events]
    assert not coach.store.escalations(patient.id)


async def test_the_warning_signs_are_information_not_an_escalation(coach, domain, patient):
    _, dispatcher = await run(ActionWarningSigns(coach, clock), tracker("what are the warning signs?",
                                                                         "ask_warning_signs"), domain)
    assert kinds(dispatcher) == ["warning_signs"]
    urgencies = {sign["urgency"] for sign in payloads(dispatcher)[0]["signs"]}
    assert urgencies == {"emergency", "urgent"}
    assert not coach.store.escalations(patient.id)

