"""Evidence of understanding on messages written by people who never saw the training data.

Sets (tests/nlu/, keys and history in tests/nlu/README.md):
- `sealed.yml`: written blind from shared/clinical-reference.md, never read while the coach changed, never
  tuned on. The README's figures come from it.
- `development_independent.yml`, `development_blind.yml`: written blind the same way, then tuned on.
- `development.yml`: the old held-out set, written beside the training data and used to tune the red-flag
  lexicon.

A reminder set (`--reminders FILE`, items `{id, text, category: reminder|lookalike, reminder: {action, time, zone,
days}, intent}`, optional top-level `today` for pauses till a date) is scored offline: the intent, and for reminder
items the request rehab_coach/core/reminder_request.py reads.

Two levels:
- understanding (the trained model's NLU on each message, offline): intent macro-F1, and red-flag recall of
  the rules alone, the classifier alone and both together, with false alarms on look-alikes;
- behaviour (the real Rasa and action servers, each message in its context: a new patient's first message,
  any time, or an answer inside the check-in): what the coach did, per category.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import secrets
import sys
import tempfile
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from rehab_coach.core.intents import CHANGE_REMINDERS, RED_FLAG_INTENT, SERIOUS_INTENTS
from rehab_coach.core.model import PAIN_FIELDS, SERIOUS, URGENCIES
from rehab_coach.core.reminder_request import ACTIONS, ReminderReader, reminder_reader

if TYPE_CHECKING:
    from rehab_coach import runner
from rehab_coach.paths import PROJECT_ROOT
from rehab_coach.settings import RASA_TOKEN

NLU_DIR = PROJECT_ROOT / "tests" / "nlu"
SEALED = NLU_DIR / "sealed.yml"
DEVELOPMENT_INDEPENDENT = NLU_DIR / "development_independent.yml"
DEVELOPMENT_BLIND = NLU_DIR / "development_blind.yml"
DEVELOPMENT = NLU_DIR / "development.yml"
REMINDER_SETS = tuple(NLU_DIR / f"reminders_{name}.yml"  # --reminders FILE
                      for name in ("development", "sealed", "development2", "sealed2"))
NLU_DATA = PROJECT_ROOT / "data" / "nlu"
SETS = {"sealed": SEALED, "development_independent": DEVELOPMENT_INDEPENDENT, "development_blind": DEVELOPMENT_BLIND,
        "development": DEVELOPMENT}

# The bar issue 9 sets (reported next to each figure).
TARGETS = {"serious_recall": 1.0, "serious_false_alarms": 0, "routine_recall": 0.95, "resolved": 0.95,
           "pain_values": 1.0, "intent_macro_f1": 0.95}
CHECKIN_ORDER = (*PAIN_FIELDS, "swelling", "mechanical", "adherence")
NEUTRAL = {"pain_rest": "1", "pain_exercise": "2", "pain_morning": "1", "swelling": "none", "mechanical": "none",
           "adherence": "all of it"}
RANK = {u: n for n, u in enumerate(URGENCIES)} | {"none": len(URGENCIES)}
NO_ADVICE = "don't have advice on"  # how the coach says an activity is not in its catalogue (domain: utter_no_advice*)
ONBOARDING = ("hi", "left", "dance", "yes, my physio diagnosed it")


@dataclass(frozen=True)
class Item:
    """One message and what a careful clinician expects the coach to make of it."""

    id: str
    text: str
    category: str  # emergency | urgent | routine | lookalike | exercise | activity | plan | values | chat
    urgency: str  # emergency | urgent | routine | none
    intent: str
    where: str = "anytime"  # first | anytime | checkin
    asked: str | None = None  # the check-in question just asked (where: checkin)
    lookalike: str | None = None
    exercises: tuple[str, ...] = ()  # the one meant, or the 2-3 it honestly fits
    activity: str | None = None  # an activity id, or "unknown"
    values: dict[str, Any] = field(default_factory=dict)

    @property
    def inside(self) -> bool:
        """A red flag said inside something else: an answer, or a long message about other things too."""
        return self.urgency != "none" and (self.where == "checkin" or len(self.text.split()) >= 30)


def load_items(path: Path) -> list[Item]:
    """A set's items; the old held-out format (red_flag, answers, requested, entities) is read too."""
    items = []
    for number, raw in enumerate(yaml.safe_load(path.read_text(encoding="utf-8"))["items"], start=1):
        if "category" in raw:
            exercises = raw.get("exercise_candidates") or ([raw["exercise"]] if raw.get("exercise") else [])
            items.append(Item(str(raw["id"]), str(raw["text"]), raw["category"], raw["urgency"], raw["intent"],
                              raw.get("where", "anytime"), raw.get("asked"), raw.get("lookalike"),
                              tuple(exercises), raw.get("activity"), dict(raw.get("values") or {})))
            continue
        entities = raw.get("entities") or {}
        urgency = raw["red_flag"]
        items.append(Item(f"{path.stem}-{number}", str(raw["text"]),
                          urgency if urgency != "none" else "chat", urgency, raw["intent"],
                          "checkin" if raw.get("requested") in CHECKIN_ORDER else "anytime",
                          raw.get("requested"), None,
                          (entities["exercise"],) if "exercise" in entities else (), entities.get("activity"),
                          dict(raw.get("answers") or {})))
    return items


