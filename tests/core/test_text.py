"""One normalisation for every reader of patient messages."""

import pytest

from rehab_coach.core.text import normalise


@pytest.mark.parametrize("text,expected", [
    ("I CAN’T feel my toes", "i can not feel my toes"),
    ("didnt lock, won't", "did not lock, will not"),
    ("it isn't swollen", "it is not swollen"),
    ("my calf's hot", "my calf s hot"),
    ("I'm a dancer, I've had it", "im a dancer, ive had it"),
])
def test_normalise(text, expected):
    assert normalise(text) == expected
