"""Every sentence the coach says is worded in the domain: the actions and the answer reader only name responses."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from rehab_coach.core.contract import QUESTIONS
from rehab_coach.core.model import DAY_CLASSES, PAIN_FIELDS, VERDICTS
from rehab_coach.paths import PROJECT_ROOT

ACTIONS = sorted((PROJECT_ROOT / "actions").glob("*.py"))
SOURCES = [*ACTIONS, *sorted((PROJECT_ROOT / "rehab_coach" / "core").glob("*.py")),
           PROJECT_ROOT / "rehab_coach" / "rasa" / "unreachable.py"]  # said by the Rasa server itself
RESPONSE = re.compile(r"utter_\w+")
NOT_A_RESPONSE = {"utter_action"}  # Rasa's key, in a message's metadata, for the response it was made from


def parsed(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), str(path))


def named(tree: ast.Module) -> tuple[set[str], set[str]]:
    """The response names a module spells out, and the beginnings of those it builds (f"utter_activity_{...}")."""
    built = [node for node in ast.walk(tree) if isinstance(node, ast.JoinedStr)]
    parts = {id(part) for node in built for part in node.values}
    names = {node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and id(node) not in parts
             and isinstance(node.value, str) and RESPONSE.fullmatch(node.value)} - NOT_A_RESPONSE
    starts = {str(node.values[0].value) for node in built
              if isinstance(node.values[0], ast.Constant) and str(node.values[0].value).startswith("utter_")}
    return names, starts


@pytest.mark.parametrize("path", ACTIONS, ids=lambda path: path.name)
def test_the_actions_send_domain_responses_never_text_of_their_own(path):
    for call in ast.walk(parsed(path)):
        if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "utter_message":
            keywords = {keyword.arg for keyword in call.keywords}
            assert not call.args and "text" not in keywords, f"{path.name}:{call.lineno} sends a text of its own"
            assert keywords & {"response", None}, f"{path.name}:{call.lineno} names no response"  # None: **message


def test_every_response_the_code_names_is_in_the_domain(domain):
    for path in SOURCES:
        names, starts = named(parsed(path))
        assert names <= set(domain["responses"]), (path.name, names - set(domain["responses"]))
        for start in starts:
            assert any(name.startswith(start) for name in domain["responses"]), (path.name, start)


@pytest.mark.parametrize("response", [
    *(f"utter_checkin_saved_{day_class}" for day_class in DAY_CLASSES),
    *(f"utter_activity_{verdict}" for verdict in VERDICTS),
    *(f"utter_reask_{field}" for field in QUESTIONS if field not in PAIN_FIELDS),
])
def test_every_day_class_verdict_and_question_has_its_response(domain, response):
    assert response in domain["responses"]


def test_every_response_in_the_domain_is_said(domain):
    """By the rules and stories, a form's question, or an action: a clinician reviews no sentence in vain."""
    data = "\n".join(path.read_text(encoding="utf-8") for path in (PROJECT_ROOT / "data").rglob("*.yml"))
    said = {f"utter_ask_{slot}" for form in domain["forms"].values() for slot in form["required_slots"]}
    said |= set(RESPONSE.findall(data))
    starts: set[str] = set()
    for path in SOURCES:
        names, built = named(parsed(path))
        said |= names
        starts |= built
    assert [name for name in domain["responses"] if name not in said and not name.startswith(tuple(starts))] == []


def test_the_pain_re_prompts_state_the_contracts_scale(domain):
    scale = "{min} to {max}".format(**QUESTIONS[PAIN_FIELDS[0]])
    for name in ("utter_reask_pain", "utter_reask_pain_numbers", "utter_reask_pain_scale", "utter_reask_pain_range"):
        assert scale in domain["responses"][name][0]["text"]
