"""Evaluate the chat's language understanding on the held-out set (tests/nlu/heldout.yml).

Trains an NLU-only model on data/nlu with the project's config.yml, parses every held-out message and
reports: intent precision/recall/F1 per intent and macro-F1; activity/exercise entity P/R/F1 (matched
text mapped to knowledge ids); answer reading accuracy (rehab_coach.answers); red-flag recall and false
alarms, where a message counts as flagged when its final intent is red_flag or the deterministic triage
finds an emergency or urgent red flag. Figures are reported next to their targets; tests/nlu asserts them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from rehab_coach.answers import AnswerReader
from rehab_coach.intents import RED_FLAG_INTENT, SERIOUS_INTENTS
from rehab_coach.knowledge import default_knowledge
from rehab_coach.model import PAIN_FIELDS, SERIOUS, Knowledge
from rehab_coach.nlp import read
from rehab_coach.paths import PROJECT_ROOT
from rehab_coach.redflags import detector_for

HELDOUT = PROJECT_ROOT / "tests" / "nlu" / "heldout.yml"
NLU_DATA = PROJECT_ROOT / "data" / "nlu"
CONFIG = PROJECT_ROOT / "config.yml"
DOMAIN = PROJECT_ROOT / "domain.yml"
ENTITY_LABELS = ("activity", "exercise")

# The bar the project holds its NLU to (reported next to each figure; asserted by tests/nlu).
TARGETS = {"intent_macro_f1": 0.95, "pain_accuracy": 0.98, "red_flag_recall": 1.0, "false_alarm_rate": 0.05}


@dataclass(frozen=True)
class Item:
    """One held-out message and what a careful human reads in it."""

    text: str
    intent: str
    red_flag: str
    entities: dict[str, str] | None = None  # None: not labelled for entities
    answers: dict[str, object] = field(default_factory=dict)
    problems: tuple[str, ...] = ()
    requested: str | None = None


@dataclass(frozen=True)
class Parsed:
    """What the trained model made of a message: its final intent and activity/exercise knowledge ids."""

    intent: str
    entities: frozenset[tuple[str, str]] = frozenset()


@dataclass(frozen=True)
class Scores:
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class Report:
    items: int
    intents: dict[str, Scores]
    intent_macro_f1: float
    entities: dict[str, Scores]
    entity_f1: float
    pain_accuracy: float
    pain_items: int
    answer_accuracy: float
    answer_items: int
    red_flag_recall: float
    red_flag_items: int
    false_alarm_rate: float  # on look-alikes: symptom words or negation, labelled none
    look_alike_items: int
    false_alarm_rate_all: float  # on every item labelled none
    none_items: int
    errors: tuple[str, ...] = ()  # what went wrong, one line each, for whoever improves the data

    def meets_targets(self) -> dict[str, bool]:
        return {
            "intent_macro_f1": self.intent_macro_f1 >= TARGETS["intent_macro_f1"],
            "pain_accuracy": self.pain_accuracy >= TARGETS["pain_accuracy"],
            "red_flag_recall": self.red_flag_recall >= TARGETS["red_flag_recall"],
            "false_alarm_rate": self.false_alarm_rate <= TARGETS["false_alarm_rate"],
        }


# --- the held-out set -------------------------------------------------------------------------------


def load_heldout(path: Path = HELDOUT) -> list[Item]:
    """The held-out items, checked for the keys the evaluation needs."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))["items"]
    items = []
    for number, entry in enumerate(raw, start=1):
        missing = {"text", "intent", "red_flag"} - set(entry)
        if missing:
            raise ValueError(f"{path.name}: item {number}: missing {', '.join(sorted(missing))}")
        items.append(Item(text=str(entry["text"]), intent=entry["intent"], red_flag=entry["red_flag"],
                          entities=entry.get("entities"), answers=entry.get("answers") or {},
                          problems=tuple(entry.get("problems") or ()), requested=entry.get("requested")))
    return items


# --- training and parsing (Rasa is imported only here) ---------------------------------------------


@contextlib.contextmanager
def _in_project() -> Iterator[None]:
    """config.yml names the spaCy model by a project-relative path, so Rasa must run from the project."""
    before = Path.cwd()
    os.chdir(PROJECT_ROOT)
    try:
        yield
    finally:
        os.chdir(before)


def _quiet_rasa() -> None:
    """Rasa logs every parsed message at debug level; the report is what matters here."""
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    configure_logging_and_warnings(logging.WARNING)
    configure_structlog(logging.WARNING)


def train_nlu_model(out_dir: Path) -> Path:
    """Build the spaCy pipeline if needed, then train an NLU-only model into `out_dir`; its path."""
    from rasa.model_training import train_nlu

    from rehab_coach.knowledge import default_knowledge
    from rehab_coach.nlp import build_pipeline

    build_pipeline(default_knowledge())
    _quiet_rasa()
    with _in_project():
        model = train_nlu(config=str(CONFIG), nlu_data=str(NLU_DATA), output=str(out_dir),
                          fixed_model_name="nlu-eval", domain=str(DOMAIN))
    if not model:
        raise RuntimeError("Rasa did not produce an NLU model")
    return Path(model)


