"""A licensed questionnaire end to end on the real servers, with the test text (FAAM ADL's structure, invented
words) as the clinic's, from QUESTIONNAIRES_DIR: offered once PSFS is done, asked item by item in the clinic's
words, answered in those words, N/A and skip kept as such, then scored by the measure's rule and stored."""

from __future__ import annotations

from datetime import timedelta

import pytest
import yaml

from rehab_coach.adapters.storage import Store, make_engine
from rehab_coach.core.outcomes import NOT_APPLICABLE
from rehab_coach.paths import PROJECT_ROOT
from tests.e2e.conftest import last_question, payloads
from tests.e2e.test_conversation import DAY0, GREEN, finish_questions

pytestmark = pytest.mark.slow

TEXTS = PROJECT_ROOT / "tests" / "fixtures" / "questionnaires"


@pytest.fixture(scope="module")
def server_env() -> dict[str, str]:
    return {"QUESTIONNAIRES_DIR": str(TEXTS)}


def test_a_licensed_questionnaire_is_asked_in_the_clinics_words_and_scored(chat):
    sender = "faam-patient"
    text = yaml.safe_load((TEXTS / "faam_adl.yml").read_text())
    accepted = {**GREEN, "questionnaire_now": "yes"}
    finish_questions(chat, sender, DAY0, chat.say(sender, "hi", DAY0), accepted, until="psfs_activities")
    assert payloads(chat.say(sender, "none really", DAY0), "measure_recorded")  # PSFS first: no activities named

    next_day = DAY0 + timedelta(days=1)
    replies = finish_questions(chat, sender, next_day, chat.say(sender, "check in", next_day), accepted,
                               until="faam_adl_1")
    assert payloads(replies, "question")[-1] == {
        "kind": "question", "field": "faam_adl_1", "type": "choice", "choices": ["4", "3", "2", "1", "0", "n/a"],
        "labels": [text["choices"][n] for n in (4, 3, 2, 1, 0)] + [text["not_applicable"]],
        "measure": "faam_adl", "item": text["items"][0], "skippable": True}
    answers = ["a little trouble", text["not_applicable"], "skip", *["4"] * 18]
    for number, answer in enumerate(answers, start=1):
        replies = chat.say(sender, answer, next_day)
        if number < len(answers):
            assert last_question(replies) == f"faam_adl_{number + 1}", (answer, replies)
    (recorded,) = payloads(replies, "measure_recorded")
    assert recorded["answers"] == [3, NOT_APPLICABLE, None, *[4] * 18]
    assert recorded["score"] == round(100 * (3 + 18 * 4) / (19 * 4), 1)  # 19 rated: N/A and the skipped left out
    store = Store(make_engine(chat.database_url))
    patient = store.patient("rest", sender, DAY0.date())
    assert [(r.measure, r.score) for r in store.responses(patient.id)] == [("psfs", None),
                                                                           ("faam_adl", recorded["score"])]
