"""Specification: the held-out NLU set is well-formed, large enough, and independent of the training data."""

import re
from pathlib import Path

import yaml

from rehab_coach.contract import QUESTIONS
from rehab_coach.model import SERIOUS
from rehab_coach.nlu_eval import HELDOUT, NLU_DATA, Item, Parsed, evaluate, is_pain_item, load_heldout
from tests.conftest import read_answers

DOMAIN = Path(__file__).resolve().parents[2] / "domain.yml"
# One-word canonical answers ("yes", "no") are bound to occur in both sets; nothing longer may.
CANONICAL = {"yes", "no", "nope"}


def _normalised(text: str) -> str:
    return re.sub(r"[^a-z0-9 ]", "", text.lower()).strip()


def _training_examples() -> dict[str, str]:
    examples = {}
    for path in sorted(NLU_DATA.glob("*.yml")):
        for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
            for line in block["examples"].splitlines():
                examples[_normalised(line.strip()[2:])] = block["intent"]
    return examples


def test_heldout_has_the_promised_coverage():
    items = load_heldout()
    assert len(items) >= 180
    assert sum(is_pain_item(i) for i in items) >= 40
    assert sum(i.red_flag in SERIOUS for i in items) >= 25
    intents = yaml.safe_load(DOMAIN.read_text(encoding="utf-8"))["intents"]
    wanted = {i if isinstance(i, str) else next(iter(i)) for i in intents} - {"EXTERNAL_checkin_reminder"}
    assert wanted <= {i.intent for i in items}


def test_heldout_labels_use_known_intents_fields_and_levels():
    intents = yaml.safe_load(DOMAIN.read_text(encoding="utf-8"))["intents"]
    known = {i if isinstance(i, str) else next(iter(i)) for i in intents}
    for item in load_heldout():
        assert item.intent in known, item.text
        assert item.red_flag in {"emergency", "urgent", "routine", "none"}, item.text
        assert set(item.answers) | set(item.problems) <= set(QUESTIONS), item.text
        assert item.requested is None or item.requested in QUESTIONS, item.text


def test_no_heldout_message_is_copied_into_the_training_data():
    training = _training_examples()
    copied = [i.text for i in load_heldout()
              if _normalised(i.text) in training and _normalised(i.text) not in CANONICAL]
    assert copied == []


def test_every_training_intent_has_at_least_25_examples():
    counts: dict[str, int] = {}
    for path in sorted(NLU_DATA.glob("*.yml")):
        for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
            counts[block["intent"]] = counts.get(block["intent"], 0) + len(block["examples"].splitlines())
    assert counts and min(counts.values()) >= 25, counts


def test_scoring_counts_red_flags_found_by_the_detector_even_when_the_classifier_misses(knowledge):
    items = [Item(text="my calf is swollen and hot", intent="red_flag", red_flag="urgent"),
             Item(text="no numbness at all", intent="inform", red_flag="none")]
    parsed = [Parsed(intent="inform"), Parsed(intent="inform")]
    report = evaluate(items, parsed, knowledge)
    assert report.red_flag_recall == 1.0
    assert report.false_alarm_rate == 0.0
    assert report.intents["red_flag"].recall == 0.0


def test_scoring_reads_pain_answers_with_the_answer_reader(knowledge):
    item = Item(text="about a 4", intent="inform", red_flag="none", answers={"pain_rest": 4}, requested="pain_rest")
    assert read_answers(item.text, item.requested).values == {"pain_rest": 4}
    assert evaluate([item], [Parsed(intent="inform")], knowledge).pain_accuracy == 1.0


def test_the_heldout_file_is_the_one_the_evaluation_reads():
    assert Path(__file__).with_name("heldout.yml") == HELDOUT
