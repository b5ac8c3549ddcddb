"""Fixtures shared by every test."""

import pytest

from rehab_coach.knowledge import default_knowledge
from rehab_coach.model import Knowledge


@pytest.fixture(scope="session")
def knowledge() -> Knowledge:
    """The project's own knowledge folder, validated."""
    return default_knowledge()