# --- understanding: the model's NLU, offline ----------------------------------------------------------


@dataclass(frozen=True)
class Parsed:
    intent: str  # the final intent (the detector's own for serious findings, as `red_flag`)
    classified: str  # the classifier's intent before the detector had its say
    rules: str  # the detector alone: emergency | urgent | routine | asked (partial evidence) | none


def parse_all(model: Path, texts: Sequence[str]) -> list[Parsed]:
    """Each text through the trained model's NLU pipeline (its RedFlagDetector included)."""
    from rasa.core.agent import Agent

    from rehab_coach.adapters.nlp import read
    from rehab_coach.core.knowledge import default_knowledge
    from rehab_coach.core.redflags import detector_for

    async def parse() -> list[dict[str, Any]]:
        agent = Agent.load(str(model))
        return [await agent.parse_message(text) for text in texts]

    with _in_project(), _quiet():
        results = asyncio.run(parse())
    detector = detector_for(default_knowledge(), read)
    parsed = []
    for text, result in zip(texts, results, strict=True):
        final = (result.get("intent") or {}).get("name") or ""
        found = detector.find_text(text, date.today())
        rules = found.urgency or ("asked" if found.partial else "none")
        parsed.append(Parsed(_as_labelled(final), _as_labelled(result.get("classified_intent") or final), rules))
    return parsed


def _as_labelled(intent: str) -> str:
    return RED_FLAG_INTENT if intent in SERIOUS_INTENTS.values() else intent


@dataclass(frozen=True)
class Understanding:
    items: int
    intent_f1: dict[str, float]
    intent_macro_f1: float
    layers: dict[str, tuple[int, int]]  # layer -> (serious caught, serious items)
    rule_false_alarms: tuple[int, int]  # (serious alarms by the rules on look-alikes, look-alikes)


def understanding(items: Sequence[Item], parsed: Sequence[Parsed]) -> Understanding:
    labels = sorted({i.intent for i in items})
    f1 = {label: _f1(items, parsed, label) for label in labels}
    serious = [(i, p) for i, p in zip(items, parsed, strict=True) if i.urgency in SERIOUS]
    rules = [p.rules in SERIOUS for _, p in serious]
    classifier = [p.classified == RED_FLAG_INTENT for _, p in serious]
    layers = {
        "rules alone (escalate)": (sum(rules), len(serious)),
        "rules alone (escalate or ask)": (sum(p.rules in (*SERIOUS, "asked") for _, p in serious), len(serious)),
        "classifier alone (red_flag intent)": (sum(classifier), len(serious)),
        "both (escalate or ask)": (sum(p.rules in (*SERIOUS, "asked") or c for (_, p), c in zip(serious, classifier,
                                                                                               strict=True)),
                                   len(serious)),
    }
    alikes = [p for i, p in zip(items, parsed, strict=True) if i.category == "lookalike"]
    return Understanding(len(items), f1, sum(f1.values()) / len(f1), layers,
                         (sum(p.rules in SERIOUS for p in alikes), len(alikes)))


