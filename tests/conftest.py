"""Fixtures shared by every test."""

import pytest
from hypothesis import settings

from rehab_coach.knowledge import default_knowledge
from rehab_coach.model import Knowledge

# No per-example deadline: timing is the benchmarks' business, and a busy machine must not fail a
# property test. A failing example is printed so it can be replayed.
settings.register_profile("project", deadline=None, print_blob=True)
settings.load_profile("project")


@pytest.fixture(scope="session")
def knowledge() -> Knowledge:
    """The project's own knowledge folder, validated."""
    return default_knowledge()
