"""The clinic hears of a red flag, end to end: a patient's message through the real Rasa and action servers stores the
escalation with its notice, and the scheduler process that runner.serve starts (a round every 30 s, as in
`./coach run`) sends it to a fake Slack webhook and a fake SMTP server within a minute: once, with no health details.
A Slack that fails is shown in the live portal, and the notice is retried until Slack takes it; email is not sent it
twice."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path

import httpx
import pytest

from rehab_coach.adapters.storage import Store, make_engine
from rehab_coach.adapters.storage.clinic import Clinic
from rehab_coach.adapters.storage.notifications import NotificationStore
from rehab_coach.scheduler import EVERY
from rehab_coach.services.accounts import hash_password
from tests.e2e.conftest import Chat, Deployment, payloads
from tests.fakes.slack import HOOK, FakeSlack
from tests.fakes.smtp import FakeSMTP

pytestmark = pytest.mark.slow

PORTAL = "https://portal.clinic.example"
RED_FLAG = "my calf has gone swollen and hot since the flight and now I'm short of breath"
HEALTH_DETAILS = ("calf", "swollen", "hot", "flight", "breath", "emergency care", "dvt")
PASSWORD = "a live notification test password"


@pytest.fixture(scope="module")
def slack() -> Iterator[FakeSlack]:
    with FakeSlack().running() as fake:
        yield fake


@pytest.fixture(scope="module")
def smtp() -> Iterator[FakeSMTP]:
    with FakeSMTP().running() as fake:
        yield fake


@pytest.fixture(scope="module")
def reminders_every() -> float:
    return EVERY  # the scheduler as `./coach run` starts it: the minute is measured at its real pace


@pytest.fixture(scope="module")
def server_env(slack: FakeSlack, smtp: FakeSMTP) -> dict[str, str]:
    return {"CLINIC_SLACK_WEBHOOK_URL": slack.url, "SMTP_HOST": smtp.host, "SMTP_PORT": str(smtp.port),
            "SMTP_STARTTLS": "0", "CLINIC_NOTIFY_FROM": "coach@clinic.example",
            "CLINIC_NOTIFY_TO": "physio@clinic.example", "PORTAL_PUBLIC_URL": PORTAL}


def until(done: Callable[[], bool], seconds: float) -> float:
    """Wait until `done()`, at most `seconds`; the seconds it took."""
    started = time.monotonic()
    while not done() and time.monotonic() - started < seconds:
        time.sleep(0.2)
    assert done(), f"not within {seconds:.0f} s"
    return time.monotonic() - started


def red_flag(chat: Chat, sender: str) -> int:
    """The patient says it now (the real clock); their id."""
    replies = chat.say(sender, RED_FLAG, datetime.now(timezone.utc))
    assert [p["urgency"] for p in payloads(replies, "escalation")] == ["emergency"]
    return Store(make_engine(chat.database_url)).find_patient("rest", sender).id  # type: ignore[union-attr]


def test_a_red_flag_reaches_the_clinic_by_slack_and_email_within_a_minute_once_and_without_health_details(
        chat: Chat, deployment: Deployment, slack: FakeSlack, smtp: FakeSMTP):
    sender = "notify-e2e-7f3a"
    started = time.monotonic()
    patient = red_flag(chat, sender)
    until(lambda: bool(slack.texts()) and bool(smtp.mails), 75)
    took = time.monotonic() - started
    print(f"\nescalation to fake Slack and email: {took:.1f} s (scheduler every {EVERY:.0f} s)")
    assert took < 60, took
    expected = f"Patient {patient} needs attention (emergency). Open: {PORTAL}/patients/{patient}"
    assert slack.texts() == [expected] and slack.posts[0].path == HOOK
    (mail,) = smtp.mails
    assert mail.text == expected and mail.recipients == ("physio@clinic.example",)
    for said in (*HEALTH_DETAILS, sender, "7f3a"):
        assert said not in expected and said not in mail.message.as_string()
    red_flag(chat, sender)  # said again the same day: the same escalation, not stored nor sent again
    time.sleep(EVERY + 2)  # another round: still one of each
    assert len(slack.posts) == 1 and len(smtp.mails) == 1
    (stored,) = NotificationStore(make_engine(chat.database_url)).of_patient(patient)  # and none is due again
    assert (stored.delivered_by, stored.attempts, stored.next_attempt_at) == (("slack", "email"), 1, None)
    scheduler_log = next(Path(deployment.folder, "logs").glob("scheduler-*.log")).read_text()
    assert "fakeWebhookSecret" not in scheduler_log and sender not in scheduler_log


def test_a_failing_slack_shows_in_the_live_portal_and_the_notice_is_retried_until_it_goes_out(
        chat: Chat, slack: FakeSlack, smtp: FakeSMTP):
    slack.failing = 500
    before = len(smtp.mails)
    patient = red_flag(chat, "notify-e2e-slack-down")
    until(lambda: len(smtp.mails) == before + 1 and any(p.status == 500 for p in slack.posts), 75)
    Clinic(make_engine(chat.database_url)).add_clinician("dr.notice", hash_password(PASSWORD))
    assert chat.servers.portal_url
    with httpx.Client(base_url=chat.servers.portal_url, follow_redirects=False) as client:
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)  # type: ignore[union-attr]
        assert client.post("/login", data={"username": "dr.notice", "password": PASSWORD,
                                           "csrf_token": token}).status_code == 303
        (listed,) = client.get("/api/notifications/undelivered").json()
        assert listed["patient_id"] == patient and listed["delivered_by"] == ["email"]
        assert listed["status"] == "not delivered yet: 1 attempt failed (slack: HTTP 500), trying again"
        assert "not delivered yet: 1 attempt failed (slack: HTTP 500)" in client.get("/").text
        slack.failing = 0  # Slack is back: the retry, a minute on, takes it
        until(lambda: slack.texts()[-1:] == [
            f"Patient {patient} needs attention (emergency). Open: {PORTAL}/patients/{patient}"], 60 + 2 * EVERY)
        assert client.get("/api/notifications/undelivered").json() == []
    assert len(smtp.mails) == before + 1  # email had taken it: not sent again