def _f1(items: Sequence[Item], parsed: Sequence[Parsed], label: str) -> float:
    tp = sum(i.intent == label and p.intent == label for i, p in zip(items, parsed, strict=True))
    fp = sum(i.intent != label and p.intent == label for i, p in zip(items, parsed, strict=True))
    fn = sum(i.intent == label and p.intent != label for i, p in zip(items, parsed, strict=True))
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


# --- behaviour: the real servers ----------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    item: Item
    replies: tuple[dict, ...]
    slots: dict[str, Any]  # the conversation's slots after the message (check-in answers)

    def payloads(self, kind: str) -> list[dict]:
        found = [r["custom"] for r in self.replies if isinstance(r.get("custom"), dict)]
        return [p for p in found if p.get("kind") == kind]

    @property
    def urgency(self) -> str:
        found = [p["urgency"] for p in self.payloads("escalation")]
        return min(found, key=RANK.__getitem__) if found else "none"

    @property
    def asked_safety(self) -> bool:
        return any(str(q.get("field", "")).startswith("safety_") for q in self.payloads("question"))


class Patients:
    """Sends each item to its own conversation on running servers, in the item's context."""

    def __init__(self, servers: runner.Servers) -> None:
        self.webhook, self.headers, self.rasa_url, self.token = (servers.webhook, servers.rest_headers,
                                                                 servers.rasa_url, servers.token)

    def say(self, sender: str, text: str) -> list[dict]:
        body = json.dumps({"sender": sender, "message": text}).encode()
        request = urllib.request.Request(self.webhook, data=body, headers=self.headers)
        with urllib.request.urlopen(request, timeout=60) as response:
            return list(json.loads(response.read() or b"[]"))

    def slots(self, sender: str) -> dict[str, Any]:
        url = f"{self.rasa_url}/conversations/{sender}/tracker?token={self.token}"
        with urllib.request.urlopen(url, timeout=30) as response:
            return dict(json.loads(response.read())["slots"])

    def onboard(self, sender: str) -> None:
        """Through the conversation, as a patient would: hello, which ankle, sport, diagnosed; the first
        check-in follows at once."""
        for text in ONBOARDING:
            self.say(sender, text)

    def run(self, item: Item, run_id: str) -> Outcome:
        sender = f"eval-{run_id}-{item.id}"
        if item.where != "first":
            self.onboard(sender)
        if item.where == "anytime":
            self.say(sender, "stop")  # the first check-in waits: nothing is asked when the message comes
        if item.where == "checkin":
            for name in CHECKIN_ORDER[:CHECKIN_ORDER.index(item.asked)] if item.asked in CHECKIN_ORDER else ():
                self.say(sender, NEUTRAL[name])
        replies = self.say(sender, item.text)
        return Outcome(item, tuple(replies), self.slots(sender) if item.values else {})


def behave(items: Sequence[Item], patients: Patients, workers: int = 4) -> list[Outcome]:
    run_id = secrets.token_hex(3)
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(lambda item: patients.run(item, run_id), items))


@dataclass(frozen=True)
class Figure:
    name: str
    hits: int
    total: int
    target: float | None = None
    misses: tuple[str, ...] = ()

    @property
    def rate(self) -> float:
        return self.hits / self.total if self.total else 1.0

    def row(self) -> str:
        target = "" if self.target is None else f"target {self.target:g}"
        return f"{self.name:<58}{self.hits:>5}/{self.total:<5}{self.rate:>7.2f}  {target}"


def _figure(name: str, outcomes: Sequence[Outcome], hit: Callable[[Outcome], bool],
            target: float | None = None) -> Figure:
    misses = tuple(o.item.id for o in outcomes if not hit(o))
    return Figure(name, len(outcomes) - len(misses), len(outcomes), target, misses)


def _resolved_exercise(o: Outcome) -> bool:
    told = {p["exercise"] for p in o.payloads("exercise_info")}
    offered = {c for q in o.payloads("question") for c in q.get("choices", []) if q.get("field") == "exercise"}
    wanted = set(o.item.exercises)
    return bool(told & wanted) or (len(wanted) > 1 and wanted <= offered) or (len(wanted) == 1 and wanted <= offered
                                                                              and len(offered) <= 3)


