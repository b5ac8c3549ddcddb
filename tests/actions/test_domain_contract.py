"""The domain, the registered actions and the reply contract agree."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from rasa_sdk.executor import ActionExecutor

from rehab_coach.core import contract
from rehab_coach.paths import PROJECT_ROOT
from tests.actions.conftest import VALIDATOR

ACTIONS_DIR = PROJECT_ROOT / "actions"


def custom_actions(domain: dict) -> list[str]:
    """The domain's custom actions (Rasa's own, like action_deactivate_loop, are not listed there)."""
    return [a for a in domain["actions"] if a.startswith(("action_", "validate_"))]


def test_domain_actions_and_registered_actions_match_one_to_one(domain):
    executor = ActionExecutor()
    executor.register_package("actions")
    listed = custom_actions(domain)
    assert len(listed) == len(set(listed))
    assert sorted(executor.actions) == sorted(listed)


def test_each_action_lives_in_a_module_named_after_it(domain):
    modules = {path.stem for path in ACTIONS_DIR.glob("*.py") if not path.stem.startswith("_")}
    assert modules == set(custom_actions(domain))


@pytest.mark.parametrize("field", sorted(contract.QUESTIONS))
def test_every_question_the_forms_ask_carries_the_contract_question(domain, field):
    (variant,) = domain["responses"][f"utter_ask_{field}"]
    assert variant["custom"] == contract.question(field)


def test_every_form_slot_has_a_question(domain):
    for form in domain["forms"].values():
        for slot in form["required_slots"]:
            assert f"utter_ask_{slot}" in domain["responses"] or f"action_ask_{slot}" in domain["actions"]


def test_every_safety_question_is_worded_in_the_domain_with_its_contract_question(domain, knowledge):
    asked = {question for check in knowledge.checks.values() for question in check.questions}
    worded = {name.removeprefix("utter_safety_") for name in domain["responses"]
              if name.startswith("utter_safety_")} - {"paused", "clear"}
    assert asked == worded
    for question in asked:
        (variant,) = domain["responses"][f"utter_safety_{question}"]
        assert variant["custom"] == contract.safety_question(question)


def test_the_serious_red_flag_responses_are_worded_from_the_detectors_advice(domain):
    for urgency in ("emergency", "urgent"):
        (variant,) = domain["responses"][f"utter_red_flag_{urgency}"]
        assert "{red_flag_advice}" in variant["text"]
        assert variant["custom"] == {"kind": "escalation", "urgency": urgency, "reasons": ["{red_flag_advice}"],
                                     "heading": variant["custom"]["heading"]}


@pytest.mark.parametrize("urgency", ["emergency", "urgent"])
def test_the_servers_own_red_flag_answers_say_what_the_knowledge_says_of_the_urgency(domain, knowledge, urgency):
    (response,) = domain["responses"][f"utter_red_flag_{urgency}"]
    wording = knowledge.urgencies[urgency]
    assert response["text"].startswith(f"**{wording.lead}**")
    assert response["custom"]["heading"] == wording.heading


def test_every_payload_in_the_domain_validates(domain):
    customs = [v["custom"] for variants in domain["responses"].values() for v in variants if v.get("custom")]
    assert customs
    for payload in customs:
        assert not list(VALIDATOR.iter_errors(payload)), payload


def test_importing_the_actions_builds_nothing(tmp_path: Path):
    """The action server imports every module at start: no engine, no database file, no Coach."""
    database = tmp_path / "never" / "coach.sqlite3"
    script = (
        "import json, pkgutil, importlib, actions, actions._deps as deps\n"
        "for info in pkgutil.iter_modules(actions.__path__): importlib.import_module('actions.' + info.name)\n"
        "print(json.dumps({'coach': deps._coach is not None}))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=PROJECT_ROOT, capture_output=True, text=True,
                            env={"DATABASE_URL": f"sqlite:///{database}", "PATH": ""}, check=True)
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {"coach": False}
    assert not database.parent.exists()
