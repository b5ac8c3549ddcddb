"""Benchmark figures for the engine and storage (`./coach bench`). Prints; asserts nothing."""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from rehab_coach.adapters.nlp import read
from rehab_coach.adapters.storage import Store, make_engine, upgrade
from rehab_coach.bootstrap import reminder_defaults
from rehab_coach.core import engine
from rehab_coach.core.knowledge import default_knowledge
from rehab_coach.core.model import ADHERENCE, CheckIn, Patient
from rehab_coach.core.redflags import detector_for
from rehab_coach.core.triage import triage
from rehab_coach.services.coach import Coach

START = date(2025, 1, 1)
TARGETS_MS = {"plan": 3.0, "store": 10.0}


def year_of_checkins(seed: int = 7) -> list[CheckIn]:
    """365 daily check-ins: mostly quiet days with some amber and red ones, as a real course has."""
    rng = random.Random(seed)
    checkins = []
    for offset in range(365):
        bad = rng.random() < 0.12
        checkins.append(CheckIn(
            START + timedelta(days=offset),
            rng.randint(0, 6 if bad else 3), rng.randint(0, 8 if bad else 3), rng.randint(0, 5 if bad else 2),
            "none" if not bad else rng.choice(["mild", "marked"]), "none", rng.choice(ADHERENCE),
        ))
    return checkins


def timed(action: Callable[[], object], repeats: int) -> list[float]:
    """Milliseconds per call, after one warm-up call."""
    action()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return times


def report(name: str, times: list[float], target: float | None = None) -> None:
    median = statistics.median(times)
    p95 = sorted(times)[int(len(times) * 0.95) - 1]
    verdict = "" if target is None else f"  target < {target:g} ms: {'met' if median < target else 'MISSED'}"
    print(f"{name:<52} median {median:7.2f} ms  p95 {p95:7.2f} ms  (n={len(times)}){verdict}")


def main() -> int:
    knowledge = default_knowledge()
    history = year_of_checkins()
    patient = Patient(enrolled=START)
    today = history[-1].day
    report("plan_for_today, 365 days of history", timed(
        lambda: engine.plan_for_today(patient, history, today, knowledge), 200), TARGETS_MS["plan"])
    report("triage of history (referral rules), 365 days", timed(
        lambda: triage(history=history, knowledge=knowledge), 100))
    message = "I think my calf is a bit swollen after class but there's no numbness or tingling"
    detector = detector_for(knowledge, read)
    report("red flags in one message (read + detect + triage)", timed(
        lambda: triage(detector.find_text(message, today), knowledge=knowledge), 500))

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        upgrade(url)
        db = make_engine(url)
        store = Store(db)
        coach = Coach(store, knowledge, read, reminder_defaults())
        record = store.patient("bench", "patient", START)
        days = iter(history)
        report("store one check-in on SQLite (save_checkin)", timed(
            lambda: store.save_checkin(record.id, next(days), "green"), 200), TARGETS_MS["store"])
        other = store.patient("bench", "other", START)
        now = datetime(2025, 1, 1, tzinfo=timezone.utc)
        offsets = iter(range(365))

        def check_in_and_plan() -> None:
            day = START + timedelta(days=next(offsets))
            recorded = coach.record_checkin(other, {"pain_rest": 1, "pain_exercise": 2, "pain_morning": 1,
                                                    "swelling": "none", "mechanical": "none", "adherence": "all"}, day)
            coach.plan_for_today(other, day, recorded.course)
            coach.triage(other, now, "all fine today", course=recorded.course)

        report("full check-in turn on SQLite (record, plan, triage)", timed(check_in_and_plan, 200))
        db.dispose()
    return 0
