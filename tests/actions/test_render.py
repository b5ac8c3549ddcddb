"""The text that goes with the payloads."""

from __future__ import annotations

import pytest

from actions import _render
from rehab_coach.model import Dose
from tests.builders import day


@pytest.mark.parametrize(
    ("dose", "text"),
    [
        (Dose(sets=3, reps=10, per_day=1), "3 × 10, once a day"),
        (Dose(sets=4, hold_seconds=30, per_day=2), "4 × 30 s hold, twice a day"),
        (Dose(sets=3, reps=10, hold_seconds=5, per_day=1, note="seated"), "3 × 10, hold 5 s, once a day (seated)"),
        (Dose(minutes=10, per_week=3), "10 min, 3 times a week"),
        (Dose(sets=5, minutes=6, per_week=3), "5 × 6 min, 3 times a week"),
        (Dose(note="as your physio shows you"), "as your physio shows you"),
        (Dose(), "as your physio advises"),
    ],
)
def test_doses_read_as_sets_reps_holds_and_how_often(dose, text):
    assert _render.dose(dose) == text


@pytest.mark.parametrize(("day_class", "article"), [("green", "a"), ("amber", "an"), ("red", "a")])
def test_the_day_class_reads_naturally(day_class, article):
    assert f"saved: {article} {day_class} day." in _render.checkin_recorded(day(0), day_class, ())
