"""Fixtures shared by every test."""

import re
import warnings
from collections.abc import Mapping
from datetime import date
from functools import lru_cache
from typing import Any

import pytest
from hypothesis import settings
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain

from rehab_coach.adapters.nlp import read
from rehab_coach.core.answers import Answers, reader_for
from rehab_coach.core.knowledge import default_knowledge
from rehab_coach.core.model import Knowledge
from rehab_coach.core.redflags import Detector, detector_for
from rehab_coach.core.triage import triage
from rehab_coach.paths import PROJECT_ROOT

TODAY = date(2026, 3, 4)  # a Wednesday

# No per-example deadline: timing is the benchmarks' business, and a busy machine must not fail a
# property test. A failing example is printed so it can be replayed.
settings.register_profile("project", deadline=None, print_blob=True)
settings.load_profile("project")


@pytest.fixture(scope="session")
def knowledge() -> Knowledge:
    """The project's own knowledge folder, validated."""
    return default_knowledge()


@pytest.fixture(scope="session")
def detector(knowledge: Knowledge) -> Detector:
    """The red-flag detector on the project's own reader."""
    return detector_for(knowledge, read)


def urgency(text: str, today: date = TODAY) -> str | None:
    """How urgently the coach sends a patient who says `text` to a professional (None: it does not)."""
    knowledge = default_knowledge()
    escalation = triage(detector_for(knowledge, read).find_text(text, today), knowledge=knowledge)
    return escalation.urgency if escalation else None




@lru_cache(maxsize=1)
def rasa_domain() -> Domain:
    """The project's domain, as the Rasa server loads it."""
    with warnings.catch_warnings():  # Rasa 3.6 warns about slot auto-fill on every domain load
        warnings.simplefilter("ignore", UserWarning)
        return Domain.load(str(PROJECT_ROOT / "domain.yml"))


@lru_cache(maxsize=1)
def nlg() -> TemplatedNaturalLanguageGenerator:
    """The Rasa server's NLG on the domain's responses."""
    return TemplatedNaturalLanguageGenerator(rasa_domain().responses)


def rendered(message: Mapping[str, Any]) -> dict[str, Any]:
    """A message an action dispatched, as the Rasa server sends it on (RemoteAction._utter_responses): its
    response filled by the domain's NLG with the message's values, then the message's own values on top."""
    values = dict(message)
    response = values.pop("response", None)
    draft = nlg().generate_from_slots(response, {}, "rest", **values) if response else {}
    assert draft is not None, f"{response} is not a response in the domain"  # the server would drop the message
    assert not re.search(r"{\w+}", str(draft.get("text"))), f"{response}: a value is missing"
    return {**draft, **{key: value for key, value in values.items() if value}}


def say(response: str, **values: Any) -> str:
    """What the patient reads for a domain response filled with these values."""
    return str(rendered({"response": response, **values})["text"])


def read_answers(text: str, requested: str | None) -> Answers:
    """The patient's answers, read as the coach reads them; each problem as the patient reads it (a text here)."""
    answers = reader_for(default_knowledge(), read)(text, requested)
    return Answers(answers.values, {name: say(p.response, **p.values) for name, p in answers.problems.items()})
