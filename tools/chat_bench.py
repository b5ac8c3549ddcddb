"""Conversation benchmark (`./coach chat-bench`): the real servers over REST, against a stock bot.

Prints turn latency (p50/p95/p99), throughput, errors, check-ins stored vs submitted and peak
memory for one patient and for 20 concurrent patients, and what the request checks (tokens, tracker
validation) cost per turn against the median turn; then builds a stock `rasa init` bot in a
temporary folder, replays the same load shape on it and prints the throughput ratio; and times a
full `rasa train --force` of the coach. Figures only: nothing is asserted.
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


def coach_script(days: int) -> Callable[[str], list[tuple[str, datetime | None]]]:
    start = datetime(2026, 3, 2, 8, 0)

    def script(sender: str) -> list[tuple[str, datetime | None]]:
        turns: list[tuple[str, datetime | None]] = [(text, start) for text in ONBOARDING + CHECKIN[1:]]
        # (onboarding flows straight into the first check-in)
        for day in range(1, days):
            turns += [(text, start + timedelta(days=day)) for text in CHECKIN]
        return turns

    return script


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
    endpoints = runner.write_endpoints(folder / "endpoints.yml", actions_port, folder / "tracker.sqlite3")
    env = {"DATABASE_URL": database, "COACH_SIMULATED_CLOCK": "1", RASA_TOKEN: secrets.token_urlsafe(16)}
    with runner.serve(model, rasa_port=free_port(), actions_port=actions_port, endpoints=endpoints, env=env,
                      log_dir=folder / "logs", portal_port=None) as running:
        yield running


def measure_coach(folder: Path) -> float:
    with coach_servers(folder) as running:
        single = replay(running.webhook, running.rest_headers, 1, coach_script(3), prefix="single")
        report("coach, 1 patient, 3 days", single)
        days, patients = 2, 20
        load = replay(running.webhook, running.rest_headers, patients, coach_script(days), prefix="crowd")
        report(f"coach, {patients} concurrent patients", load)
        print(f"check-ins stored {stored_checkins(folder / 'app.sqlite3', 'crowd-%')} of {patients * days} submitted")
        checks_cost(running, "crowd-0", statistics.median(single.latencies))
        memory = [peak_memory_mb(process.pid) for process in running.processes]
        print(f"peak memory: action server {memory[0]:.0f} MB, Rasa server {memory[1]:.0f} MB")
    return len(load.latencies) / load.seconds


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


def measure_stock(folder: Path) -> float:
    """The stock bot under the same 20-patient load shape."""
    with stock_bot(folder) as (url, pid):
        turns = len(ONBOARDING) + len(CHECKIN) * 2 - 1
        load = replay(url, {"Content-Type": "application/json"}, 20,
                      lambda sender: [(STOCK_TURNS[i % len(STOCK_TURNS)], None) for i in range(turns)])
        report("stock rasa init bot, 20 patients", load)
        print(f"peak memory: stock Rasa server {peak_memory_mb(pid):.0f} MB")
    return len(load.latencies) / load.seconds


def time_training() -> None:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as out:
        runner.train(force=True, out=Path(out))
    print(f"full rasa train --force: {time.perf_counter() - started:.0f} s (target <= 120 s)")


def main() -> int:
    folder = Path(tempfile.mkdtemp(prefix="coach-bench-"))
    try:
        coach = measure_coach(folder)
        stock = measure_stock(folder)
        print(f"throughput ratio coach / stock bot: {coach / stock:.2f}x (target >= 1.0x)")
        time_training()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0
