"""Conversation benchmark (`./coach chat-bench`): the real servers over REST, in a fair race against a stock bot.

Serves the coach and a stock `rasa init` bot (built in a temporary folder) side by side and sends both the same three
message mixes: the check-in mix, an everyday-questions mix and the stock bot's own mood mix. Every patient first goes
through the coach's onboarding and first check-in, untimed and the same texts to both bots, so every mix times the
same kind of turn. For each mix the bots take turns, round after round (coach, stock, coach, stock, ...), each round
timing one patient alone and then 20 concurrent patients: prints each run's latency (p50/p95/p99), throughput and
errors, each side's best and median over the rounds with the coach/stock ratios, and a summary against issue 13's
targets. Then the check-ins stored vs submitted, what the request checks (tokens, tracker validation) cost per turn
against the median turn, peak memory, and a full `rasa train --force` of the coach. Figures only: nothing is asserted.
"""

from __future__ import annotations

import hmac
import json
import secrets
import shutil
import sqlite3
import statistics
import subprocess
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from rehab_coach import runner
from rehab_coach.adapters.storage import upgrade
from rehab_coach.addresses import free_port
from rehab_coach.settings import RASA_TOKEN

CHECKIN = ["check in", "about a 1", "2 out of 10", "1", "no swelling", "nothing like that", "did all of it"]
ONBOARDING = ["hi", "left", "running", "yes"]
STOCK_TURNS = ["hello", "I am sad", "yes", "great", "bye", "hi", "very good", "no", "goodbye"]
# Everyday questions in a patient's own words: the plan, an exercise, running, dancing, progress, warning signs, thanks.
EVERYDAY = ["what have I got to do today?", "how do I do the calf stretch on the step?", "am I ok to go for a jog?",
            "can I go dancing on saturday?", "how am I getting on?", "what signs should I look out for?", "thanks!"]
MIXES = {"check-in": CHECKIN, "everyday": EVERYDAY, "mood": STOCK_TURNS}
PATIENTS = 20
START = datetime(2026, 3, 2, 8, 0)
# Untimed, before a mix: onboarding, which flows straight into the first check-in.
WARM_UP: list[tuple[str, datetime | None]] = [(text, START) for text in ONBOARDING + CHECKIN[1:]]
TURN_TARGET_MS = 40.0


@dataclass
class Load:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, milliseconds: float | None) -> None:
        with self.lock:
            if milliseconds is None:
                self.errors += 1
            else:
                self.latencies.append(milliseconds)


def turn(url: str, headers: dict[str, str], sender: str, text: str, now: datetime | None,
         load: Load) -> float | None:
    """One message over REST, recorded in `load`: its latency in ms, or None when it failed."""
    body = {"sender": sender, "message": text, **({"metadata": {"now": now.isoformat()}} if now else {})}
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers)
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            json.loads(response.read())
            ok = response.status == 200
    except OSError:
        ok = False
    milliseconds = (time.perf_counter() - started) * 1000 if ok else None
    load.record(milliseconds)
    return milliseconds


