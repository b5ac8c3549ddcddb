"""Functional outcome measures (knowledge/outcome_measures.yml): a set of answers scored by its measure's rule, and
whether a change between two scores is one that matters to a patient (the minimal clinically important
difference). An item skipped or answered N/A is left out, never guessed: too few items rated gives no score."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from rehab_coach.core.model import Knowledge, OutcomeMeasure, Questionnaire

NOT_APPLICABLE: Literal["n/a"] = "n/a"
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


@dataclass(frozen=True)
class Response:
    """One completed questionnaire: its items (PSFS: the patient's activities), the answers in the same order,
    and the score they give (None: too few rated)."""

    measure: str
    day: date
    items: tuple[str, ...]
    answers: tuple[Answer, ...]
    score: float | None


class Unreadable(ValueError):
    """An answer that is neither a rating on the scale, N/A where allowed, nor "skip"."""


SKIP_WORDS = ("skip", "pass", "rather not")
UNSURE_WORDS = ("don't know", "dont know", "do not know", "not sure", "no idea", "next")
NOT_APPLICABLE_WORDS = ("n/a", "not applicable", "doesn't apply", "does not apply", "dont do", "don't do")
NO_ACTIVITIES = ("none", "nothing", "no", "nope", "nah", "n/a")  # said first: "none really", "no, not at the moment"
CANNOT_THINK = ("can't think", "cannot think", "not really", "not sure")
NUMBER_WORDS = {word: number for number, word in enumerate(
    ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"])}


def _says(text: str, phrases: Sequence[str]) -> bool:
    return any(re.search(rf"(?<![\w/]){re.escape(phrase)}(?![\w/])", text) for phrase in phrases)


def says_skip(text: str) -> bool:
    return _says(text.lower(), SKIP_WORDS)


def read_answer(measure: OutcomeMeasure, text: str, questionnaire: Questionnaire | None = None) -> Answer:
    """A rating, N/A (when the measure allows it) or None for "skip"; Unreadable for anything else, with the
    reason. The clinic's wording of a rating ("a little difficulty") counts as that rating."""
    said = " ".join(text.lower().replace("’", "'").split())
    if _says(said, (*SKIP_WORDS, *UNSURE_WORDS)):  # left unanswered, never guessed
        return None
    not_applicable = (*NOT_APPLICABLE_WORDS, *([questionnaire.not_applicable.lower()]
                                                if questionnaire and questionnaire.not_applicable else []))
    if measure.not_applicable and _says(said, not_applicable):
        return NOT_APPLICABLE
    if questionnaire is not None:
        for rating, words in sorted(questionnaire.choices.items(), key=lambda choice: -len(choice[1])):
            if _says(said, [words.lower()]):
                return rating
    for _rating, out_of in re.findall(r"(\d+)\s*(?:/|out of)\s*(\d+)", said):  # "7/10"
        if int(out_of) != measure.scale.highest:
            raise Unreadable("off the scale")
        said = said.replace(f"/{out_of}", "").replace(f"out of {out_of}", "")
    numbers = [int(n) for n in re.findall(r"(?<![\d.])\d+(?![\d.])", said)] or [
        NUMBER_WORDS[w] for w in re.findall(r"[a-z]+", said) if w in NUMBER_WORDS]
    if len(set(numbers)) != 1:
        raise Unreadable("several numbers" if numbers else "no rating")
    if not measure.scale.lowest <= numbers[0] <= measure.scale.highest:
        raise Unreadable("off the scale")
    return numbers[0]


def read_activities(measure: OutcomeMeasure, text: str) -> list[str]:
    """The activities a patient names for PSFS ("releve, jumps and pointe"), at most the measure's items; none
    when they name none or say "skip"."""
    said = " ".join(text.replace("’", "'").split()).strip(" .!")
    words = re.findall(r"[\w/']+", said.lower())
    if not words or words[0] in NO_ACTIVITIES or _says(said.lower(), (*SKIP_WORDS, *CANNOT_THINK)):
        return []
    parts = [p.strip(" .!-•") for p in re.split(r",|;|\n|\band\b|\d\)|\d\.", said)]
    return [p[:60] for p in parts if p][:measure.items]


def asked_in_chat(knowledge: Knowledge) -> list[OutcomeMeasure]:
    """The measures the coach asks: PSFS (the patient's own activities) and each licensed one whose text the clinic
    supplied."""
    return [m for m in knowledge.measures.values() if m.items_from == "patient" or m.id in knowledge.questionnaires]


def due(measures: Sequence[OutcomeMeasure], responses: Sequence[Response], today: date,
        discharged_on: date | None = None) -> OutcomeMeasure | None:
    """The first of `measures` due today: never answered (and asked at baseline), last answered at least its
    cadence's days ago, or (asked at discharge) not answered since the patient was discharged."""
    for measure in measures:
        last = max((r.day for r in responses if r.measure == measure.id), default=None)
        if last is None:
            if measure.cadence.baseline:
                return measure
        elif (today - last).days >= measure.cadence.every_days or (
                measure.cadence.discharge and discharged_on is not None and last < discharged_on <= today):
            return measure
    return None


@dataclass(frozen=True)
class Point:
    """A questionnaire in a patient's trend, with the changes that matter since their first score (baseline)."""

    response: Response
    change: Change | None  # the score against the baseline's, by the measure's important difference
    items: dict[str, Change]  # PSFS: each activity rated then and now whose rating moved by the item's


def trend(measure: OutcomeMeasure, responses: Sequence[Response]) -> list[Point]:
    """The patient's answers to `measure`, oldest first, each marked against the first one with a score."""
    mine = [r for r in responses if r.measure == measure.id]
    baseline = next((r for r in mine if r.score is not None), None)
    points = []
    for response in mine:
        if baseline is None or response is baseline or response.score is None or baseline.score is None:
            points.append(Point(response, None, {}))
            continue
        before = {item: answer for item, answer in zip(baseline.items, baseline.answers, strict=True)
                  if isinstance(answer, int)}
        items = {item: moved for item, answer in zip(response.items, response.answers, strict=True)
                 if measure.mcid.item and isinstance(answer, int) and item in before
                 and (moved := change(measure, before[item], answer, item=True))}
        points.append(Point(response, change(measure, baseline.score, response.score), items))
    return points
