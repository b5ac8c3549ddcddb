"""The several-server deployment, running (`rehab_coach.cluster`, as `./coach cluster` starts it): PostgreSQL,
Redis, two Rasa servers and two action servers behind HAProxy. One conversation through both servers stays one
conversation; a message sent from one server reaches a browser connected to the other; two schedulers send one
reminder; and under 10-20 patients' check-ins, an action server or a Rasa server killed, or PostgreSQL
restarted, loses no check-in a patient was told was recorded, and records none twice."""

from __future__ import annotations

import json
import os
import secrets
import signal
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
import redis
from sqlalchemy import create_engine, text

from rehab_coach import cluster
from rehab_coach.adapters.rasa_api import RasaApi
from rehab_coach.adapters.storage import Store, make_engine
from rehab_coach.addresses import free_port, local_url
from rehab_coach.rasa.channels import FAILED_TURN
from rehab_coach.runner import Servers, start_scheduler, stop
from rehab_coach.services.chat_links import KEY_NAME, chat_link, enrol
from rehab_coach.services.reminders import REMINDER_INTENT, REMINDER_KIND, STOPPED, pause_reminders
from rehab_coach.settings import ACTIONS_TOKEN, RASA_TOKEN, REDIS_PASSWORD, REST_TOKEN
from tests.conftest import say
from tests.e2e.conftest import Chat, payloads
from tests.e2e.test_conversation import DAY0, GREEN, check_in, finish_questions, start
from tests.e2e.test_listeners import command_lines, listening_hosts, port
from tests.e2e.test_webchat_socket import Browserless

pytestmark = pytest.mark.slow
TRY_AGAIN = {502, 503, 504}  # HAProxy's while a server went away, and a turn that could not be saved