def replay(url: str, headers: dict[str, str], patients: int,
           script: Callable[[str], list[tuple[str, datetime | None]]], prefix: str = "bench") -> Load:
    """Each patient sends its script's turns one after another; patients run concurrently."""
    load = Load()

    def patient(index: int) -> None:
        sender = f"{prefix}-{index}"
        for text, now in script(sender):
            turn(url, headers, sender, text, now, load)

    threads = [threading.Thread(target=patient, args=(i,)) for i in range(patients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    load.seconds = time.perf_counter() - started
    return load


def mix_turns(texts: list[str]) -> list[tuple[str, datetime | None]]:
    """The mix once, on the day after the warm-up, two simulated minutes apart (the stock bot ignores the clock)."""
    return [(text, START + timedelta(days=1, minutes=2 * i)) for i, text in enumerate(texts)]


def peak_memory_mb(pid: int) -> float:
    """Peak resident memory (VmHWM) of a process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def report(name: str, load: Load) -> None:
    ordered = sorted(load.latencies) or [0.0]

    def percentile(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(len(ordered) * p))]

    throughput = len(load.latencies) / load.seconds
    print(f"{name:<34} turns {len(load.latencies):5d}  errors {load.errors:3d}  "
          f"p50 {statistics.median(ordered):7.1f} ms  p95 {percentile(0.95):7.1f} ms  p99 {percentile(0.99):7.1f} ms  "
          f"throughput {throughput:6.1f}/s")


@contextmanager
def coach_servers(folder: Path) -> Iterator[runner.Servers]:
    """The coach's Rasa and action servers on free ports, a fresh database in `folder`, the simulated clock."""
    model = runner.prepare()
    database = f"sqlite:///{folder / 'app.sqlite3'}"
    upgrade(database)
    actions_port = free_port()
    endpoints = runner.write_endpoints(folder / "endpoints.yml", actions_port)
    env = {"DATABASE_URL": database, "COACH_SIMULATED_CLOCK": "1", RASA_TOKEN: secrets.token_urlsafe(16),
           "TRACKER_DATABASE_URL": f"sqlite:///{folder / 'tracker.sqlite3'}"}
    with runner.serve(model, rasa_port=free_port(), actions_port=actions_port, endpoints=endpoints, env=env,
                      log_dir=folder / "logs", portal_port=None) as running:
        yield running


@dataclass(frozen=True)
class Bot:
    name: str
    url: str
    headers: dict[str, str]


@dataclass
class Race:
    """One mix's figures, one a round for each bot: one patient's median turn (ms) and 20 patients' turns/s."""
    turn_ms: dict[str, list[float]] = field(default_factory=lambda: {"coach": [], "stock": []})
    per_second: dict[str, list[float]] = field(default_factory=lambda: {"coach": [], "stock": []})

    def run(self, bot: Bot, texts: list[str], prefix: str) -> None:
        """One patient alone, then PATIENTS at once, each warmed up first (untimed)."""
        loads = []
        for patients in (1, PATIENTS):
            replay(bot.url, bot.headers, patients, lambda _: WARM_UP, f"{prefix}-{patients}")
            loads.append(replay(bot.url, bot.headers, patients, lambda _: mix_turns(texts), f"{prefix}-{patients}"))
            report(f"  {bot.name}, {patients} patient{'s' if patients > 1 else ''}", loads[-1])
        self.turn_ms[bot.name].append(statistics.median(loads[0].latencies))
        self.per_second[bot.name].append(len(loads[1].latencies) / loads[1].seconds)


def best(values: list[float], lower_is_better: bool) -> float:
    return min(values) if lower_is_better else max(values)


def ratios(figures: dict[str, list[float]], lower_is_better: bool) -> tuple[float, float]:
    """Coach over stock: of the two sides' bests, and of their medians over the rounds."""
    coach, stock = figures["coach"], figures["stock"]
    return (best(coach, lower_is_better) / best(stock, lower_is_better),
            statistics.median(coach) / statistics.median(stock))


def compare(race: Race) -> None:
    for what, figures, lower in (("one patient's median turn (ms)", race.turn_ms, True),
                                 (f"{PATIENTS} patients' turns/s", race.per_second, False)):
        sides = "; ".join(f"{side} best {best(values, lower):.1f}, median {statistics.median(values):.1f}"
                          for side, values in figures.items())
        by_best, by_median = ratios(figures, lower)
        print(f"  {what}: {sides}; coach/stock {by_best:.2f}x of bests, {by_median:.2f}x of medians")


def summary(races: dict[str, Race]) -> list[tuple[str, str, str, str]]:
    """Issue 13's targets: what, target, figure (best / median over the rounds), met or missed (by the median)."""
    rows = []
    for mix, race in races.items():
        ms = statistics.median(race.turn_ms["coach"])
        rows.append((f"one patient's median turn, {mix} mix", f"<= {TURN_TARGET_MS:.0f} ms",
                     f"{min(race.turn_ms['coach']):.1f} / {ms:.1f} ms", "met" if ms <= TURN_TARGET_MS else "missed"))
    for mix, target in [*((mix, 1.0) for mix in races), ("check-in", 1.5)]:
        by_best, by_median = ratios(races[mix].per_second, lower_is_better=False)
        rows.append((f"{PATIENTS} concurrent patients, {mix} mix", f">= {target:.1f}x stock",
                     f"{by_best:.2f}x / {by_median:.2f}x", "met" if by_median >= target else "missed"))
    rows.append(("per-turn median, turns 120-139 over 0-19", "<= 1.2x", "see ./coach turn-curve", ""))
    return rows


def checks_cost(servers: runner.Servers, sender: str, median_ms: float, repeats: int = 2000) -> None:
    """The authentication and request checks on one turn's calls, timed on a real late-in-the-day tracker: the
    REST channel's token check and body check, and the action server's token check and tracker check for each
    of the turn's action calls (the JSON parse is not counted: rasa_sdk reuses it)."""
    from rehab_coach.rasa import action_server, channels

    url = f"{servers.rasa_url}/conversations/{sender}/tracker?token={servers.token}"
    with urllib.request.urlopen(url, timeout=30) as response:
        tracker = json.loads(response.read())
    call = {"next_action": "action_plan", "tracker": tracker, "domain": {}, "version": "3.6.21"}
    body = {"sender": sender, "message": "what is my plan today?"}
    header, expected = f"Bearer {servers.rest_token}".encode(), f"Bearer {servers.rest_token}".encode()
    calls_per_turn = 3  # an upper bound: a turn runs one to three of the coach's actions
    started = time.perf_counter()
    for _ in range(repeats):
        hmac.compare_digest(header, expected)
        channels.problem_with(body)
        for _ in range(calls_per_turn):
            hmac.compare_digest(header, expected)
            action_server.problem_with(call)
    per_turn_ms = (time.perf_counter() - started) * 1000 / repeats
    print(f"request checks: {per_turn_ms * 1000:.0f} us per turn ({len(tracker['events'])} events in the tracker, "
          f"{calls_per_turn} action calls) = {100 * per_turn_ms / median_ms:.2f}% of one patient's median turn "
          f"{median_ms:.0f} ms (target < 2%)")


def stored_checkins(database: Path, senders: str) -> int:
    with sqlite3.connect(database) as connection:
        query = ("SELECT COUNT(*) FROM checkins JOIN patients ON patients.id = checkins.patient_id "
                 "WHERE sender_id LIKE ?")
        return int(connection.execute(query, (senders,)).fetchone()[0])


@contextmanager
def stock_bot(folder: Path) -> Iterator[tuple[str, int]]:
    """A stock `rasa init` bot, built in `folder` and served: its REST webhook and the server's pid."""
    project = folder / "stock"
    if not project.exists():
        project.mkdir()
        subprocess.run(runner.rasa("init", "--no-prompt", "--init-dir", str(project)), check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    model = runner.newest_model(project / "models")
    port = free_port()
    command = runner.rasa("run", "--model", str(model), "--port", str(port), "--interface", "127.0.0.1")
    process = subprocess.Popen(command, cwd=project, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 300
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        yield f"http://127.0.0.1:{port}/webhooks/rest/webhook", process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)


def time_training() -> None:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as out:
        runner.train(force=True, out=Path(out))
    print(f"full rasa train --force: {time.perf_counter() - started:.0f} s (target <= 120 s)")


def main(rounds: int = 2) -> int:
    folder = Path(tempfile.mkdtemp(prefix="coach-bench-"))
    try:
        with coach_servers(folder) as coach, stock_bot(folder) as (stock_url, stock_pid):
            started = time.monotonic()
            bots = (Bot("coach", coach.webhook, coach.rest_headers),
                    Bot("stock", stock_url, {"Content-Type": "application/json"}))
            races: dict[str, Race] = {}
            for mix, texts in MIXES.items():
                print(f"{mix} mix, {len(texts)} turns a patient after the warm-up, {rounds} rounds:")
                race = races[mix] = Race()
                for index in range(rounds):
                    for bot in bots:
                        race.run(bot, texts, f"{mix}-{bot.name}-{index}")
                compare(race)
            submitted = rounds * (1 + PATIENTS) * 2
            print(f"check-ins stored {stored_checkins(folder / 'app.sqlite3', 'check-in-coach-%')} of {submitted} "
                  "submitted (check-in mix)")
            checks_cost(coach, f"check-in-coach-{rounds - 1}-{PATIENTS}-0",
                        statistics.median(races["check-in"].turn_ms["coach"]))
            memory = [peak_memory_mb(process.pid) for process in coach.processes]
            print(f"peak memory: action server {memory[0]:.0f} MB, Rasa server {memory[1]:.0f} MB, "
                  f"stock Rasa server {peak_memory_mb(stock_pid):.0f} MB")
            print(f"the race, every mix and round: {time.monotonic() - started:.0f} s")
        print("\nsummary (figure: best / median over the rounds; met or missed by the median)")
        for row in summary(races):
            print("  {:<46} {:<15} {:<24} {}".format(*row))
        time_training()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0
