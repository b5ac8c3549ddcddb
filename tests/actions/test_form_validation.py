"""validate_checkin_form / validate_onboarding_form: every answer fills its slot, a bad one is asked again,
a question asked in between is answered without losing the form's place."""

from __future__ import annotations

from datetime import timedelta

import pytest

from actions.validate_checkin_form import ValidateCheckinForm
from actions.validate_onboarding_form import ValidateOnboardingForm
from rehab_coach.core.answers import Answers, Problem
from tests.actions.conftest import TODAY, clock, entity, kinds, payloads, run, slot_events, texts, tracker
from tests.conftest import say

# Left to the rules: the form gives way (its validation reads nothing).
DIGRESSIONS = ["red_flag", "red_flag_emergency", "red_flag_urgent", "stop", "help", "greet", "goodbye", "thanks"]
QUESTIONS = {"ask_plan": "plan", "ask_activity": None, "ask_exercise": None, "ask_progress": "progress",
             "ask_warning_signs": "warning_signs", "change_reminders": "reminders"}
ANSWER_INTENTS = ["inform", "affirm", "deny", "out_of_scope", "nlu_fallback"]


def answered(events) -> dict:
    """The answers the validation filled (the day they were given and any "which one?" are checked on their own)."""
    return {k: v for k, v in slot_events(events).items() if k not in ("checkin_day", "exercise_candidates")}


def checkin_turn(text: str, requested: str = "pain_rest", intent: str = "inform", entities=(), **slots: object):
    return tracker(text, intent, slots={"requested_slot": requested, **slots}, entities=entities,
                   active_loop="checkin_form", form_turn=True)


def onboarding_turn(text: str, requested: str = "side", intent: str = "inform"):
    return tracker(text, intent, slots={"requested_slot": requested, "onboarded": False},
                   active_loop="onboarding_form", form_turn=True)


@pytest.mark.parametrize(
    ("requested", "text", "filled"),
    [
        ("pain_rest", "2", {"pain_rest": 2}),
        ("pain_rest", "rest 2, exercise 4 and 3 this morning", {"pain_rest": 2, "pain_exercise": 4, "pain_morning": 3}),
        ("pain_exercise", "4 during exercise, no swelling", {"pain_exercise": 4, "swelling": "none"}),
        ("swelling", "mild", {"swelling": "mild"}),
        ("mechanical", "it gave way twice", {"mechanical": "giving_way"}),
        ("adherence", "most of it", {"adherence": "some"}),
    ],
)
async def test_every_answer_in_a_message_fills_its_slot(domain, requested, text, filled):
    events, dispatcher = await run(ValidateCheckinForm(clock=clock), checkin_turn(text, requested), domain)
    assert answered(events) == filled
    assert slot_events(events)["checkin_day"] == TODAY.isoformat()
    assert not dispatcher.messages


@pytest.mark.parametrize(("requested", "text", "intent", "filled"), [
    ("adherence", "all", "ask_all_exercises", {"adherence": "all"}),  # "show all" to the classifier, a button here
    ("mechanical", "giving_way", "ask_exercise", {"mechanical": "giving_way"}),
    ("side", "both", "ask_all_exercises", {"side": "both"}),
])
async def test_a_choice_as_its_button_sends_it_is_the_answer_not_a_question_to_the_coach(
        domain, requested, text, intent, filled):
    turn = (onboarding_turn if requested == "side" else checkin_turn)(text, requested, intent)
    form = ValidateOnboardingForm() if requested == "side" else ValidateCheckinForm(clock=clock)
    events, dispatcher = await run(form, turn, domain)
    assert answered(events) == filled and not dispatcher.messages


