"""`./coach load --profile single|cluster --patients 200 --minutes 5`: start the profile on throwaway databases
(the simulated clock on), drive the patients of rehab_coach/load_patients.py at it with Locust (over REST and the
web chat, with a chat link's token each), then print
turns/s, the latency percentiles, the errors, and what the patients were told against what the databases hold:
check-ins acknowledged vs stored, escalations given vs stored."""

from __future__ import annotations

import csv
import json
import secrets
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

from rehab_coach import cluster, runner
from rehab_coach.adapters.storage import Store, make_engine
from rehab_coach.addresses import free_port
from rehab_coach.paths import PROJECT_ROOT
from rehab_coach.services.chat_links import KEY_NAME, enrol, issue
from rehab_coach.settings import ACTIONS_TOKEN, RASA_TOKEN, REDIS_PASSWORD, REST_TOKEN


@contextmanager
def _started(profile: str, model: Path, folder: Path, env: dict[str, str]) -> Iterator[tuple[runner.Servers, str]]:
    """The profile's front door, and its app database."""
    if profile == "cluster":
        with cluster.cluster(model, env=env, log_dir=folder / "logs", rasa_port=free_port(), actions_port=free_port(),
                             portal_port=None) as started:
            yield started.front, started.environment["DATABASE_URL"]
        return
    env.update(DATABASE_URL=f"sqlite:///{folder / 'app.sqlite3'}",
               TRACKER_DATABASE_URL=f"sqlite:///{folder / 'tracker.sqlite3'}")
    actions_port = free_port()
    with runner.serve(model, rasa_port=free_port(), actions_port=actions_port, env=env, log_dir=folder / "logs",
                      endpoints=runner.write_endpoints(folder / "endpoints.yml", actions_port),
                      portal_port=None) as servers:
        yield servers, env["DATABASE_URL"]


def main(profile: str, patients: int, minutes: float) -> int:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # so that the servers stop with it
    model = runner.prepare()
    folder = Path(tempfile.mkdtemp(prefix=f"rehab-load-{profile}."))
    env = {"COACH_SIMULATED_CLOCK": "1",
           **{name: secrets.token_urlsafe(32) for name in (RASA_TOKEN, ACTIONS_TOKEN, REST_TOKEN, KEY_NAME,
                                                          REDIS_PASSWORD)}}
    print(f"  {profile}: starting ...", flush=True)
    with _started(profile, model, folder, env) as (servers, database):
        print(f"  {patients} patients for {minutes:g} min at {servers.rasa_url} ...", flush=True)
        counts_file, tokens = folder / "counts.json", folder / "web-tokens"
        store = Store(make_engine(database))
        tokens.touch(mode=0o600)  # chat-link tokens: a patient's key to their conversation
        now = datetime.now(timezone.utc)
        tokens.write_text("\n".join(issue(enrol(store, now.date()).sender_id, env[KEY_NAME], now, timedelta(days=1))
                                    for _ in range(patients)))
        subprocess.run(
            [sys.executable, "-m", "locust", "-f", str(PROJECT_ROOT / "rehab_coach" / "load_patients.py"), "--headless",
             "-u", str(patients), "-r", str(max(1, patients // 30)), "-t", f"{int(minutes * 60)}s",
             "--host", servers.rasa_url, "--csv", str(folder / "locust"), "--only-summary", "--stop-timeout", "60"],
            env={**env, "LOAD_REST_TOKEN": servers.rest_token, "LOAD_COUNTS": str(counts_file),
                 "LOAD_WEB_TOKENS": str(tokens)},
            stdout=(folder / "locust.log").open("w"), stderr=subprocess.STDOUT, check=False)
        if not counts_file.exists():
            print(f"Locust stopped before the end; its log: {folder / 'locust.log'}", file=sys.stderr)
            return 1
        told = json.loads(counts_file.read_text())
        stored_checkins = stored_escalations = 0
        for channel, sender in told["patients"]:
            patient = store.find_patient(channel, sender)
            if patient is not None:
                stored_checkins += len(store.checkins(patient.id))
                stored_escalations += sum(e.escalation.urgency in ("emergency", "urgent")
                                          for e in store.escalations(patient.id))
    with (folder / "locust_stats.csv").open() as stats:
        total = next(row for row in csv.DictReader(stats) if row["Name"] == "Aggregated")
    counts = told["counts"]
    print(f"\n{profile}: {patients} patients, {minutes:g} min\n"
          f"  turns/s {float(total['Requests/s']):.1f}   p50 {total['50%']} ms   p95 {total['95%']} ms   "
          f"p99 {total['99%']} ms   turns {total['Request Count']}   errors {total['Failure Count']}\n"
          f"  check-ins acknowledged {counts.get('checkins_acknowledged', 0)}, stored {stored_checkins}\n"
          f"  escalations given {counts.get('escalations_given', 0)}, stored {stored_escalations}\n"
          f"  (Locust's log and figures: {folder})")
    return 0
