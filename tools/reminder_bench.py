"""`./coach reminder-bench`: the reminder scheduler with 10,000 due patients.

Seeds a throwaway SQLite database with onboarded patients in three time zones whose reminders are all due, then
times one round of the real scheduler (its queries, one claim and one mark per patient) through a fake provider:
Rasa's HTTP API with the HTTP call replaced by a counter, so the figures are the scheduler's own cost. Then a round
with nothing left to send: what every 30-second tick costs. Figures only.
"""

from __future__ import annotations

import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from rehab_coach.adapters.rasa_api import RasaApi
from rehab_coach.adapters.storage import make_engine, upgrade
from rehab_coach.adapters.storage.reminders import ReminderStore
from rehab_coach.adapters.storage.tables import CheckinRow, PatientRow
from rehab_coach.core.knowledge import default_knowledge
from rehab_coach.services.reminders import Scheduler

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=timezone.utc)
ZONES = ("UTC", "Europe/London", "Europe/Berlin")  # 12:00 UTC is past 09:00 in each


class CountingRasa(RasaApi):
    """The provider, faked: counts the reminders instead of posting them."""

    def __init__(self) -> None:
        super().__init__("http://127.0.0.1:9", "bench")
        self.calls = 0

    def _call(self, method: str, sender_id: str, path: str, body: Any, **params: str) -> None:
        self.calls += 1


def seed(url: str, patients: int) -> None:
    """Patients enrolled a week ago, each with a check-in from one to six days ago (a sixth of them gentle)."""
    today = NOW.date()
    with make_engine(url).begin() as connection:
        connection.execute(insert(PatientRow), [
            {"id": n, "channel": "socketio", "sender_id": f"web-bench-{n}", "enrolled_on": today - timedelta(days=7),
             "side": "left", "sport": "dance", "diagnosed": True, "phase_number": 1, "timezone": ZONES[n % 3],
             "reminder_time": None if n % 2 else "08:30"} for n in range(1, patients + 1)])
        connection.execute(insert(CheckinRow), [
            {"patient_id": n, "day": today - timedelta(days=1 + n % 6), "pain_rest": 1, "pain_exercise": 2,
             "pain_morning": 1, "swelling": "none", "mechanical": "none", "adherence": "all", "day_class": "green"}
            for n in range(1, patients + 1)])


def main(patients: int = 10_000) -> int:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'app.sqlite3'}"
        upgrade(url)
        seed(url, patients)
        rasa = CountingRasa()
        scheduler = Scheduler(ReminderStore(make_engine(url)), rasa, default_knowledge().rules.reminders, "09:00",
                              "UTC", ["socketio"])
        started = time.perf_counter()
        report = scheduler.run_round(NOW)
        took = time.perf_counter() - started
        assert report.sent == rasa.calls == patients, (report, rasa.calls)
        started = time.perf_counter()
        idle = scheduler.run_round(NOW + timedelta(seconds=30))
        idle_took = time.perf_counter() - started
    print(f"reminders, {patients:,} due patients on SQLite, through a fake provider:")
    print(f"  one round: {took:.2f} s, {patients / took:,.0f} patients/s ({report.sent:,} sent, of them "
          f"{patients // 6:,} gentle)")
    print(f"  the next round, nothing left to send ({idle.sent} sent): {idle_took * 1000:.0f} ms")
    return 0
