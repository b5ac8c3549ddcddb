"""Outcome measures: scored as their published instructions say, skipped and N/A items never guessed, and a
licensed questionnaire's text checked against its measure's structure."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml

from rehab_coach.core.knowledge import KnowledgeError, default_knowledge, load_knowledge
from rehab_coach.core.model import Questionnaire
from rehab_coach.core.outcomes import NOT_APPLICABLE as NA
from rehab_coach.core.outcomes import (
    InvalidAnswers,
    Response,
    Unreadable,
    change,
    due,
    read_activities,
    read_answer,
    score,
)
from rehab_coach.paths import KNOWLEDGE_DIR

MEASURES = default_knowledge().measures
FIXTURE = Path(__file__).parents[1] / "fixtures" / "questionnaires" / "faam_adl.yml"


def test_the_measures_and_their_numbers_are_the_published_ones():
    assert {m: (MEASURES[m].items, MEASURES[m].scale.highest, MEASURES[m].mcid.score) for m in MEASURES} == {
        "psfs": (3, 10, 2), "faam_adl": (21, 4, 8), "faam_sports": (8, 4, 9), "lefs": (20, 4, 9)}
    assert MEASURES["psfs"].mcid.item == 3
    assert [m for m in MEASURES if MEASURES[m].items_from == "clinic"] == ["faam_adl", "faam_sports", "lefs"]


def test_faam_the_scoring_instructions_worked_examples():
    """FAAM's instructions: the items answered times 4 is the highest possible score (84 with all 21 ADL items
    answered, 80 with one N/A); the item sum over it, times 100, is the score."""
    adl, sports = MEASURES["faam_adl"], MEASURES["faam_sports"]
    assert score(adl, [3] * 21) == 75.0  # 63 / 84
    assert score(adl, [4] * 20 + [NA]) == 100.0  # 80 / 80: N/A lowers the highest possible score, not the score
    assert score(adl, [3] * 20 + [NA]) == 75.0  # 60 / 80
    assert score(adl, [4, 3, 2, 1, 0, 4, 3, 2, 1, 0, 4, 3, 2, 1, 0, 4, 3, 2, 1, 0, 4]) == 52.4  # 44 / 84
    assert score(sports, [2] * 7 + [NA]) == 50.0  # 14 / 28


def test_faam_needs_nine_in_ten_items_rated_and_never_guesses_the_rest():
    adl, sports = MEASURES["faam_adl"], MEASURES["faam_sports"]
    assert score(adl, [4] * 19 + [NA, None]) == 100.0  # 19 of 21 rated
    assert score(adl, [4] * 18 + [NA, None, None]) is None
    assert score(sports, [4] * 7 + [None]) == 100.0
    assert score(sports, [4] * 6 + [NA, NA]) is None


def test_lefs_is_the_sum_of_twenty_items_and_a_skipped_item_leaves_no_score():
    lefs = MEASURES["lefs"]
    assert score(lefs, [4] * 20) == 80.0
    assert score(lefs, [0] * 20) == 0.0
    assert score(lefs, [2] * 10 + [3] * 10) == 50.0
    assert score(lefs, [4] * 19 + [None]) is None
    with pytest.raises(InvalidAnswers, match="N/A"):
        score(lefs, [4] * 19 + [NA])


def test_psfs_is_the_mean_of_the_activities_rated():
    psfs = MEASURES["psfs"]
    assert score(psfs, [3, 5, 7]) == 5.0
    assert score(psfs, [3, None, 6]) == 4.5  # an activity not rated this week is left out
    assert score(psfs, [2]) == 2.0
    assert score(psfs, [None, None]) is None


@pytest.mark.parametrize(("measure", "answers"), [
    ("faam_adl", [4] * 20),  # one item short
    ("faam_adl", [5] + [4] * 20),  # off the scale
    ("faam_sports", [True] + [4] * 7),  # not a rating
    ("psfs", [1, 2, 3, 4]),  # more activities than the scale keeps
    ("psfs", [11]),
])
def test_answers_that_do_not_fit_the_measure_are_refused(measure, answers):
    with pytest.raises(InvalidAnswers):
        score(MEASURES[measure], answers)


def test_a_change_matters_from_its_minimal_important_difference_either_way():
    psfs, adl, lefs = MEASURES["psfs"], MEASURES["faam_adl"], MEASURES["lefs"]
    assert change(psfs, 4.0, 6.0) == "better" and change(psfs, 4.0, 5.9) is None and change(psfs, 6.0, 4.0) == "worse"
    assert change(psfs, 2, 5, item=True) == "better" and change(psfs, 2, 4, item=True) is None
    assert change(adl, 60.0, 68.0) == "better" and change(adl, 60.0, 67.9) is None
    assert change(lefs, 50, 41) == "worse" and change(lefs, 50, 42) is None
    with pytest.raises(ValueError, match="single item"):
        change(adl, 60, 80, item=True)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    copy = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, copy)
    return copy


def test_a_licensed_text_the_clinic_supplies_is_loaded_and_no_longer_noted(folder):
    (folder / "questionnaires").mkdir()
    shutil.copy(FIXTURE, folder / "questionnaires" / "faam_adl.yml")
    loaded = load_knowledge(folder)
    assert list(loaded.questionnaires) == ["faam_adl"]
    assert loaded.questionnaires["faam_adl"].choices[0] == "cannot"
    check = subprocess.run([sys.executable, "-m", "rehab_coach", "check-knowledge", "--dir", str(folder)],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    assert [line.split(":")[1].strip() for line in check.stdout.splitlines() if line.startswith("note:")] == [
        "faam_sports", "lefs"]


def test_a_licensed_text_that_does_not_fit_its_measure_is_a_problem(folder):
    (folder / "questionnaires").mkdir()
    text = yaml.safe_load(FIXTURE.read_text())
    bad = {**text, "items": text["items"][:20], "choices": {**text["choices"], 5: "superb"}}
    del bad["not_applicable"]
    (folder / "questionnaires" / "faam_adl.yml").write_text(yaml.safe_dump(bad))
    (folder / "questionnaires" / "psfs.yml").write_text(yaml.safe_dump({**text, "measure": "psfs"}))
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(folder)
    assert sorted(caught.value.problems) == [
        "questionnaires/faam_adl.yml: choices: must be the ratings 0 to 4, each once",
        "questionnaires/faam_adl.yml: items: 20, the measure has 21",
        "questionnaires/faam_adl.yml: not_applicable: missing",
        "questionnaires/psfs.yml: measure: 'psfs' is not one whose text a clinic supplies",
    ]


def test_the_project_ships_no_licensed_text_and_the_check_notes_each_as_not_configured():
    assert default_knowledge().questionnaires == {}
    check = subprocess.run([sys.executable, "-m", "rehab_coach", "check-knowledge"], capture_output=True, text=True)
    assert check.returncode == 0
    assert sum(line.startswith("note: ") and "not configured" in line for line in check.stdout.splitlines()) == 3


def test_a_clinic_may_keep_its_licensed_texts_outside_the_project():
    env = {**os.environ, "QUESTIONNAIRES_DIR": str(FIXTURE.parent)}
    check = subprocess.run([sys.executable, "-m", "rehab_coach", "check-knowledge"], capture_output=True, text=True,
                           env=env)
    assert check.returncode == 0, check.stderr
    notes = [line for line in check.stdout.splitlines() if line.startswith("note:")]
    assert [line.split(":")[1].strip() for line in notes] == ["faam_sports", "lefs"]
    assert str(FIXTURE.parent / "lefs.yml") in notes[1]


# -- reading answers in the chat, and when a questionnaire is due ----------------------------------------------


@pytest.mark.parametrize(("text", "answer"), [
    ("7", 7), ("about a 6", 6), ("7/10", 7), ("0", 0), ("ten", 10), ("skip", None), ("pass on this one", None),
    ("not sure", None), ("I don't know", None),
])
def test_a_psfs_rating_is_a_number_on_its_scale_or_skip(text, answer):
    assert read_answer(MEASURES["psfs"], text) == answer


@pytest.mark.parametrize(("text", "why"), [
    ("11", "off the scale"), ("3/5", "off the scale"), ("4 or 5", "several numbers"), ("pretty good", "no rating"),
    ("n/a", "no rating"),  # PSFS has no N/A: the patient named the activity
])
def test_anything_else_is_unreadable_and_never_guessed(text, why):
    with pytest.raises(Unreadable, match=why):
        read_answer(MEASURES["psfs"], text)


def test_a_licensed_item_takes_the_clinics_words_for_a_rating_and_its_not_applicable():
    measure = MEASURES["faam_adl"]
    text = Questionnaire(**yaml.safe_load(FIXTURE.read_text()))
    assert read_answer(measure, "a little trouble", text) == 3
    assert read_answer(measure, "some trouble I guess", text) == 2
    assert read_answer(measure, "it does not apply to me", text) == NA
    assert read_answer(measure, "n/a", text) == NA
    assert read_answer(measure, "4", text) == 4
    with pytest.raises(Unreadable, match="off the scale"):
        read_answer(measure, "7", text)


@pytest.mark.parametrize(("text", "activities"), [
    ("relevé, jumps and pointe", ["relevé", "jumps", "pointe"]),
    ("1) running downhill 2) hopping 3) stairs", ["running downhill", "hopping", "stairs"]),
    ("sprinting; kicking; jumping; dancing", ["sprinting", "kicking", "jumping"]),  # at most the measure's 3
    ("demi-pointe", ["demi-pointe"]),
    ("none", []), ("skip", []), ("No.", []), ("none really", []), ("nothing at the moment", []),
    ("no, not really", []), ("Nope", []), ("can't think of any", []),
])
def test_the_activities_named_for_psfs(text, activities):
    assert read_activities(MEASURES["psfs"], text) == activities


def test_a_measure_is_due_at_baseline_then_every_cadence_days():
    psfs = MEASURES["psfs"]
    start = date(2026, 3, 2)
    assert due([psfs], [], start) is psfs
    answered = [Response("psfs", start, ("jumps",), (4,), 4.0)]
    assert due([psfs], answered, start + timedelta(days=psfs.cadence.every_days - 1)) is None
    assert due([psfs], answered, start + timedelta(days=psfs.cadence.every_days)) is psfs


def test_a_measure_asked_at_discharge_is_due_once_after_it():
    psfs = MEASURES["psfs"]
    answered = [Response("psfs", date(2026, 3, 2), ("jumps",), (4,), 4.0)]
    assert due([psfs], answered, date(2026, 3, 4), discharged_on=date(2026, 3, 4)) is psfs
    assert due([psfs], [*answered, Response("psfs", date(2026, 3, 4), ("jumps",), (8,), 8.0)], date(2026, 3, 5),
               discharged_on=date(2026, 3, 4)) is None
