"""Portal fixtures: a migrated app database (SQLite in tmp_path; also PostgreSQL when TEST_DATABASE_URL is
set), a tracker-store SQLite file holding Rasa-serialised events, a few patients, a clinician, a client."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SlotSet, UserUttered
from sqlalchemy import insert
from sqlalchemy.engine import Engine

from rehab_coach.adapters.storage import PatientRecord, Store, make_engine, upgrade
from rehab_coach.adapters.storage.clinic import Clinic, Clinician
from rehab_coach.adapters.transcripts import EVENTS
from rehab_coach.core.model import CheckIn, Escalation
from rehab_coach.portal.app import create_app
from rehab_coach.services.accounts import hash_password
from rehab_coach.services.chat_links import KEY_NAME
from tests.storage.conftest import BACKENDS, drop_everything

CHAT_URL = "https://coach.example"
PASSWORD = "correct horse battery staple"
TODAY = date.today()
XSS = "<script>alert('pwned')</script> my calf is swollen"


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A freshly migrated app database."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'app.sqlite3'}"
        upgrade(url)
        yield url
        return
    url = os.environ["TEST_DATABASE_URL"]
    drop_everything(url)
    upgrade(url)
    yield url
    drop_everything(url)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def store(engine: Engine) -> Store:
    return Store(engine)


@pytest.fixture
def clinic(engine: Engine) -> Clinic:
    return Clinic(engine)


@pytest.fixture
def clinician(clinic: Clinic) -> Clinician:
    return clinic.add_clinician("dr.ada", hash_password(PASSWORD))


@dataclass(frozen=True)
class Seeded:
    """The records the fixtures stored, for tests to compare pages and exports against."""

    patients: dict[str, PatientRecord]
    checkins: dict[int, list[tuple[CheckIn, str]]]  # patient id -> (check-in, day class)
    plans: dict[int, list[dict]]  # patient id -> {day, phase_number, status, payload}
    escalations: dict[int, list[dict]]  # patient id -> {id, created_at, urgency, reasons, triggers, message}


def checkin(day: date, rest: int, exercise: int, morning: int, adherence: str = "all") -> CheckIn:
    return CheckIn.validated(day, day, pain_rest=rest, pain_exercise=exercise, pain_morning=morning,
                             swelling="none", mechanical="none", adherence=adherence)


def plan_payload(day: date, phase: int, status: str) -> dict:
    return {"kind": "plan", "date": day.isoformat(), "phase": f"phase-{phase}", "phase_name": "Settle",
            "phase_number": phase, "status": status, "day_class": "green",
            "exercises": [{"id": "calf_stretch_step", "name": "Calf stretch on a step", "sets": 3, "reps": None,
                           "hold_seconds": 30, "minutes": None, "per_day": 2, "per_week": None, "note": None}],
            "avoid": ["running"], "avoid_names": ["Running"], "reasons": ["a quiet day"]}


@pytest.fixture
def seeded(store: Store) -> Seeded:
    """Five patients: one urgent (Ann), one routine (Ben), one quiet (Cal), one never checked in (Dee), one with an
    acknowledged emergency (Eve); Ann has a week of check-ins, plans across a phase change and a message with HTML."""
    days = [TODAY - timedelta(days=n) for n in range(6, -1, -1)]
    patients = {name: store.patient("socketio", f"web-{name}", days[0]) for name in ("ann", "ben", "cal", "dee", "eve")}
    checkins: dict[int, list[tuple[CheckIn, str]]] = {p.id: [] for p in patients.values()}
    plans: dict[int, list[dict]] = {p.id: [] for p in patients.values()}
    escalations: dict[int, list[dict]] = {p.id: [] for p in patients.values()}

    def add_checkin(name: str, value: CheckIn, day_class: str) -> None:
        store.save_checkin(patients[name].id, value, day_class)
        checkins[patients[name].id].append((value, day_class))

    for n, day in enumerate(days):
        add_checkin("ann", checkin(day, 5 - n // 2, 7 - n, 4 - n // 2, "some" if n % 2 else "all"), "amber")
        phase = 1 if n < 4 else 2
        payload = plan_payload(day, phase, "progress" if n == 4 else "hold")
        store.save_plan(patients["ann"].id, day, phase, payload["status"], payload)
        plans[patients["ann"].id].append({"day": day.isoformat(), "phase_number": phase, "status": payload["status"],
                                          "payload": payload})
    add_checkin("ben", checkin(days[-3], 2, 3, 2), "green")
    add_checkin("cal", checkin(days[-1], 1, 1, 1, "none"), "green")
    add_checkin("eve", checkin(days[1], 0, 2, 1), "green")

    def add_escalation(name: str, urgency: str, message: str | None, at: datetime) -> int:
        escalation = Escalation(urgency=urgency, reasons=(f"{urgency} reason",), triggers=(f"{urgency}_trigger",))
        escalation_id = store.save_escalation(patients[name].id, escalation, message, at)
        escalations[patients[name].id].append({
            "id": escalation_id, "created_at": at.isoformat(), "urgency": urgency, "reasons": [f"{urgency} reason"],
            "triggers": [f"{urgency}_trigger"], "message": message})
        return escalation_id

    noon = datetime.combine(days[-2], datetime.min.time(), timezone.utc) + timedelta(hours=12)
    add_escalation("ann", "urgent", XSS, noon)
    add_escalation("ann", "routine", "=HYPERLINK(\"http://evil\")", noon + timedelta(minutes=5))
    add_escalation("ben", "routine", None, noon)
    emergency = add_escalation("eve", "emergency", "crushing chest pain", noon)
    store.acknowledge(emergency, "dr.bob", noon + timedelta(hours=1))
    return Seeded(patients, checkins, plans, escalations)


def rasa_events(sender: str, start: datetime) -> list[Event]:
    """A short conversation as Rasa's tracker store holds it: actions, slots, both sides' messages."""
    t = start.timestamp()
    return [
        ActionExecuted("action_session_start", timestamp=t),
        UserUttered("hi", intent={"name": "greet", "confidence": 1.0}, input_channel="socketio", timestamp=t + 1),
        BotUttered("Which ankle is it?", {"custom": {"kind": "question", "field": "side", "type": "choice",
                                                      "choices": ["left", "right", "both"]}}, timestamp=t + 2),
        UserUttered(XSS, intent={"name": "red_flag", "confidence": 1.0}, input_channel="socketio", timestamp=t + 3),
        SlotSet("side", "left", timestamp=t + 4),
        BotUttered("Please see a doctor **today**.", {"custom": {"kind": "escalation", "urgency": "urgent",
                                                                 "reasons": ["possible blood clot"], "triggers": []}},
                   timestamp=t + 5),
        BotUttered(None, {"custom": plan_payload(start.date(), 1, "start")}, timestamp=t + 6),
        UserUttered("EXTERNAL: reminder", timestamp=t + 7),
        ActionExecuted("action_listen", timestamp=t + 8),
    ]


@pytest.fixture
def tracker_url(tmp_path: Path) -> str:
    """A tracker-store SQLite file with Ann's conversation (and another patient's, which must not show)."""
    url = f"sqlite:///{tmp_path / 'tracker.sqlite3'}"
    engine = make_engine(url)
    EVENTS.metadata.create_all(engine)
    start = datetime(2025, 3, 10, 8, 30, tzinfo=timezone.utc)
    rows = []
    for sender in ("web-ann", "web-someone-else"):
        for event in rasa_events(sender, start):
            data = event.as_dict()
            rows.append({"sender_id": sender, "type_name": event.type_name, "timestamp": event.timestamp,
                         "intent_name": data.get("parse_data", {}).get("intent", {}).get("name"),
                         "action_name": data.get("name"), "data": json.dumps(data)})
    with engine.begin() as connection:
        connection.execute(insert(EVENTS), rows)
    engine.dispose()
    return url


@pytest.fixture
def chat_url() -> str:
    """The Rasa server the portal's chat links and calls go to (a module may override it with a fake's)."""
    return CHAT_URL


@pytest.fixture
def app(database_url: str, tracker_url: str, chat_url: str, monkeypatch: pytest.MonkeyPatch) -> FastAPI:
    monkeypatch.setenv(KEY_NAME, "portal-test-chat-key-" + "x" * 20)
    return create_app(database_url, tracker_url, chat_url)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """A browser that is not logged in."""
    with TestClient(app, follow_redirects=False) as client:
        yield client


def form_token(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token in the form"
    return found.group(1)


def log_in(client: TestClient, username: str = "dr.ada", password: str = PASSWORD) -> str:
    """Log in through the login form; the session's CSRF token."""
    token = form_token(client.get("/login").text)
    response = client.post("/login", data={"username": username, "password": password, "csrf_token": token})
    assert response.status_code == 303, response.text
    return str(client.get("/api/session").json()["csrf_token"])


@pytest.fixture
def clinician_client(client: TestClient, clinician: Clinician) -> tuple[TestClient, str]:
    """A browser logged in as dr.ada, and its CSRF token."""
    return client, log_in(client)