@pytest.mark.parametrize(
    ("requested", "text"),
    [("pain_rest", "15"), ("pain_rest", "purple"), ("pain_morning", "-1"), ("swelling", "purple"),
     ("adherence", "banana")],
)
async def test_an_answer_that_cannot_be_accepted_gets_a_reason_and_the_question_again(domain, requested, text):
    events, dispatcher = await run(ValidateCheckinForm(clock=clock), checkin_turn(text, requested), domain)
    assert answered(events) == {requested: None}  # a slot event, so the form re-asks instead of rejecting
    (reason,) = texts(dispatcher)
    assert reason and not any(message.get("custom") for message in dispatcher.messages)


@pytest.mark.parametrize("intent", DIGRESSIONS)
async def test_a_digression_mid_form_extracts_nothing(domain, intent):
    events, dispatcher = await run(ValidateCheckinForm(clock=clock),
                                   checkin_turn("rest 2, swelling mild", intent=intent), domain)
    assert events == [] and not dispatcher.messages  # so the form rejects and the rules take over


async def test_a_red_flag_mid_form_extracts_nothing_even_with_numbers_in_it(domain):
    text = "my calf is swollen and hot, pain 8"
    events, _ = await run(ValidateCheckinForm(clock=clock), checkin_turn(text, "swelling", intent="red_flag_urgent"),
                          domain)
    assert events == []


@pytest.mark.parametrize(("intent", "kind"), QUESTIONS.items())
async def test_a_question_mid_check_in_is_answered_and_the_same_question_comes_again(
        domain, coach, patient, intent, kind):
    events, dispatcher = await run(ValidateCheckinForm(clock=clock, coach=coach),
                                   checkin_turn("what about that?", intent=intent), domain)
    assert answered(events) == {"pain_rest": None}  # the form keeps its place and asks again
    assert dispatcher.messages  # the question got its answer
    if kind:
        assert kind in kinds(dispatcher)
    if intent == "ask_exercise":  # no exercise named: today's are offered, and the choices kept for the answer
        assert slot_events(events)["exercise_candidates"]


async def test_the_pick_from_a_which_one_question_mid_check_in_is_explained(domain, coach, patient):
    turn = checkin_turn("the band one", "pain_exercise", intent="inform",
                        exercise_candidates=["band_inversion_tib_post", "towel_curls"])
    events, dispatcher = await run(ValidateCheckinForm(clock=clock, coach=coach), turn, domain)
    assert [p["exercise"] for p in payloads(dispatcher) if p["kind"] == "exercise_info"] == ["band_inversion_tib_post"]
    assert answered(events) == {"pain_exercise": None}


async def test_answers_given_with_a_question_are_kept_and_the_question_answered(domain, coach, patient):
    turn = checkin_turn("rest 2, this morning 3, no swelling - what's my plan today?", intent="ask_plan")
    events, dispatcher = await run(ValidateCheckinForm(clock=clock, coach=coach), turn, domain)
    assert answered(events) == {"pain_rest": 2, "pain_morning": 3, "swelling": "none"}
    assert "plan" in kinds(dispatcher)


async def test_a_loose_number_in_a_question_is_not_taken_for_an_answer(domain, coach, patient):
    events, _ = await run(ValidateCheckinForm(clock=clock, coach=coach),
                          checkin_turn("can I do 2 classes tomorrow?", intent="ask_activity"), domain)
    assert answered(events) == {"pain_rest": None}


async def test_a_routine_red_flag_in_an_answer_is_advised_and_the_answer_kept(domain, coach, patient):
    turn = checkin_turn("3, and it locked twice in plie yesterday", intent="red_flag",
                        entities=[entity("red_flag", "mechanical_locking_text", urgency="routine")])
    events, dispatcher = await run(ValidateCheckinForm(clock=clock, coach=coach), turn, domain)
    assert answered(events) == {"pain_rest": 3, "mechanical": "locking"}
    assert kinds(dispatcher) == ["escalation"]
    assert [e.escalation.urgency for e in coach.store.escalations(patient.id)] == ["routine"]


