"""The reminder scheduler as `./coach run` starts it, end to end: its process, started by runner.serve beside the
real Rasa and action servers, reminds REST patients on its own, and the reminder's words reach their conversation."""

from __future__ import annotations

import json
import time
import urllib.request
from datetime import datetime, timedelta, timezone

import pytest

from rehab_coach.adapters.storage import Store, make_engine
from rehab_coach.services.reminders import STOPPED, pause_reminders
from tests.conftest import say
from tests.e2e.conftest import Chat
from tests.e2e.test_conversation import GREEN, finish_questions

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def reminders_every() -> float:
    return 1.0


@pytest.fixture(scope="module")
def server_env() -> dict[str, str]:
    return {"REMINDER_DEFAULT_TIME": "00:00"}  # the scheduler runs on the real clock: due all day


def events(chat: Chat, sender: str) -> list[dict]:
    url = f"{chat.servers.rasa_url}/conversations/{sender}/tracker?token={chat.servers.token}"
    with urllib.request.urlopen(url, timeout=10) as response:
        return list(json.loads(response.read())["events"])


def said(chat: Chat, sender: str) -> list[str]:
    return [event.get("text") or "" for event in events(chat, sender) if event["event"] == "bot"]


def test_the_scheduler_reminds_each_patient_once_in_their_conversation_and_the_quiet_one_gently(chat):
    store = Store(make_engine(chat.database_url))
    now = datetime.now(timezone.utc)
    patients = {"checked-in-yesterday": now - timedelta(days=1), "quiet-for-a-week": now - timedelta(days=8)}
    for sender, day in patients.items():  # set up on the simulated clock, its reminders paused meanwhile
        patient = store.patient("rest", sender, day.date())  # as the coach records a first contact
        pause_reminders(store, patient.id, STOPPED)
        finish_questions(chat, sender, day, chat.say(sender, "hi", day), GREEN)
        assert store.checkins(patient.id)[-1].day == day.date()
    for sender in patients:
        pause_reminders(store, store.find_patient("rest", sender).id, None)
    expected = {"checked-in-yesterday": say("utter_checkin_reminder"), "quiet-for-a-week": say("utter_checkin_gentle")}
    deadline = time.monotonic() + 60
    while not all(text in said(chat, sender) for sender, text in expected.items()) and time.monotonic() < deadline:
        time.sleep(0.5)
    time.sleep(3)  # three more rounds: still one reminder each
    for sender, text in expected.items():
        assert said(chat, sender).count(text) == 1, sender
        triggered = [e for e in events(chat, sender) if e["event"] == "user" and e.get("text", "").startswith(
            "EXTERNAL: ")]
        assert len(triggered) == 1, sender
        asked = [e["name"] for e in events(chat, sender) if e["event"] == "action"]
        assert asked[-2:] == ["checkin_form", "action_listen"]  # the reminder opened today's check-in
    quiet = store.find_patient("rest", "quiet-for-a-week")
    assert [e.escalation.reasons for e in store.escalations(quiet.id)] == [("no check-in for 7 days",)]
    assert store.escalations(store.find_patient("rest", "checked-in-yesterday").id) == []
