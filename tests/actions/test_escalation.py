"""action_escalate: red flags come first; emergency and urgent advice replaces any coaching."""

from __future__ import annotations

import pytest

from actions.action_escalate import ActionEscalate
from rehab_coach.adapters.storage import Store
from tests.actions.conftest import clock, kinds, payloads, run, slot_events, texts, tracker
from tests.conftest import say

COACHING = {"plan", "exercise_info", "activity_advice", "question"}


@pytest.mark.parametrize(
    ("text", "urgency", "says", "trigger"),
    [
        ("I have chest pain and I'm short of breath", "emergency", "999", "possible_pulmonary_embolism"),
        ("my calf is swollen, hot and red", "urgent", "doctor today", "possible_dvt"),
        ("I can't put any weight on it and heard a crack", "urgent", "doctor today", "possible_fracture"),
        ("my ankle keeps locking", "routine", "next week or two", "mechanical_locking_text"),
    ],
)
async def test_a_red_flag_is_escalated_at_its_urgency_and_stored(coach, domain, patient, text, urgency, says, trigger):
    _, dispatcher = await run(ActionEscalate(coach, clock), tracker(text, "red_flag", active_loop="checkin_form"),
                              domain)
    (payload,) = payloads(dispatcher)
    assert (payload["kind"], payload["urgency"]) == ("escalation", urgency)
    assert trigger in payload["triggers"]
    assert says in texts(dispatcher)[0]
    assert not COACHING & set(kinds(dispatcher))
    (stored,) = coach.store.escalations(patient.id)
    assert stored.escalation.urgency == urgency and stored.message == text


async def test_when_only_the_classifier_heard_a_red_flag_the_safety_questions_start(coach, domain, patient):
    events, dispatcher = await run(ActionEscalate(coach, clock), tracker("something is really wrong", "red_flag"),
                                   domain)
    assert slot_events(events) == {"safety_check": "unclear", "safety_answers": {}, "safety_asking": True,
                                   "resume_form": None}
    assert not dispatcher.messages  # the safety form asks its first question next: never silence
    assert not coach.store.escalations(patient.id)  # nothing to record until the answers decide


async def test_partial_evidence_starts_its_rules_check_and_remembers_the_form_it_interrupts(coach, domain, patient):
    turn = tracker("I went over on it at training last night", "red_flag", active_loop="checkin_form")
    events, _ = await run(ActionEscalate(coach, clock), turn, domain)
    assert slot_events(events)["safety_check"] == "fracture"
    assert slot_events(events)["resume_form"] == "checkin_form"


@pytest.mark.parametrize("intent", ["red_flag_emergency", "red_flag_urgent"])
async def test_advice_the_rasa_server_already_sent_is_recorded_not_repeated(coach, domain, patient, intent):
    text = "my calf is swollen and I'm short of breath" if intent == "red_flag_emergency" else "my calf is swollen"
    _, dispatcher = await run(ActionEscalate(coach, clock), tracker(text, intent), domain)
    assert not dispatcher.messages
    (stored,) = coach.store.escalations(patient.id)
    assert stored.escalation.urgency == intent.removeprefix("red_flag_")


async def test_emergency_advice_goes_out_even_when_the_database_is_away(coach, domain, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("database unavailable")

    monkeypatch.setattr(Store, "patient", broken)
    _, dispatcher = await run(ActionEscalate(coach, clock), tracker("chest pain and short of breath", "red_flag"),
                              domain)
    assert [p["urgency"] for p in payloads(dispatcher)] == ["emergency"]
    assert say("utter_sorry") not in texts(dispatcher)


async def test_the_same_red_flag_twice_a_day_is_stored_once(coach, domain, patient):
    for _ in range(2):
        await run(ActionEscalate(coach, clock), tracker("my calf is swollen, hot and red", "red_flag"), domain)
    assert len(coach.store.escalations(patient.id)) == 1