async def test_partial_evidence_mid_form_gives_way_to_the_safety_questions(domain):
    turn = checkin_turn("3, I went over on it last night", intent="red_flag",
                        entities=[entity("safety_check", "fracture")])
    events, _ = await run(ValidateCheckinForm(clock=clock), turn, domain)
    assert events == []


@pytest.mark.parametrize(("text", "requested", "previous", "value"), [
    ("sorry I meant 4", "pain_exercise", {"pain_rest": 2}, {"pain_rest": 4}),
    ("oops, typo: 6 not 4", "pain_morning", {"pain_rest": 2, "pain_exercise": 4}, {"pain_exercise": 6}),
])
async def test_a_correction_changes_the_answer_before_and_the_question_comes_again(
        domain, text, requested, previous, value):
    turn = checkin_turn(text, requested, **previous)
    events, dispatcher = await run(ValidateCheckinForm(clock=clock), turn, domain)
    assert answered(events) == {**value, requested: None}
    assert texts(dispatcher) == [say("utter_corrected")]


async def test_a_labelled_correction_later_in_the_check_in_replaces_that_answer(domain):
    turn = checkin_turn("mild, and the morning one was 5 not 3", "swelling", pain_rest=1, pain_exercise=2,
                        pain_morning=3)
    events, _ = await run(ValidateCheckinForm(clock=clock), turn, domain)
    assert answered(events) == {"swelling": "mild", "pain_morning": 5}


async def test_answers_left_from_an_earlier_day_are_dropped_never_recorded_for_today(domain):
    yesterday = (TODAY - timedelta(days=1)).isoformat()
    turn = checkin_turn("2", "pain_morning", pain_rest=5, pain_exercise=6, checkin_day=yesterday)
    events, dispatcher = await run(ValidateCheckinForm(clock=clock), turn, domain)
    filled = slot_events(events)
    assert filled["pain_rest"] is None and filled["pain_exercise"] is None  # yesterday's answers gone
    assert filled["pain_morning"] == 2 and filled["checkin_day"] == TODAY.isoformat()
    assert texts(dispatcher) == [say("utter_checkin_stale", day=yesterday)]


@pytest.mark.parametrize("intent", ANSWER_INTENTS)
async def test_these_intents_are_answer_attempts(domain, intent):
    events, _ = await run(ValidateCheckinForm(clock=clock), checkin_turn("3", intent=intent), domain)
    assert answered(events) == {"pain_rest": 3}


async def test_nothing_is_read_without_a_question_of_this_form_open(domain):
    # Onboarding's last answer ("no") hands straight over to the check-in form: it is not a check-in answer.
    handover = tracker("no", "deny", slots={"requested_slot": None}, active_loop="checkin_form", form_turn=True)
    events, dispatcher = await run(ValidateCheckinForm(), handover, domain)
    assert events == [] and not dispatcher.messages


class FakeReader:
    """Stands in for rehab_coach.core.answers.read_answers and records what it was asked."""

    def __init__(self, answers: Answers) -> None:
        self.answers = answers
        self.calls: list[tuple[str, str | None]] = []

    def __call__(self, text: str, requested: str | None) -> Answers:
        self.calls.append((text, requested))
        return self.answers


async def test_the_reader_gets_the_text_and_the_open_question_and_only_this_forms_fields_are_kept(domain):
    reader = FakeReader(Answers(values={"pain_rest": 2, "side": "left"},
                                problems={"sport": Problem("utter_reask_sport")}))
    events, dispatcher = await run(ValidateCheckinForm(read=reader, clock=clock), checkin_turn("2, left ankle"),
                                   domain)
    assert reader.calls == [("2, left ankle", "pain_rest")]
    assert answered(events) == {"pain_rest": 2}
    assert not dispatcher.messages


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        (Answers(problems={"pain_rest": Problem("utter_reask_pain")}), say("utter_reask_pain")),
        (Answers(), say("utter_not_understood")),
    ],
)
async def test_the_reason_is_the_readers_or_a_plain_not_understood(domain, answers, message):
    events, dispatcher = await run(ValidateCheckinForm(read=FakeReader(answers), clock=clock), checkin_turn("hmm"),
                                   domain)
    assert answered(events) == {"pain_rest": None}
    assert texts(dispatcher) == [message]


