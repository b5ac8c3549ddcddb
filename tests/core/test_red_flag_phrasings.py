"""Specification: everyday phrasings of red flags found missing by the NLU evaluation are detected."""

import pytest

from tests.conftest import urgency


@pytest.mark.parametrize("text,expected", [
    ("I coughed up some blood last night", "emergency"),
    ("shivery, feel rubbish, and my ankle is really hot", "emergency"),
    ("temperature of 39 and my ankle's warm", "emergency"),
    ("i've broken it i think, can't walk", "urgent"),
    ("something's sticking out of my ankle", "urgent"),
    ("felt a pop in my achilles at the barre", "urgent"),
    ("my calf's hot and it's swollen", "urgent"),
    ("the ache keeps waking me at 3am", "routine"),
    ("my big toe keeps locking when i point", "routine"),
])
def test_everyday_red_flag_phrasings_escalate(text, expected):
    assert urgency(text) == expected


@pytest.mark.parametrize("text", [
    "nothing is sticking out",
    "it's not sticking out",
    "my ankle bone sticks out a bit more than the other",
    "no pop in my calf, just tight",
])
def test_their_negated_or_ordinary_versions_do_not(text):
    assert urgency(text) is None
