"""Fixtures for the action tests: a real Coach on SQLite in tmp_path, the real domain, tracker builders."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime, timezone
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from rehab_coach.adapters.nlp import read
from rehab_coach.adapters.storage import Store, make_engine, upgrade
from rehab_coach.adapters.storage.repository import PatientRecord
from rehab_coach.bootstrap import reminder_defaults
from rehab_coach.core import contract
from rehab_coach.core.knowledge import default_knowledge
from rehab_coach.core.model import CheckIn
from rehab_coach.services.coach import Coach
from tests.conftest import rasa_domain, rendered

VALIDATOR = Draft202012Validator(contract.schema())
NOW = datetime(2026, 3, 2, 8, 30, tzinfo=timezone.utc)
TODAY = NOW.date()
SENDER = "patient-1"
QUIET_DAY: dict[str, Any] = dict(pain_rest=1, pain_exercise=2, pain_morning=1, swelling="none", mechanical="none",
                                 adherence="all")


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    """The domain as the action server receives it from Rasa."""
    return rasa_domain().as_dict()


@pytest.fixture
def coach(tmp_path) -> Iterator[Coach]:
    """A Coach on a fresh, migrated SQLite file."""
    url = f"sqlite:///{tmp_path / 'coach.sqlite3'}"
    upgrade(url)
    engine = make_engine(url)
    yield Coach(Store(engine), default_knowledge(), read, reminder_defaults())
    engine.dispose()


@pytest.fixture
def patient(coach: Coach) -> PatientRecord:
    """The tracker's patient, enrolled today and onboarded."""
    record = coach.store.patient("rest", SENDER, TODAY)
    return coach.store.update_profile(record.id, side="left", sport="dance", diagnosed=True)


def clock() -> datetime:
    """The real clock, as the actions see it in these tests."""
    return NOW


def checkin(day: date, **overrides: Any) -> CheckIn:
    return CheckIn.validated(day, day, **{**QUIET_DAY, **overrides})


def tracker(
    text: str = "",
    intent: str | None = "inform",
    *,
    slots: Mapping[str, Any] | None = None,
    entities: Iterable[Mapping[str, Any]] = (),
    metadata: Mapping[str, Any] | None = None,
    channel: str | None = "rest",
    active_loop: str | None = None,
    form_turn: bool = False,
) -> Tracker:
    """A tracker whose latest event is the patient's message (or, with `form_turn`, the form's validation call).

    `form_turn` mimics the temporary tracker Rasa hands a form's validation action: the requested slot and
    the form's ActionExecuted after the message.
    """
    latest = {"text": text, "intent": {"name": intent, "confidence": 1.0} if intent else {},
              "entities": [dict(e) for e in entities], "metadata": dict(metadata or {})}
    events: list[dict[str, Any]] = []
    if channel is not None or text:
        events.append({"event": "user", "text": text, "parse_data": latest, "input_channel": channel,
                       "metadata": dict(metadata or {})})
    all_slots = {"onboarded": True, "requested_slot": None, **(slots or {})}
    if form_turn:
        events += [SlotSet("requested_slot", all_slots["requested_slot"]), ActionExecuted(active_loop)]
    loop = {"name": active_loop} if active_loop else {}
    return Tracker(SENDER, all_slots, latest, events, False, None, loop, "action_listen")


def entity(label: str, value: str, **extra: Any) -> dict[str, Any]:
    return {"entity": label, "value": value, **extra}


async def run(action: Action, tracker_: Tracker, domain: dict[str, Any]) -> tuple[list[dict], CollectingDispatcher]:
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker_, domain)
    return events, dispatcher


def payloads(dispatcher: CollectingDispatcher) -> list[dict[str, Any]]:
    """Every `custom` payload dispatched, each checked against the reply contract's JSON Schema."""
    found = [message["custom"] for message in map(rendered, dispatcher.messages) if message.get("custom")]
    for payload in found:
        errors = [error.message for error in VALIDATOR.iter_errors(payload)]
        assert not errors, (payload, errors)
    return found


def kinds(dispatcher: CollectingDispatcher) -> list[str]:
    return [payload["kind"] for payload in payloads(dispatcher)]


def texts(dispatcher: CollectingDispatcher) -> list[str]:
    """What the patient reads: each dispatched message's text, its response rendered as the Rasa server does."""
    return [message["text"] for message in map(rendered, dispatcher.messages) if message.get("text")]


def slot_events(events: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
