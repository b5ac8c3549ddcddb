"""Fixtures shared by every test."""

from datetime import date

import pytest
from hypothesis import settings

from rehab_coach.adapters.nlp import read
from rehab_coach.core.answers import reader_for
from rehab_coach.core.knowledge import default_knowledge
from rehab_coach.core.model import Knowledge
from rehab_coach.core.redflags import Detector, detector_for
from rehab_coach.core.triage import triage

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


read_answers = reader_for(default_knowledge(), read)  # the patient's answers, read as the coach reads them