def parse_all(model_path: Path, texts: Sequence[str], knowledge: Knowledge) -> list[Parsed]:
    """Parse each text with the trained model (its RedFlagDetector included)."""
    from rasa.core.agent import Agent

    async def parse() -> list[dict[str, Any]]:
        agent = Agent.load(str(model_path))
        return [await agent.parse_message(text) for text in texts]

    _quiet_rasa()
    with _in_project():
        results = asyncio.run(parse())
    return [_parsed(result, knowledge) for result in results]


def _parsed(result: dict[str, Any], knowledge: Knowledge) -> Parsed:
    from rehab_coach.nlp import entity_id

    found = set()
    for entity in result.get("entities", []):
        label = entity.get("entity")
        if label in ENTITY_LABELS:
            ident = entity_id(knowledge, label, str(entity.get("value", "")))
            found.add((label, ident or f"?{entity.get('value')}"))
    return Parsed(intent=(result.get("intent") or {}).get("name") or "", entities=frozenset(found))


# --- scoring (pure) ---------------------------------------------------------------------------------


def _scores(tp: int, fp: int, fn: int) -> Scores:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Scores(precision, recall, f1, tp + fn)


def intent_scores(items: Sequence[Item], parsed: Sequence[Parsed]) -> dict[str, Scores]:
    """Per-intent precision, recall and F1 over every intent labelled in the held-out set."""
    scores = {}
    for intent in sorted({item.intent for item in items}):
        pairs = [(item.intent == intent, p.intent == intent) for item, p in zip(items, parsed, strict=True)]
        scores[intent] = _scores(sum(t and g for t, g in pairs), sum(g and not t for t, g in pairs),
                                 sum(t and not g for t, g in pairs))
    return scores


def entity_scores(items: Sequence[Item], parsed: Sequence[Parsed]) -> dict[str, Scores]:
    """Per-label P/R/F1 of (label, knowledge id) on the items labelled for entities."""
    counts = {label: [0, 0, 0] for label in ENTITY_LABELS}
    for item, p in zip(items, parsed, strict=True):
        if item.entities is None:
            continue
        expected = set(item.entities.items())
        for label in ENTITY_LABELS:
            want = {e for e in expected if e[0] == label}
            got = {e for e in p.entities if e[0] == label}
            counts[label][0] += len(want & got)
            counts[label][1] += len(got - want)
            counts[label][2] += len(want - got)
    scores = {label: _scores(*c) for label, c in counts.items()}
    scores["all"] = _scores(*(sum(c[k] for c in counts.values()) for k in range(3)))
    return scores


@cache
def answer_reader() -> AnswerReader:
    return AnswerReader(default_knowledge(), read)


def answers_read_right(item: Item) -> bool:
    """Every expected value is read exactly, and every expected problem is reported (not a value)."""
    answers = answer_reader()(item.text, item.requested)
    return (all(answers.values.get(name) == value for name, value in item.answers.items())
            and all(name in answers.problems and name not in answers.values for name in item.problems))


def is_pain_item(item: Item) -> bool:
    return any(name in PAIN_FIELDS for name in (*item.answers, *item.problems))


def flagged(item: Item, parsed: Parsed, knowledge: Knowledge) -> bool:
    """Treated as urgent: the final intent is a red flag's, or the deterministic detector finds emergency/urgent."""
    found = detector_for(knowledge, read).find_text(item.text, date.today())
    return parsed.intent in {RED_FLAG_INTENT, *SERIOUS_INTENTS.values()} or found.urgency in SERIOUS


def looks_alike(item: Item, knowledge: Knowledge) -> bool:
    """A message with red-flag words (negated or not): where false alarms happen."""
    return bool(detector_for(knowledge, read).find_text(item.text, date.today()).occurrences)


def evaluate(items: Sequence[Item], parsed: Sequence[Parsed], knowledge: Knowledge) -> Report:
    """Every figure of the report, from the items and what the model made of them."""
    intents = intent_scores(items, parsed)
    entities = entity_scores(items, parsed)
    answer_items = [i for i in items if i.answers or i.problems]
    pain_items = [i for i in answer_items if is_pain_item(i)]
    flags = [flagged(i, p, knowledge) for i, p in zip(items, parsed, strict=True)]
    urgent = [f for i, f in zip(items, flags, strict=True) if i.red_flag in SERIOUS]
    calm = [(i, f) for i, f in zip(items, flags, strict=True) if i.red_flag == "none"]
    alike = [f for i, f in calm if looks_alike(i, knowledge)]
    return Report(
        items=len(items),
        intents=intents,
        intent_macro_f1=sum(s.f1 for s in intents.values()) / len(intents),
        entities=entities,
        entity_f1=entities["all"].f1,
        pain_accuracy=_share(answers_read_right(i) for i in pain_items),
        pain_items=len(pain_items),
        answer_accuracy=_share(answers_read_right(i) for i in answer_items),
        answer_items=len(answer_items),
        red_flag_recall=_share(urgent),
        red_flag_items=len(urgent),
        false_alarm_rate=_share(alike),
        look_alike_items=len(alike),
        false_alarm_rate_all=_share(f for _i, f in calm),
        none_items=len(calm),
        errors=tuple(_errors(items, parsed, flags)),
    )


