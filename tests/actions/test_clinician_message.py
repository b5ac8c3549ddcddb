"""A clinician's message from the portal (EXTERNAL_clinician_message): said as theirs, with its contract payload, and
never read as an answer by a form, which gives way to the rules (data/rules/clinician.yml)."""

from __future__ import annotations

import pytest

from actions.action_clinician_message import ActionClinicianMessage
from actions.validate_checkin_form import ValidateCheckinForm
from actions.validate_onboarding_form import ValidateOnboardingForm
from actions.validate_questionnaire_form import ValidateQuestionnaireForm
from actions.validate_safety_form import ValidateSafetyForm
from rehab_coach.services.clinician_messages import CLINIC, FROM, INTENT, TEXT
from tests.actions.conftest import clock, entity, payloads, run, texts, tracker
from tests.conftest import say

# A message that reads like an answer to every form's question: it must still not be taken as one.
WORDS = "Yes, 2 - rest it today and I'll call you at 3"


def message(text: str = WORDS, sender: str | None = CLINIC, **form) -> object:
    entities = [entity(TEXT, text)] + ([entity(FROM, sender)] if sender else [])
    return tracker(f"EXTERNAL: {INTENT}", INTENT, entities=entities, **form)


async def test_the_message_is_said_in_the_clinicians_words_with_its_payload(domain):
    events, dispatcher = await run(ActionClinicianMessage(), message(), domain)
    assert events == []
    assert texts(dispatcher) == [say("utter_clinician_message", message_text=WORDS, message_from=CLINIC)]
    assert WORDS in texts(dispatcher)[0]
    assert payloads(dispatcher) == [{"kind": "clinician_message", "text": WORDS, "from": CLINIC}]  # schema-checked


async def test_a_message_without_a_sender_is_from_the_clinic_and_one_without_text_is_not_said(domain):
    _, dispatcher = await run(ActionClinicianMessage(), message(sender=None), domain)
    assert payloads(dispatcher) == [{"kind": "clinician_message", "text": WORDS, "from": CLINIC}]
    _, dispatcher = await run(ActionClinicianMessage(), tracker("", INTENT), domain)
    assert dispatcher.messages == []


@pytest.mark.parametrize(("validation", "form", "slots"), [
    (ValidateOnboardingForm(), "onboarding_form", {"requested_slot": "diagnosed", "onboarded": False}),
    (ValidateCheckinForm(clock=clock), "checkin_form", {"requested_slot": "pain_rest"}),
    (ValidateSafetyForm(), "safety_form", {"requested_slot": "safety_answer", "safety_check": "fracture",
                                           "safety_answers": {}}),
    (ValidateQuestionnaireForm(clock=clock), "questionnaire_form", {
        "requested_slot": "questionnaire_answer",
        "questionnaire": {"measure": "psfs", "items": ["running"], "answers": []}}),
], ids=lambda value: value if isinstance(value, str) else "")
async def test_no_form_takes_the_message_as_an_answer(domain, validation, form, slots):
    turn = message(slots=slots, active_loop=form, form_turn=True)
    events, dispatcher = await run(validation, turn, domain)
    assert events == [] and dispatcher.messages == []  # so the form rejects and the rules say the message
    answer = tracker(WORDS, "affirm" if form == "safety_form" else "inform", slots=slots, active_loop=form,
                     form_turn=True)
    events, _ = await run(validation, answer, domain)
    assert events  # the same words from the patient are read as an answer: the test can tell