@pytest.fixture(scope="module")
def running(model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[cluster.Cluster]:
    folder = tmp_path_factory.mktemp("cluster")
    env = {"COACH_SIMULATED_CLOCK": "1", "REMINDER_DEFAULT_TIME": "00:00",  # the schedulers' real clock: due all day
           **{name: secrets.token_urlsafe(32) for name in (RASA_TOKEN, ACTIONS_TOKEN, REST_TOKEN, KEY_NAME,
                                                          REDIS_PASSWORD)}}
    with cluster.cluster(model, env=env, log_dir=folder / "logs", rasa_port=free_port(), actions_port=free_port(),
                         portal_port=None) as started:
        yield started


class Patient(Chat):
    """A patient on one address (HAProxy's, or one server's), who says a message again, as a person would, when
    the answer was lost or they were asked to (counted in `asked_again`)."""

    asked_again = 0  # a 503 with the reason, or the planner out of reach
    turns = 0  # answered, by every patient

    def post(self, body: bytes, timeout: float = 30) -> tuple[int, object]:
        for _ in range(40):
            try:
                status, replies = super().post(body, timeout)
            except (ConnectionError, urllib.error.URLError):
                status, replies = 503, None
            if status not in TRY_AGAIN:
                return status, replies
            if status == 503 and FAILED_TURN in str(replies):
                Patient.asked_again += 1
            time.sleep(0.5)
        raise AssertionError("the cluster did not answer in 40 tries")

    def say(self, sender: str, text: str, now: datetime) -> list[dict]:
        for _ in range(20):
            replies = super().say(sender, text, now)
            Patient.turns += 1
            assert replies, "never silence"
            if [payload["kind"] for payload in payloads(replies)] != ["notice"]:
                return replies
            Patient.asked_again += 1
            time.sleep(0.5)
        raise AssertionError("the planner stayed out of reach")


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


def all_checked_in_once(running: cluster.Cluster, acknowledged: dict[str, list[str]]) -> None:
    """Each patient was told their DAY0 check-in was recorded, and it is stored, once (the transcript if not)."""
    day = DAY0.date().isoformat()
    for sender, told in acknowledged.items():
        assert told == checkin_days(running, sender) == [day], (
            f"{sender} was told {told}; the transcript:\n{transcript(running, sender)}")


def checkin_days(running: cluster.Cluster, sender: str) -> list[str]:
    store = Store(make_engine(running.environment["DATABASE_URL"]))
    patient = store.find_patient("rest", sender)
    return [] if patient is None else [checkin.day.isoformat() for checkin in store.checkins(patient.id)]


@contextmanager
def under_way(running: cluster.Cluster, senders: list[str], work: Callable[[str], None]) -> Iterator[None]:
    """Each sender's `work` in a thread of its own; the body (a fault, say) runs once they are under way, about
    three turns each; then every one must finish (the first failure is shown with its transcript)."""
    failures: dict[str, BaseException] = {}

    def patient(sender: str) -> None:
        try:
            work(sender)
        except BaseException as error:  # noqa: BLE001 - reported below
            failures[sender] = error

    threads = [threading.Thread(target=patient, args=(sender,)) for sender in senders]
    for thread in threads:
        thread.start()
    under_way_at = Patient.turns + 3 * len(senders)
    while Patient.turns < under_way_at and any(thread.is_alive() for thread in threads):
        time.sleep(0.05)
    assert any(thread.is_alive() for thread in threads), ("the fault comes mid-check-in", failures)
    yield
    for thread in threads:
        thread.join(timeout=600)
    for sender, error in failures.items():
        raise AssertionError(f"{len(failures)} failed; {sender}: {error!r}; the transcript:\n"
                             f"{transcript(running, sender)}")


def transcript(running: cluster.Cluster, sender: str) -> str:
    return "\n".join(f"{event['event']}: {(event.get('text') or '')[:70]}" for event in events_of(running, sender)
                     if event["event"] in ("user", "bot"))


def acknowledged_checkins(front: Patient, acknowledged: dict[str, list[str]]) -> Callable[[str], None]:
    def work(sender: str) -> None:
        acknowledged[sender] = [payload["date"] for payload in payloads(start(front, sender), "checkin_recorded")]
    return work


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


def test_every_listener_binds_to_loopback_redis_wants_its_password_and_no_secret_is_on_a_command_line(running):
    redis_url = running.environment["REDIS_URL"]
    listeners = [port(running.front.rasa_url), port(running.front.actions_url), *running.rasa, *running.actions,
                 port(redis_url.rsplit("/", 1)[0])]
    assert {listener: listening_hosts(listener) for listener in listeners} == {
        listener: {"127.0.0.1"} for listener in listeners}
    with pytest.raises(redis.AuthenticationError):
        redis.Redis.from_url(redis_url).get("anything")
    with pytest.raises(redis.AuthenticationError):
        redis.Redis.from_url(redis_url, password="wrong").ping()
    assert redis.Redis.from_url(redis_url, password=running.environment[REDIS_PASSWORD]).ping()
    secrets_given = [running.environment[name] for name in (RASA_TOKEN, ACTIONS_TOKEN, REST_TOKEN, KEY_NAME,
                                                            REDIS_PASSWORD)]
    lines = command_lines()
    assert sum("redis-server" in line or "haproxy" in line for line in lines) >= 2
    assert not [line for line in lines if any(secret in line for secret in secrets_given)]


def test_two_schedulers_send_one_reminder_per_patient_day(running):
    front = at(running, running.front.rasa_url)
    store = Store(make_engine(running.environment["DATABASE_URL"]))
    quiet_since = datetime.now(timezone.utc) - timedelta(days=8)
    patient = store.patient("rest", "two-schedulers", quiet_since.date())
    pause_reminders(store, patient.id, STOPPED)  # set up on the simulated clock, its reminders paused meanwhile
    finish_questions(front, "two-schedulers", quiet_since, front.say("two-schedulers", "hi", quiet_since), GREEN)
    pause_reminders(store, patient.id, None)
    env = {**running.environment, RASA_TOKEN: running.front.token}
    schedulers = [start_scheduler(running.front.rasa_url, 1.0, env, running.log_dir / f"scheduler-{n}.log")
                  for n in (1, 2)]
    try:
        reminded = say("utter_checkin_gentle")
        deadline = time.monotonic() + 60
        while reminded not in bot_said(running, "two-schedulers") and time.monotonic() < deadline:
            time.sleep(0.5)
        time.sleep(4)  # four more rounds of each
    finally:
        stop(schedulers)
    assert bot_said(running, "two-schedulers").count(reminded) == 1


def bot_said(running: cluster.Cluster, sender: str) -> list[str]:
    return [event.get("text") or "" for event in events_of(running, sender) if event["event"] == "bot"]


def check_ins_through_a_fault(running: cluster.Cluster, name: str, patients: int, fault: Callable[[], None]) -> None:
    """`patients` patients onboard and check in through HAProxy, and `fault` strikes three turns in: each must
    finish, and every check-in a patient was told was recorded is stored, once."""
    front, acknowledged = at(running, running.front.rasa_url), {}
    senders = [f"{name}-{n}" for n in range(patients)]
    with under_way(running, senders, acknowledged_checkins(front, acknowledged)):
        fault()
    assert sorted(acknowledged) == sorted(senders)
    all_checked_in_once(running, acknowledged)


def test_an_action_server_killed_mid_check_in_hands_over_to_the_other(running):
    victim = next(iter(running.actions.values()))
    check_ins_through_a_fault(running, "actions-killed", 10, lambda: os.kill(victim.pid, signal.SIGKILL))
    assert victim.wait(timeout=10) == -signal.SIGKILL


def test_postgresql_restarted_under_load_loses_nothing_acknowledged(running):
    postgres, asked_before = running.postgres, Patient.asked_again
    assert postgres is not None

    def restart() -> None:
        postgres.stop()
        time.sleep(3)
        postgres.start()

    check_ins_through_a_fault(running, "restarted", 10, restart)
    assert Patient.asked_again > asked_before, "the outage was seen, and the patients were asked to say it again"


def test_a_rasa_server_killed_mid_check_in_loses_no_check_in_and_records_none_twice(running):
    victim = next(iter(running.rasa.values()))
    check_ins_through_a_fault(running, "killed", 20, lambda: os.kill(victim.pid, signal.SIGKILL))
    assert victim.wait(timeout=10) == -signal.SIGKILL
    assert "is DOWN" in (running.log_dir / "haproxy.log").read_text(), "HAProxy saw the server go"
