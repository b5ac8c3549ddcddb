"""action_session_start: Rasa's session start events, plus the onboarding answers from the database."""

from __future__ import annotations

import pytest

from actions.action_session_start import ActionSessionStart
from rehab_coach.adapters.storage import UnknownRecord
from tests.actions.conftest import SENDER, TODAY, clock, run, slot_events, tracker


def event_names(events: list[dict]) -> list[str]:
    return [e["event"] for e in events]


@pytest.mark.parametrize(
    ("profile", "expected"),
    [
        ({"side": "left", "sport": "dance", "diagnosed": True},
         {"onboarded": True, "side": "left", "sport": "dance", "diagnosed": "yes"}),
        ({"side": "both", "sport": "other", "diagnosed": False},
         {"onboarded": True, "side": "both", "sport": "other", "diagnosed": "no"}),
        ({"side": "right", "sport": "running"},
         {"onboarded": False, "side": "right", "sport": "running", "diagnosed": None}),
        ({}, {"onboarded": False, "side": None, "sport": None, "diagnosed": None}),
    ],
)
async def test_a_returning_patients_profile_sets_the_onboarding_slots(coach, domain, profile, expected):
    record = coach.store.patient("rest", SENDER, TODAY)
    coach.store.update_profile(record.id, **profile)
    events, dispatcher = await run(ActionSessionStart(coach, clock), tracker("hi", "greet"), domain)
    assert event_names(events)[0] == "session_started"
    assert (events[-1]["event"], events[-1]["name"]) == ("action", "action_listen")
    assert {k: v for k, v in slot_events(events).items() if k in expected} == expected
    assert not dispatcher.messages


async def test_slots_carry_over_except_the_half_given_checkin(coach, domain):
    previous = tracker("hi", "greet", slots={"side": "left", "pain_rest": 3, "swelling": "mild",
                                             "requested_slot": "pain_exercise"})
    events, _ = await run(ActionSessionStart(coach, clock), previous, domain)
    slots = slot_events(events)
    assert slots["onboarded"] is False  # the database knows better than the old session
    assert "pain_rest" not in slots and "swelling" not in slots and "requested_slot" not in slots


async def test_carry_over_can_be_switched_off(coach, domain):
    no_carry = {**domain, "session_config": {**domain["session_config"], "carry_over_slots_to_new_session": False}}
    events, _ = await run(ActionSessionStart(coach, clock), tracker("hi", "greet", slots={"side": "left"}), no_carry)
    assert slot_events(events)["side"] is None  # from the database: nothing recorded yet


async def test_a_brand_new_conversation_enrols_nobody_yet(coach, domain):
    events, _ = await run(ActionSessionStart(coach, clock), tracker(channel=None, slots={"onboarded": False}), domain)
    assert event_names(events) == ["session_started", "slot", "action"]
    with pytest.raises(UnknownRecord):  # nobody enrolled under a guessed channel
        coach.store.patient_by_id(1)


async def test_the_session_starts_even_when_the_database_is_away(coach, domain, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("database unavailable")

    monkeypatch.setattr(coach.store, "patient", broken)
    events, dispatcher = await run(ActionSessionStart(coach, clock), tracker("hi", "greet"), domain)
    assert event_names(events)[0] == "session_started" and event_names(events)[-1] == "action"
    assert not dispatcher.messages
