"""`./coach portal-bench`: the clinician portal with 10,000 patients x 365 days of check-ins.

Seeds a throwaway SQLite database, starts the portal (uvicorn, in this process) and times, over HTTP,
the patient list, one patient's page, a full CSV export of every check-in and a FHIR export of every
patient, with how much the process's memory grew meanwhile, to show the exports stream.
"""

from __future__ import annotations

import json
import random
import statistics
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import insert

from rehab_coach.adapters.storage import make_engine, upgrade
from rehab_coach.adapters.storage.tables import CheckinRow, EscalationRow, MeasureResponseRow, PatientRow, PlanRow

TODAY = date(2026, 11, 1)
BATCH = 20_000


def seed(url: str, patients: int, days: int, seed_value: int = 7) -> int:
    """Patients with a check-in every day, 3% with an open escalation; the id of one whose plans and weekly PSFS are
    all kept."""
    rng = random.Random(seed_value)
    engine = make_engine(url)
    start = TODAY - timedelta(days=days - 1)
    with engine.begin() as connection:
        connection.execute(insert(PatientRow), [
            {"id": n, "channel": "socketio", "sender_id": f"web-bench-{n}", "label": f"P{n:05d}",
             "enrolled_on": start, "side": "left", "sport": "dance", "diagnosed": True,
             "phase_number": rng.randint(1, 5)} for n in range(1, patients + 1)])
        rows = []
        for patient in range(1, patients + 1):
            for offset in range(days):
                pain = rng.randint(0, 6)
                rows.append({"patient_id": patient, "day": start + timedelta(days=offset), "pain_rest": pain // 2,
                             "pain_exercise": pain, "pain_morning": pain // 2, "swelling": "none",
                             "mechanical": "none", "adherence": rng.choice(("all", "all", "some", "none")),
                             "day_class": "green" if pain < 4 else "amber" if pain < 6 else "red"})
            if len(rows) >= BATCH:
                connection.execute(insert(CheckinRow), rows)
                rows = []
        if rows:
            connection.execute(insert(CheckinRow), rows)
        now = datetime.now(timezone.utc)
        connection.execute(insert(EscalationRow), [
            {"patient_id": n, "created_at": now, "urgency": rng.choice(("urgent", "routine")),
             "reasons": ["seeded"], "triggers": [], "message": "seeded"} for n in rng.sample(range(1, patients + 1),
                                                                                          patients * 3 // 100)])
        shown = patients // 2
        connection.execute(insert(PlanRow), [
            {"patient_id": shown, "day": start + timedelta(days=offset), "phase_number": 1, "status": "hold",
             "payload": {"kind": "plan", "exercises": [{"id": "calf_stretch_step", "name": "Calf stretch"}] * 12,
                         "avoid": ["running", "jumping"], "reasons": ["seeded"]}} for offset in range(days)])
        connection.execute(insert(MeasureResponseRow), [
            {"patient_id": shown, "measure": "psfs", "day": start + timedelta(days=offset),
             "items": ["relevé", "jumps", "pointe"], "answers": [3, 4, 5], "score": 4.0}
            for offset in range(0, days, 7)])
    engine.dispose()
    return shown


def _median_ms(fetch: Callable[[], bytes], times: int = 5) -> float:
    fetch()  # warm up
    samples = []
    for _ in range(times):
        started = time.perf_counter()
        fetch()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def main(patients: int = 10_000, days: int = 365) -> int:
    import uvicorn

    from rehab_coach.adapters.storage.clinic import Clinic
    from rehab_coach.addresses import RASA_URL
    from rehab_coach.portal.app import create_app
    from rehab_coach.services.accounts import hash_password

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        upgrade(url)
        started = time.perf_counter()
        shown = seed(url, patients, days)
        print(f"seeded {patients:,} patients x {days} days = {patients * days:,} check-ins "
              f"in {time.perf_counter() - started:.0f} s")
        Clinic(make_engine(url)).add_clinician("bench", hash_password("bench-password-123"))
        app = create_app(url, f"sqlite:///{Path(folder) / 'tracker.sqlite3'}", RASA_URL)
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", ws="none"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("the portal did not start")
            time.sleep(0.05)
        base = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        _log_in(opener, base)

        def get(path: str) -> bytes:
            with opener.open(f"{base}{path}") as response:
                return response.read()

        list_ms = _median_ms(lambda: get("/"))
        page_ms = _median_ms(lambda: get(f"/patients/{shown}"))
        export_s, size, grew = _streamed(opener, f"{base}/api/exports/checkins?format=csv")
        started = time.perf_counter()
        bundle = json.loads(get(f"/api/patients/{shown}/fhir"))
        bundle_s = time.perf_counter() - started
        fhir_s, fhir_size, fhir_grew = _streamed(opener, f"{base}/api/exports/fhir")
        server.should_exit = True
        thread.join(timeout=10)
    counts = Counter(entry["resource"]["resourceType"] for entry in bundle["entry"])
    print(f"patient list (first page of {patients:,}):   {list_ms:6.0f} ms median  (target < 300 ms)")
    print(f"patient page ({days} check-ins and plans): {page_ms:6.0f} ms median  (target < 300 ms)")
    print(f"CSV export of all check-ins: {size / 1e6:.0f} MB in {export_s:.1f} s "
          f"({patients * days / export_s:,.0f} rows/s); the process grew by at most {grew / 1e6:.0f} MB while "
          "streaming it")
    print(f"FHIR Bundle of the patient with {days} days of check-ins and plans and a PSFS a week: "
          f"{sum(counts.values()):,} resources "
          f"({', '.join(f'{n:,} {kind}' for kind, n in counts.most_common())}) in {bundle_s:.1f} s")
    print(f"FHIR export of every patient (a Bundle a line): {fhir_size / 1e6:,.0f} MB in {fhir_s:.0f} s "
          f"({patients / fhir_s:,.1f} patients/s); the process grew by at most {fhir_grew / 1e6:.0f} MB")
    return 0


def _streamed(opener: urllib.request.OpenerDirector, url: str) -> tuple[float, int, int]:
    """Download `url`: the seconds it took, its size, and how much this process's memory grew meanwhile."""
    baseline, done = _rss(), threading.Event()
    samples: list[int] = []
    sampler = threading.Thread(target=_watch_rss, args=(samples, done), daemon=True)
    started, size = time.perf_counter(), 0
    sampler.start()
    with opener.open(url) as response:
        while chunk := response.read(1 << 16):
            size += len(chunk)
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    return seconds, size, max(0, max(samples, default=baseline) - baseline)


def _rss() -> int:
    """This process's resident memory in bytes (Linux)."""
    return int(Path("/proc/self/statm").read_text().split()[1]) * 4096


def _watch_rss(samples: list[int], done: threading.Event) -> None:
    """Sample the resident memory every 50 ms until `done` is set."""
    while not done.wait(0.05):
        samples.append(_rss())


def _log_in(opener: urllib.request.OpenerDirector, base: str) -> None:
    """Log in through the login form, CSRF token and all, like a browser."""
    import re

    with opener.open(f"{base}/login") as response:
        found = re.search(r'name="csrf_token" value="([^"]+)"', response.read().decode())
    form = {"username": "bench", "password": "bench-password-123", **({"csrf_token": found[1]} if found else {})}
    with opener.open(f"{base}/login", data=urlencode(form).encode()) as response:
        response.read()