async def test_other_answers_are_kept_when_the_asked_one_is_missing(domain):
    reader = FakeReader(Answers(values={"swelling": "mild"}, problems={"pain_rest": Problem("utter_reask_pain")}))
    events, dispatcher = await run(ValidateCheckinForm(read=reader, clock=clock), checkin_turn("mild swelling"),
                                   domain)
    assert answered(events) == {"swelling": "mild", "pain_rest": None}
    assert texts(dispatcher) == [say("utter_reask_pain")]


@pytest.mark.parametrize(
    ("requested", "text", "intent", "filled"),
    [
        ("side", "my left ankle", "inform", {"side": "left"}),
        ("side", "both", "inform", {"side": "both"}),
        ("sport", "I dance, mostly ballet", "inform", {"sport": "dance"}),
        ("sport", "tennis", "inform", {"sport": "other"}),
        ("diagnosed", "yes", "affirm", {"diagnosed": "yes"}),
        ("diagnosed", "no, not yet", "deny", {"diagnosed": "no"}),
        ("side", "right ankle, I play football", "inform", {"side": "right", "sport": "football"}),
    ],
)
async def test_onboarding_answers_fill_their_slots(domain, requested, text, intent, filled):
    events, dispatcher = await run(ValidateOnboardingForm(), onboarding_turn(text, requested, intent), domain)
    assert slot_events(events) == filled
    assert not dispatcher.messages


async def test_an_unreadable_onboarding_answer_is_asked_again(domain):
    events, dispatcher = await run(ValidateOnboardingForm(), onboarding_turn("not sure", "diagnosed", "inform"),
                                   domain)
    assert slot_events(events) == {"diagnosed": None}
    assert len(texts(dispatcher)) == 1


@pytest.mark.parametrize("intent", DIGRESSIONS)
async def test_a_digression_during_onboarding_is_left_to_the_rules(domain, intent):
    events, _ = await run(ValidateOnboardingForm(), onboarding_turn("left", "side", intent), domain)
    assert events == []


async def test_answers_in_the_message_that_opens_the_form_are_kept(domain):
    opening = tracker("check in: rest 2 and no swelling", "start_checkin", slots={"requested_slot": None},
                      active_loop="checkin_form")
    opening.events += [{"event": "action", "name": "action_start_checkin"},
                       {"event": "action", "name": "checkin_form"}]
    events, dispatcher = await run(ValidateCheckinForm(clock=clock), opening, domain)
    assert answered(events) == {"pain_rest": 2, "swelling": "none"} and not dispatcher.messages


async def test_the_answer_that_finished_onboarding_is_not_read_as_a_check_in_answer(domain):
    handover = tracker("no", "deny", slots={"requested_slot": None}, active_loop="checkin_form")
    handover.events += [{"event": "action", "name": "onboarding_form"},
                        {"event": "action", "name": "action_finish_onboarding"},
                        {"event": "action", "name": "checkin_form"}]
    events, _ = await run(ValidateCheckinForm(clock=clock), handover, domain)
    assert answered(events) == {}


async def test_slots_prefilled_before_the_form_started_pass_through(domain):
    """At activation Rasa hands over slots already set (e.g. from the database) as candidates to validate."""
    activation = tracker("hi", "greet", slots={"requested_slot": None, "side": "left"}, active_loop="onboarding_form",
                         form_turn=True)
    activation.events.append({"event": "slot", "name": "side", "value": "left", "timestamp": None})
    events, _ = await run(ValidateOnboardingForm(), activation, domain)
    assert slot_events(events) == {"side": "left"}
