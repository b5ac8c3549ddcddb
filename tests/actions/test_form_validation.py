"""validate_checkin_form / validate_onboarding_form: every answer fills its slot, a bad one is asked again."""

from __future__ import annotations

import pytest

from actions._forms import NOT_UNDERSTOOD
from actions.validate_checkin_form import ValidateCheckinForm
from actions.validate_onboarding_form import ValidateOnboardingForm
from rehab_coach.answers import Answers
from tests.actions.conftest import run, slot_events, texts, tracker

DIGRESSIONS = ["red_flag", "stop", "help", "ask_plan", "ask_activity", "ask_exercise", "ask_progress", "greet",
               "goodbye", "thanks"]
ANSWER_INTENTS = ["inform", "affirm", "deny", "out_of_scope", "nlu_fallback"]


def checkin_turn(text: str, requested: str = "pain_rest", intent: str = "inform", **slots: object):
    return tracker(text, intent, slots={"requested_slot": requested, **slots}, active_loop="checkin_form",
                   form_turn=True)


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
    events, dispatcher = await run(ValidateCheckinForm(), checkin_turn(text, requested), domain)
    assert slot_events(events) == filled
    assert not dispatcher.messages


@pytest.mark.parametrize(
    ("requested", "text"),
    [("pain_rest", "15"), ("pain_rest", "purple"), ("pain_morning", "-1"), ("swelling", "purple"),
     ("adherence", "banana")],
)
async def test_an_answer_that_cannot_be_accepted_gets_a_reason_and_the_question_again(domain, requested, text):
    events, dispatcher = await run(ValidateCheckinForm(), checkin_turn(text, requested), domain)
    assert slot_events(events) == {requested: None}  # a slot event, so the form re-asks instead of rejecting
    (reason,) = texts(dispatcher)
    assert reason and not any(message.get("custom") for message in dispatcher.messages)


@pytest.mark.parametrize("intent", DIGRESSIONS)
async def test_a_digression_mid_form_extracts_nothing(domain, intent):
    events, dispatcher = await run(ValidateCheckinForm(), checkin_turn("rest 2, swelling mild", intent=intent),
                                   domain)
    assert events == [] and not dispatcher.messages  # so the form rejects and the rules take over


async def test_a_red_flag_mid_form_extracts_nothing_even_with_numbers_in_it(domain):
    text = "my calf is swollen and hot, pain 8"
    events, _ = await run(ValidateCheckinForm(), checkin_turn(text, "swelling", intent="red_flag"), domain)
    assert events == []


@pytest.mark.parametrize("intent", ANSWER_INTENTS)
async def test_these_intents_are_answer_attempts(domain, intent):
    events, _ = await run(ValidateCheckinForm(), checkin_turn("3", intent=intent), domain)
    assert slot_events(events) == {"pain_rest": 3}


async def test_nothing_is_read_without_a_question_of_this_form_open(domain):
    # Onboarding's last answer ("no") hands straight over to the check-in form: it is not a check-in answer.
    handover = tracker("no", "deny", slots={"requested_slot": None}, active_loop="checkin_form", form_turn=True)
    events, dispatcher = await run(ValidateCheckinForm(), handover, domain)
    assert events == [] and not dispatcher.messages


class FakeReader:
    """Stands in for rehab_coach.answers.read_answers and records what it was asked."""

    def __init__(self, answers: Answers) -> None:
        self.answers = answers
        self.calls: list[tuple[str, str | None]] = []

    def __call__(self, text: str, requested: str | None) -> Answers:
        self.calls.append((text, requested))
        return self.answers


async def test_the_reader_gets_the_text_and_the_open_question_and_only_this_forms_fields_are_kept(domain):
    reader = FakeReader(Answers(values={"pain_rest": 2, "side": "left"}, problems={"sport": "which sport?"}))
    events, dispatcher = await run(ValidateCheckinForm(read=reader), checkin_turn("2, left ankle"), domain)
    assert reader.calls == [("2, left ankle", "pain_rest")]
    assert slot_events(events) == {"pain_rest": 2}
    assert not dispatcher.messages


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        (Answers(problems={"pain_rest": "I need a number from 0 to 10"}), "I need a number from 0 to 10"),
        (Answers(), NOT_UNDERSTOOD),
    ],
)
async def test_the_reason_is_the_readers_or_a_plain_not_understood(domain, answers, message):
    events, dispatcher = await run(ValidateCheckinForm(read=FakeReader(answers)), checkin_turn("hmm"), domain)
    assert slot_events(events) == {"pain_rest": None}
    assert texts(dispatcher) == [message]


async def test_other_answers_are_kept_when_the_asked_one_is_missing(domain):
    reader = FakeReader(Answers(values={"swelling": "mild"}, problems={"pain_rest": "A number from 0 to 10?"}))
    events, dispatcher = await run(ValidateCheckinForm(read=reader), checkin_turn("mild swelling"), domain)
    assert slot_events(events) == {"swelling": "mild", "pain_rest": None}
    assert texts(dispatcher) == ["A number from 0 to 10?"]


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
async def test_a_digression_during_onboarding_extracts_nothing(domain, intent):
    events, _ = await run(ValidateOnboardingForm(), onboarding_turn("left", "side", intent), domain)
    assert events == []


async def test_slots_prefilled_before_the_form_started_pass_through(domain):
    """At activation Rasa hands over slots already set (e.g. from the database) as candidates to validate."""
    activation = tracker("hi", "greet", slots={"requested_slot": None, "side": "left"}, active_loop="onboarding_form",
                         form_turn=True)
    activation.events.append({"event": "slot", "name": "side", "value": "left", "timestamp": None})
    events, _ = await run(ValidateOnboardingForm(), activation, domain)
    assert slot_events(events) == {"side": "left"}