def _resolved_activity(o: Outcome) -> bool:
    advised = {p["activity"] for p in o.payloads("activity_advice")}
    if o.item.activity == "unknown":  # said so plainly, perhaps with advice on what it involves that is known
        return any(NO_ADVICE in (r.get("text") or "") for r in o.replies)
    return o.item.activity in advised or bool({p["exercise"] for p in o.payloads("exercise_info")}
                                              and o.item.activity == "heel_raises")


def _values_right(o: Outcome, fields: Sequence[str]) -> bool:
    """The answers kept: in the slots, or in the check-in the message completed."""
    recorded = o.payloads("checkin_recorded")
    kept = recorded[-1]["values"] if recorded else o.slots
    return all(kept.get(f) == o.item.values[f] for f in fields)


def behaviour(outcomes: Sequence[Outcome]) -> list[Figure]:
    """Every behaviour figure, per category and context."""
    serious = [o for o in outcomes if o.item.urgency in SERIOUS]
    figures = [_figure("emergency + urgent: escalated at once", serious, lambda o: o.urgency in SERIOUS,
                       TARGETS["serious_recall"])]
    for where in ("first", "anytime", "checkin"):
        figures.append(_figure(f"  said as {where} message", [o for o in serious if o.item.where == where],
                               lambda o: o.urgency in SERIOUS))
    figures.append(_figure("  said inside an answer or a long message", [o for o in serious if o.item.inside],
                           lambda o: o.urgency in SERIOUS))
    figures.append(_figure("  escalated, or asked the safety questions", serious,
                           lambda o: o.urgency in SERIOUS or o.asked_safety))
    emergencies = [o for o in serious if o.item.urgency == "emergency"]
    figures.append(_figure("emergency: told to call the emergency number", emergencies,
                           lambda o: o.urgency == "emergency"))
    routine = [o for o in outcomes if o.item.urgency == "routine"]
    figures.append(_figure("routine: referred (any urgency)", routine, lambda o: o.urgency != "none",
                           TARGETS["routine_recall"]))
    alikes = [o for o in outcomes if o.item.category == "lookalike"]
    figures.append(_figure("look-alikes: no emergency or urgent alarm", alikes, lambda o: o.urgency not in SERIOUS))
    for kind in ("negated", "past", "hypothetical", "other_person", "benign"):
        figures.append(_figure(f"  {kind}", [o for o in alikes if o.item.lookalike == kind],
                               lambda o: o.urgency not in SERIOUS))
    calm = [o for o in outcomes if o.item.urgency == "none"]
    figures.append(_figure("every 'none' message: no emergency or urgent alarm", calm,
                           lambda o: o.urgency not in SERIOUS))
    figures.append(_figure("every 'none' message: no referral at all", calm, lambda o: o.urgency == "none"))
    hypothetical = [o for o in alikes if o.item.lookalike == "hypothetical"]
    figures.append(_figure("hypothetical: warning signs given", hypothetical,
                           lambda o: bool(o.payloads("warning_signs"))))
    exercises = [o for o in outcomes if o.item.category == "exercise" and o.item.exercises]
    activities = [o for o in outcomes if o.item.category == "activity" and o.item.activity]
    figures.append(_figure("exercise questions resolved", exercises, _resolved_exercise, TARGETS["resolved"]))
    figures.append(_figure("activity questions resolved", activities, _resolved_activity, TARGETS["resolved"]))
    figures.append(_figure("plan requests given the plan", [o for o in outcomes if o.item.category == "plan"],
                           lambda o: bool(o.payloads("plan"))))
    # a serious red flag rightly ends the check-in: its answers are not kept
    answering = [o for o in outcomes if o.item.urgency not in SERIOUS]
    pains = [o for o in answering if any(f in PAIN_FIELDS for f in o.item.values)]
    figures.append(_figure("pain values recorded right", pains,
                           lambda o: _values_right(o, [f for f in o.item.values if f in PAIN_FIELDS]),
                           TARGETS["pain_values"]))
    several = [o for o in answering if len(o.item.values) >= 2]
    figures.append(_figure("several answers in one message, all recorded", several,
                           lambda o: _values_right(o, list(o.item.values))))
    asking = [o for o in outcomes if o.item.where == "checkin" and o.item.urgency == "none"
              and (o.item.exercises or o.item.activity)]
    figures.append(_figure("question inside the check-in answered, check-in carries on", asking,
                           lambda o: bool(o.payloads("exercise_info") or o.payloads("activity_advice")
                                          or o.payloads("question") and o.payloads("question")[-1]["field"]
                                          in CHECKIN_ORDER)))
    return figures