def _share(hits: Any) -> float:
    values = list(hits)
    return sum(values) / len(values) if values else 0.0


def _errors(items: Sequence[Item], parsed: Sequence[Parsed], flags: Sequence[bool]) -> Iterator[str]:
    for item, p, flag in zip(items, parsed, flags, strict=True):
        if p.intent != item.intent:
            yield f"intent   {item.intent:>13} -> {p.intent:<13} {item.text!r}"
        if item.entities is not None and set(item.entities.items()) != set(p.entities):
            yield f"entities {dict(item.entities)} -> {sorted(p.entities)} {item.text!r}"
        if (item.answers or item.problems) and not answers_read_right(item):
            yield f"answers  {item.answers or list(item.problems)} -> {answer_reader()(item.text, item.requested)}"
        if item.red_flag in SERIOUS and not flag:
            yield f"MISSED   {item.red_flag} {item.text!r}"
        if item.red_flag == "none" and flag:
            yield f"alarm    {item.text!r}"


# --- output -----------------------------------------------------------------------------------------


def format_report(report: Report) -> str:
    """The figures as a plain-text table, each target next to its figure."""
    met = report.meets_targets()

    def mark(name: str) -> str:
        return "ok" if met[name] else "BELOW TARGET"

    lines = [f"held-out items: {report.items}", "", f"{'intent':<16}{'P':>7}{'R':>7}{'F1':>7}{'n':>5}"]
    lines += [f"{name:<16}{s.precision:>7.2f}{s.recall:>7.2f}{s.f1:>7.2f}{s.support:>5}"
              for name, s in report.intents.items()]
    lowest = min(report.intents.items(), key=lambda kv: kv[1].f1)
    lines += ["", f"intent macro-F1        {report.intent_macro_f1:.3f}   target >= {TARGETS['intent_macro_f1']}  "
              f"{mark('intent_macro_f1')}   (lowest: {lowest[0]} {lowest[1].f1:.2f})", ""]
    lines += [f"entity {label:<9} P {s.precision:.2f}  R {s.recall:.2f}  F1 {s.f1:.2f}  (n={s.support})"
              for label, s in report.entities.items()]
    lines += [
        "",
        f"pain value accuracy    {report.pain_accuracy:.3f}   target >= {TARGETS['pain_accuracy']}  "
        f"{mark('pain_accuracy')}   (n={report.pain_items})",
        f"all answers accuracy   {report.answer_accuracy:.3f}   (n={report.answer_items})",
        f"red-flag recall        {report.red_flag_recall:.3f}   target >= {TARGETS['red_flag_recall']}  "
        f"{mark('red_flag_recall')}   (urgent/emergency n={report.red_flag_items})",
        f"false alarms           {report.false_alarm_rate:.3f}   target <= {TARGETS['false_alarm_rate']}  "
        f"{mark('false_alarm_rate')}   (look-alikes n={report.look_alike_items}; "
        f"all 'none' items: {report.false_alarm_rate_all:.3f}, n={report.none_items})",
    ]
    if report.errors:
        lines += ["", "errors:", *(f"  {e}" for e in report.errors)]
    return "\n".join(lines)


def run(model_path: Path | None = None, heldout: Path = HELDOUT) -> Report:
    """Train a fresh model (unless one is given), parse the held-out set and score it."""
    from rehab_coach.knowledge import default_knowledge

    knowledge = default_knowledge()
    items = load_heldout(heldout)
    if model_path is not None:
        return evaluate(items, parse_all(model_path, [i.text for i in items], knowledge), knowledge)
    with tempfile.TemporaryDirectory(prefix="nlu-eval-") as folder:
        model = train_nlu_model(Path(folder))
        return evaluate(items, parse_all(model, [i.text for i in items], knowledge), knowledge)


def main(argv: list[str] | None = None) -> int:
    """Print the report; exit 0 whenever the evaluation ran (figures are reported, not asserted)."""
    parser = argparse.ArgumentParser(prog="rehab-coach nlu-eval", description=__doc__)
    parser.add_argument("--model", type=Path, help="evaluate this trained model instead of training one")
    args = parser.parse_args(argv)
    print(format_report(run(args.model)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
