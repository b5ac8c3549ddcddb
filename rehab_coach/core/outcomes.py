"""Functional outcome measures (knowledge/outcome_measures.yml): a set of answers scored by its measure's rule, and
whether a change between two scores is one that matters to a patient (the minimal clinically important
difference). An item skipped or answered N/A is left out, never guessed: too few items rated gives no score."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from rehab_coach.core.model import OutcomeMeasure

NOT_APPLICABLE = "n/a"
Answer = int | Literal["n/a"] | None  # a rating on the measure's scale, N/A, or skipped (None)
Change = Literal["better", "worse"]


class InvalidAnswers(ValueError):
    """Answers that do not fit the measure: too many, a rating off its scale, or N/A where it has none."""


def rated(measure: OutcomeMeasure, answers: Sequence[Answer]) -> list[int]:
    """The ratings among `answers`, after checking each fits the measure."""
    if len(answers) > measure.items or (measure.items_from == "clinic" and len(answers) != measure.items):
        raise InvalidAnswers(f"{measure.id}: {len(answers)} answers for {measure.items} items")
    for answer in answers:
        if answer == NOT_APPLICABLE and not measure.not_applicable:
            raise InvalidAnswers(f"{measure.id}: no item can be answered N/A")
        if isinstance(answer, bool) or (answer not in (None, NOT_APPLICABLE) and not (
                isinstance(answer, int) and measure.scale.lowest <= answer <= measure.scale.highest)):
            raise InvalidAnswers(f"{measure.id}: {answer!r} is not a rating from {measure.scale.lowest} to "
                                 f"{measure.scale.highest}")
    return [answer for answer in answers if isinstance(answer, int)]


def score(measure: OutcomeMeasure, answers: Sequence[Answer]) -> float | None:
    """The measure's score (one decimal), or None when fewer than `min_answered` items were rated."""
    ratings = rated(measure, answers)
    if len(ratings) < measure.min_answered:
        return None
    if measure.score == "mean":
        return round(sum(ratings) / len(ratings), 1)
    if measure.score == "percent":
        return round(100 * sum(ratings) / (len(ratings) * measure.scale.highest), 1)
    return float(sum(ratings))


def change(measure: OutcomeMeasure, before: float, after: float, item: bool = False) -> Change | None:
    """'better' or 'worse' when the score (or, `item`, a single item: PSFS) moved by at least its important
    difference, else None. Every scale here is higher-is-better."""
    threshold = measure.mcid.item if item else measure.mcid.score
    if threshold is None:
        raise ValueError(f"{measure.id}: no important difference for a single item")
    if abs(after - before) < threshold:
        return None
    return "better" if after > before else "worse"
