"""The several-server deployment, running (`rehab_coach.cluster`, as `./coach cluster` starts it): PostgreSQL,
Redis, two Rasa servers and two action servers behind HAProxy. One conversation through both servers stays one
conversation; a Rasa server killed mid-check-in loses no check-in; a message sent from one server reaches a
browser connected to the other."""

from __future__ import annotations

import json
import os
import secrets
import signal
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from rehab_coach import cluster
from rehab_coach.adapters.rasa_api import RasaApi
from rehab_coach.adapters.storage import Store, make_engine
from rehab_coach.addresses import free_port, local_url
from rehab_coach.runner import Servers
from rehab_coach.services.chat_links import KEY_NAME, chat_link, enrol
from rehab_coach.services.reminders import REMINDER_INTENT, REMINDER_KIND
from rehab_coach.settings import ACTIONS_TOKEN, RASA_TOKEN, REDIS_PASSWORD, REST_TOKEN
from tests.e2e.conftest import Chat, payloads
from tests.e2e.test_conversation import DAY0, GREEN, check_in, start
from tests.e2e.test_webchat_socket import Browserless

pytestmark = pytest.mark.slow
TRY_AGAIN = {502, 503, 504}  # HAProxy's answers while a server it sent the request to went away


@pytest.fixture(scope="module")
def running(model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[cluster.Cluster]:
    folder = tmp_path_factory.mktemp("cluster")
    env = {"COACH_SIMULATED_CLOCK": "1",
           **{name: secrets.token_urlsafe(32) for name in (RASA_TOKEN, ACTIONS_TOKEN, REST_TOKEN, KEY_NAME,
                                                          REDIS_PASSWORD)}}
    with cluster.cluster(model, env=env, log_dir=folder / "logs", rasa_port=free_port(), actions_port=free_port(),
                         portal_port=None) as started:
        yield started


class Patient(Chat):
    """A patient on one address (HAProxy's, or one server's), who says a message again when the answer was lost,
    as a person would."""

    def post(self, body: bytes, timeout: float = 30) -> tuple[int, object]:
        for _ in range(20):
            try:
                status, replies = super().post(body, timeout)
            except (ConnectionError, urllib.error.URLError):
                status, replies = 503, None
            if status not in TRY_AGAIN:
                return status, replies
            time.sleep(0.5)
        raise AssertionError("the cluster did not answer in 20 tries")


def at(running: cluster.Cluster, url: str) -> Patient:
    front = running.front
    servers = Servers(url, front.actions_url, front.token, front.rest_token, ())
    return Patient(servers, running.environment["DATABASE_URL"])


class Alternating:
    """One patient whose messages go to each Rasa server in turn, straight, not through HAProxy."""

    def __init__(self, running: cluster.Cluster) -> None:
        self.chats = [at(running, local_url(port)) for port in running.rasa]
        self.sent = 0

    def say(self, sender: str, message: str, now: datetime) -> list[dict]:
        self.sent += 1
        return self.chats[self.sent % len(self.chats)].say(sender, message, now)


def events_of(running: cluster.Cluster, sender: str) -> list[dict]:
    engine = create_engine(running.environment["TRACKER_DATABASE_URL"])
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT data FROM events WHERE sender_id = :sender ORDER BY id"),
                                  {"sender": sender})
        return [json.loads(row.data) for row in rows]


def checkin_days(running: cluster.Cluster, sender: str) -> list[str]:
    store = Store(make_engine(running.environment["DATABASE_URL"]))
    patient = store.find_patient("rest", sender)
    assert patient is not None
    return [checkin.day.isoformat() for checkin in store.checkins(patient.id)]


def test_one_conversation_through_both_servers_is_one_ordered_transcript(running):
    patient, sender = Alternating(running), "both-servers"
    replies = start(patient, sender)  # onboarding and the first check-in: 11 turns, every other one on each server
    assert payloads(replies, "checkin_recorded")[-1]["values"] == GREEN
    check_in(patient, sender, DAY0 + timedelta(days=1), GREEN)
    events = events_of(running, sender)
    said = [event["text"] for event in events if event["event"] == "user"]
    assert said[0] == "hi" and said.count("check in") == 1 and len(said) == patient.sent
    stamps = [event["timestamp"] for event in events]
    assert stamps == sorted(stamps), "one order"
    assert len({json.dumps(event, sort_keys=True) for event in events}) == len(events), "no event twice"
    assert checkin_days(running, sender) == [DAY0.date().isoformat(), (DAY0 + timedelta(days=1)).date().isoformat()]


async def test_a_message_from_one_server_reaches_a_browser_connected_to_the_other(running):
    """A reminder's route: the scheduler calls any Rasa server, and the reply goes out through Redis to the server
    the patient's browser is connected to."""
    here, there = (local_url(port) for port in running.rasa)
    patient = enrol(Store(make_engine(running.environment["DATABASE_URL"])), date.today())
    browser = Browserless(here)
    link = chat_link(patient, here, datetime.now(timezone.utc), key=running.environment[KEY_NAME])
    assert await browser.open(link.split("#token=", 1)[1]) == patient.sender_id
    await browser.say("hi", until_kind="question")
    RasaApi(there, running.front.token).trigger_intent(patient.sender_id, REMINDER_INTENT, {REMINDER_KIND: "daily"})
    reply = await browser.next("bot_uttered", timeout=30)
    assert reply.get("text")
    await browser.close()


def test_a_rasa_server_killed_mid_check_in_loses_no_check_in_and_records_none_twice(running):
    front = at(running, running.front.rasa_url)
    senders = [f"killed-{n}" for n in range(20)]
    failures: list[BaseException] = []

    def patient(sender: str) -> None:
        try:
            start(front, sender)
        except BaseException as error:  # noqa: BLE001 - reported below
            failures.append(error)

    threads = [threading.Thread(target=patient, args=(sender,)) for sender in senders]
    for thread in threads:
        thread.start()
    time.sleep(8)  # the patients are under way
    assert any(thread.is_alive() for thread in threads), "the kill comes mid-check-in"
    victim = next(iter(running.rasa.values()))
    os.kill(victim.pid, signal.SIGKILL)
    for thread in threads:
        thread.join(timeout=600)
    assert not failures, failures
    assert victim.wait(timeout=10) == -signal.SIGKILL
    assert {sender: checkin_days(running, sender) for sender in senders} == {
        sender: [DAY0.date().isoformat()] for sender in senders}
    log = (running.log_dir / "haproxy.log").read_text()
    assert "is DOWN" in log, "HAProxy saw the server go"
