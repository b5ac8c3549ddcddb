"""The compiled action-response validator accepts and rejects exactly what Rasa's own check does."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from jsonschema import ValidationError, validate
from rasa.core.actions.action import RemoteAction

from rehab_coach.rasa import speedups

speedups.apply()

VALID = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "pain_rest", "value": 3}], "responses": [{"text": "hi"}]},
    {"events": [{"event": "active_loop", "name": None}], "responses": [{"custom": {"kind": "plan"}}]},
]
INVALID = [
    {"events": "not a list"},
    {"events": [{"event": "slot"}]},
    {"events": [], "responses": ["not an object"]},
    {"events": [{"event": "no_such_event"}]},
]


@pytest.mark.parametrize("result", VALID)
def test_valid_responses_pass_as_with_rasa(result):
    validate(result, RemoteAction.action_response_format_spec())
    assert RemoteAction("action_x", None)._validate_action_result(result)


@pytest.mark.parametrize("result", INVALID)
def test_invalid_responses_fail_as_with_rasa_and_keep_rasas_message(result):
    with pytest.raises(ValidationError):
        validate(result, RemoteAction.action_response_format_spec())
    with pytest.raises(ValidationError) as caught:
        RemoteAction("action_x", None)._validate_action_result(result)
    assert "Failed to validate Action server response" in caught.value.message


def test_the_meta_schema_is_not_checked_again_per_response(monkeypatch):
    calls = []
    monkeypatch.setattr("jsonschema.validators.Draft202012Validator.check_schema", lambda *a: calls.append(a))
    monkeypatch.setattr("jsonschema.validators.Draft4Validator.check_schema", lambda *a: calls.append(a))
    RemoteAction("action_x", None)._validate_action_result(VALID[1])
    assert calls == []


def test_event_types_resolve_as_before_including_unknown_and_default():
    from rasa.shared.core.events import Event, SlotSet, UserUttered

    assert Event.resolve_by_type("slot") is SlotSet
    assert Event.resolve_by_type("user") is UserUttered
    assert Event.resolve_by_type("no_such_event", default=SlotSet) is SlotSet
    assert Event.resolve_by_type("topic") is None
    with pytest.raises(ValueError):
        Event.resolve_by_type("no_such_event")


def test_importing_patches_nothing_and_the_rasa_server_process_applies_the_speedups_before_rasa_starts():
    code = ("import rehab_coach.rasa.channels, rehab_coach.rasa.webchat, rehab_coach.rasa.components\n"
            "import rehab_coach.adapters.tracker_store\n"
            "from rasa.core.actions.action import RemoteAction\n"
            "from rasa.shared.core.events import Event\n"
            "from rehab_coach.rasa import server, speedups as s\n"
            "def patched(): return (RemoteAction._validate_action_result is s._validate_action_result,\n"
            "                       Event.resolve_by_type is s._cached_resolve_by_type)\n"
            "print(patched())\n"
            "server.rasa_main = lambda: print(patched())\n"
            "server.main()")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            env={**os.environ, "RASA_AUTH_TOKEN": "t" * 32})
    assert result.stdout.split("\n")[:2] == ["(False, False)", "(True, True)"]