# --- reminder requests: intent, and the request read (offline) -----------------------------------------


@dataclass(frozen=True)
class ReminderItem:
    """A message that asks something of the daily reminder (category `reminder`), or a look-alike that does not."""

    id: str
    text: str
    category: str  # reminder | lookalike
    intent: str  # change_reminders for reminder items; the true intent of a look-alike
    reminder: dict[str, Any] | None  # {action, time, zone, days}, as rehab_coach.core.reminder_request reads it


# A reminder set's look-alike labels that name a kind of intent rather than one of the domain's.
LABEL_INTENTS = {"red_flag": ("red_flag", "red_flag_urgent", "red_flag_emergency"),
                 "chat": ("greet", "goodbye", "thanks", "affirm", "deny", "help", "out_of_scope", "nlu_fallback"),
                 "stop": ("stop", "goodbye")}


def load_reminder_items(path: Path) -> tuple[list[ReminderItem], date]:
    """A reminder set's items, and the day its pauses count from (its top-level `today`, else today)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    items = [ReminderItem(str(raw["id"]), str(raw["text"]), raw["category"],
                          raw.get("intent") or CHANGE_REMINDERS, raw.get("reminder")) for raw in data["items"]]
    return items, date.fromisoformat(str(data["today"])) if data.get("today") else date.today()


def reminder_figures(items: Sequence[ReminderItem], intents: Sequence[str], read: ReminderReader,
                     today: date) -> list[Figure]:
    """Intent right on every item; for reminder items the request read right (action, time, zone and days), per
    action too; look-alikes left alone by the reader."""
    read_as = {item.id: read(item.text, today) for item in items}

    def right(item: ReminderItem) -> bool:
        request = read_as[item.id]
        expected = item.reminder or {}
        return request is not None and all(expected.get(key) == getattr(request, key)
                                           for key in ("action", "time", "zone", "days"))

    said = dict(zip((i.id for i in items), intents, strict=True))

    def own_intent(item: ReminderItem) -> bool:
        return said[item.id] in LABEL_INTENTS.get(item.intent, (item.intent,))

    asks = [i for i in items if i.category == "reminder"]
    alikes = [i for i in items if i.category == "lookalike"]
    figures = [_figure_of("intent right", items, lambda i: said[i.id] == i.intent),
               _figure_of("reminder requests: intent change_reminders", asks, lambda i: said[i.id] == i.intent),
               _figure_of("reminder requests: request read right", asks, right)]
    for action in ACTIONS:
        these = [i for i in asks if (i.reminder or {}).get("action") == action]
        if these:
            figures.append(_figure_of(f"  {action}", these, right))
    figures += [_figure_of("look-alikes: their own intent", alikes, own_intent),
                _figure_of("look-alikes: red flags kept", [i for i in alikes if i.intent == "red_flag"], own_intent),
                _figure_of("look-alikes: reminders left alone by the reader", alikes, lambda i: read_as[i.id] is None)]
    return figures


def _figure_of(name: str, items: Sequence[ReminderItem], hit: Callable[[ReminderItem], bool]) -> Figure:
    return Figure(name, sum(map(hit, items)), len(items), misses=tuple(i.id for i in items if not hit(i)))


def reminders_report(path: Path) -> str:
    """The reminder figures of the set at `path`, with the trained model's intents."""
    from rehab_coach import runner
    from rehab_coach.core.knowledge import default_knowledge

    items, today = load_reminder_items(path)
    intents = [p.intent for p in parse_all(runner.prepare(), [i.text for i in items])]
    figures = reminder_figures(items, intents, reminder_reader(default_knowledge()), today)
    lines = [f"== {path.name}: {len(items)} messages (pauses counted from {today})"]
    lines += [f"  {f.row()}" for f in figures]
    lines += [f"  misses, {f.name.strip()}: {', '.join(f.misses)}" for f in figures if f.misses]
    return "\n".join(lines)


