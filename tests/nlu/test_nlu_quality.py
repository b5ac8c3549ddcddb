"""Specification: the chat's language understanding meets its bar on the held-out set (tests/nlu/heldout.yml).

Trains an NLU-only model once per session (a few minutes on two cores), so the module is marked slow.
The held-out set is never copied into data/nlu/ and never edited to make these pass.
"""

from pathlib import Path

import pytest

from rehab_coach.knowledge import default_knowledge
from rehab_coach.nlu_eval import TARGETS, Report, evaluate, format_report, load_heldout, parse_all, train_nlu_model

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def report(tmp_path_factory: pytest.TempPathFactory) -> Report:
    knowledge = default_knowledge()
    items = load_heldout()
    model = train_nlu_model(Path(tmp_path_factory.mktemp("nlu-model")))
    result = evaluate(items, parse_all(model, [item.text for item in items], knowledge), knowledge)
    print(format_report(result))  # shown with -s or on failure, so the figures are never hidden
    return result


def test_intents_are_recognised_with_macro_f1_of_at_least_095(report: Report):
    assert report.intent_macro_f1 >= TARGETS["intent_macro_f1"], format_report(report)


def test_pain_values_are_read_right_at_least_98_percent_of_the_time(report: Report):
    assert report.pain_accuracy >= TARGETS["pain_accuracy"], format_report(report)


def test_no_urgent_or_emergency_red_flag_is_missed(report: Report):
    assert report.red_flag_recall >= TARGETS["red_flag_recall"], format_report(report)


def test_negated_and_benign_look_alikes_rarely_raise_an_alarm(report: Report):
    assert report.false_alarm_rate <= TARGETS["false_alarm_rate"], format_report(report)
