"""Specification: everyday phrasings of red flags found missing by the evaluations are detected."""

import pytest

from tests.conftest import TODAY, urgency


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


@pytest.mark.parametrize("text,expected", [
    ("my foot is white and freezing, I did not put ice on it", "emergency"),  # a harmless cause denied
    ("the ankle gave out on the stairs and I can't put the foot on the floor", "urgent"),
    ("heard a thwack at the back of my heel, like someone threw a stone", "urgent"),
    ("I haven't seen a doctor or physio about it", "routine"),  # multi-word alternatives written as phrases
    ("nobody has diagnosed it", "routine"),
    ("the ache is there all day and nothing takes the edge off", "routine"),
])
def test_phrasings_of_the_independent_sets_kinds_escalate(text, expected):
    assert urgency(text) == expected


def test_a_serious_sign_explained_by_something_harmless_is_asked_about_not_dismissed(detector):
    found = detector.find_text("my toes went blue, it's the dye from my new socks", TODAY)
    assert found.urgency is None
    assert [f.red_flag.id for f in found.partial] == ["circulation"]