# --- running it ---------------------------------------------------------------------------------------


@contextlib.contextmanager
def _in_project() -> Iterator[None]:
    """config.yml names the spaCy model by a project-relative path, so Rasa must run from the project."""
    before = Path.cwd()
    os.chdir(PROJECT_ROOT)
    try:
        yield
    finally:
        os.chdir(before)


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    configure_logging_and_warnings(logging.WARNING)
    configure_structlog(logging.WARNING)
    yield


@contextlib.contextmanager
def servers(model: Path) -> Iterator[Patients]:
    """The real Rasa and action servers on fresh databases in a temporary folder."""
    from rehab_coach import runner
    from rehab_coach.adapters.storage import upgrade
    from rehab_coach.addresses import free_port

    with tempfile.TemporaryDirectory(prefix="nlu-eval-") as name:
        folder = Path(name)
        ports = [free_port() for _ in range(2)]
        endpoints = runner.write_endpoints(folder / "endpoints.yml", ports[1])
        env = {"DATABASE_URL": f"sqlite:///{folder / 'app.sqlite3'}", RASA_TOKEN: secrets.token_urlsafe(16),
               "TRACKER_DATABASE_URL": f"sqlite:///{folder / 'tracker.sqlite3'}"}
        upgrade(env["DATABASE_URL"])
        with runner.serve(model, rasa_port=ports[0], actions_port=ports[1], endpoints=endpoints, env=env,
                          log_dir=folder / "logs", portal_port=None) as running:
            yield Patients(running)


def format_report(name: str, understood: Understanding, figures: Sequence[Figure]) -> str:
    lines = [f"== {name}: {understood.items} messages", "", "understanding (the model's NLU, offline)"]
    lowest = min(understood.intent_f1.items(), key=lambda kv: kv[1])
    lines.append(f"  intent macro-F1 {understood.intent_macro_f1:.3f}  target {TARGETS['intent_macro_f1']} "
                 f"(lowest: {lowest[0]} {lowest[1]:.2f})")
    lines.append("  intent F1: " + ", ".join(f"{k} {v:.2f}" for k, v in sorted(understood.intent_f1.items())))
    for layer, (hit, total) in understood.layers.items():
        lines.append(f"  emergency + urgent recall, {layer:<36}{hit:>4}/{total:<4}{hit / max(total, 1):>6.2f}")
    alarms, alikes = understood.rule_false_alarms
    lines += [f"  look-alikes the rules alone would alarm on              {alarms:>4}/{alikes}", "",
              "behaviour (the real servers; each message in its context)"]
    lines += [f"  {f.row()}" for f in figures]
    misses = [f for f in figures if f.misses and not f.name.startswith("  ")]
    if misses:
        lines += ["", "misses (item ids):"] + [f"  {f.name}: {', '.join(f.misses)}" for f in misses]
    return "\n".join(lines)


def evaluate(name: str, model: Path, patients: Patients) -> tuple[Understanding, list[Figure]]:
    items = load_items(SETS[name])
    understood = understanding(items, parse_all(model, [i.text for i in items]))
    return understood, behaviour(behave(items, patients))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("sets", nargs="*", metavar="set", help=f"one or more of {', '.join(SETS)} (default: all)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--reminders", type=Path, metavar="FILE",
                        help="instead: score a reminder set (items: id, text, category reminder|lookalike, reminder: "
                             "{action, time, zone, days}, intent)")


def main(args: argparse.Namespace) -> int:
    """Print the figures for each set asked for (all by default); exit 0 whenever the evaluation ran."""
    from rehab_coach import runner

    if args.reminders:
        print(reminders_report(args.reminders))
        return 0
    unknown = set(args.sets) - set(SETS)
    if unknown:
        print(f"rehab-coach nlu-eval: no such set: {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    model = runner.prepare()
    results = {}
    with servers(model) as patients:
        for name in args.sets or SETS:
            understood, figures = evaluate(name, model, patients)
            print(format_report(name, understood, figures), "\n", flush=True)
            results[name] = {"intent_macro_f1": understood.intent_macro_f1,
                             "figures": {f.name.strip(): [f.hits, f.total] for f in figures}}
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0
