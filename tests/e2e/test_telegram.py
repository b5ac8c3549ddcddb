"""The Telegram channel end to end: the real Rasa and action servers with the real connector, Telegram played by
a fake Bot API (tests/fakes/telegram.py) that the servers reach through TELEGRAM_API_URL."""

from __future__ import annotations

import itertools
import json
import re
import secrets
import urllib.request
from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import text

from rehab_coach import settings
from rehab_coach.adapters.rasa_api import RasaApi
from rehab_coach.adapters.storage import PatientRecord, Store, make_engine
from rehab_coach.adapters.storage.notifications import NotificationStore
from rehab_coach.runner import Servers
from rehab_coach.services.chat_links import INVALID, MISSING, binding_code
from rehab_coach.services.reminders import REMINDER_INTENT
from tests.e2e.conftest import Deployment, token_from
from tests.e2e.test_patient_rights import rows_mentioning
from tests.e2e.test_webchat_socket import Browserless
from tests.fakes.telegram import TOKEN, Call, FakeTelegram, Patient, button, message, post

pytestmark = pytest.mark.slow

SECRET = secrets.token_urlsafe(32)
CHATS = itertools.count(918_273_645)  # chat ids no other number in the databases looks like
INTENT = re.compile(r"(^|\s)/[A-Za-z_]+")  # an `/intent` string


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegram().running() as running:
        yield running


@pytest.fixture(scope="module")
def server_env(fake: FakeTelegram) -> dict[str, str]:
    """Telegram switched on, on the fake Bot API."""
    return {"TELEGRAM_BOT_USERNAME": "RehabCoachBot", settings.TELEGRAM_TOKEN: TOKEN,
            settings.TELEGRAM_WEBHOOK_SECRET: SECRET, "TELEGRAM_API_URL": fake.url}


@pytest.fixture(scope="module")
def servers(deployment: Deployment) -> Iterator[Servers]:
    with deployment.start() as running:
        yield running


@pytest.fixture(scope="module")
def webhook(servers: Servers) -> str:
    return f"{servers.rasa_url}/webhooks/telegram/webhook"


def enrolled(deployment: Deployment, fake: FakeTelegram, webhook: str) -> tuple[PatientRecord, str, Patient]:
    """A patient the clinic enrolled, their Telegram code, and a Telegram app in a chat of its own."""
    patient, _ = deployment.enrol()
    return patient, binding_code(patient, date.today(), key=deployment.chat_key), \
        Patient(fake, webhook, SECRET, next(CHATS))


def choices(reply: Call) -> list[str]:
    return [label for row in reply.buttons for label, _ in row]


def patients(deployment: Deployment) -> int:
    with make_engine(deployment.database_url).connect() as connection:
        return int(connection.execute(text("SELECT COUNT(*) FROM patients")).scalar_one())


def test_enrolment_onboarding_a_check_in_by_buttons_and_by_text_and_the_plan(deployment, fake, webhook):
    patient, code, phone = enrolled(deployment, fake, webhook)
    replies = phone.say(f"/start {code}")
    assert "not a doctor" in replies[0].text and "emergency number" in replies[0].text
    assert choices(replies[-1]) == ["Left", "Right", "Both"]
    assert choices(phone.press("Left")[-1]) == ["Dance", "Running", "Football", "Something else"]
    assert choices(phone.press("Dance")[-1]) == ["Yes", "No"]
    replies = phone.press("Yes")
    assert "all set up" in replies[0].text and choices(replies[-1]) == [str(n) for n in range(11)]
    phone.press("2")  # at rest
    assert choices(phone.say("about a 3")[-1]) == [str(n) for n in range(11)]  # during exercise; then on waking
    assert choices(phone.press("1")[-1]) == ["None", "Mild", "Marked"]
    assert choices(phone.say("no swelling")[-1]) == ["None", "Catching", "Locking", "Giving way"]
    assert choices(phone.press("None")[-1]) == ["All of it", "Some of it", "None of it"]
    replies = phone.press("All of it")
    assert "check-in is saved" in replies[0].text and replies[-2].text.startswith("Today's plan: phase 1")
    assert choices(replies[-1]) == ["Yes", "No"]  # the activity ratings (PSFS), offered at enrolment
    [checkin] = Store(make_engine(deployment.database_url)).checkins(patient.id)
    assert checkin.values() == {"pain_rest": 2, "pain_exercise": 3, "pain_morning": 1, "swelling": "none",
                                "mechanical": "none", "adherence": "all"}
    answered = {call.params["callback_query_id"] for call in fake.sent(method="answerCallbackQuery")}
    assert len(phone.pressed) == 7 and answered >= set(phone.pressed)
    [plan] = phone.say("what's my plan today?")
    assert plan.text.startswith("Today's plan: phase 1") and plan.text.count("\n• ") >= 3 and "Avoid today" in plan.text
    assert not any(INTENT.search(call.text) for call in fake.sent(phone.chat))


def test_a_red_flag_is_the_escalation_with_its_heading_first(deployment, fake, webhook):
    patient, code, phone = enrolled(deployment, fake, webhook)
    phone.say(f"/start {code}")
    escalation = phone.say("my calf is swollen and hot and I'm suddenly really short of breath")[0]
    lines = escalation.text.split("\n")
    assert lines[0] == "🚨 <b>CALL YOUR LOCAL EMERGENCY NUMBER NOW</b>" and escalation.params["parse_mode"] == "HTML"
    assert "<b>This could be an emergency: call the emergency number now (999, 112 or 911).</b>" in lines[1]
    assert [e.escalation.urgency for e in Store(make_engine(deployment.database_url)).escalations(patient.id)] == [
        "emergency"]
    # the clinic's notice of it is queued with it, for the scheduler to send (tests/e2e/test_clinic_notifications.py)
    assert [n.urgency for n in NotificationStore(make_engine(deployment.database_url)).of_patient(patient.id)] == [
        "emergency"]


def test_a_forged_or_unsigned_update_is_refused_with_403_and_nothing_is_stored(deployment, fake, webhook):
    patient, code, phone = enrolled(deployment, fake, webhook)
    before = patients(deployment)
    for secret in (None, "", "forged", SECRET[:-1]):
        for update in (message(phone.chat, f"/start {code}"), message(phone.chat, "my calf is swollen and hot"),
                       button(phone.chat, "4", 1)):
            status, answer = post(webhook, update, secret)
            assert status == 403 and "X-Telegram-Bot-Api-Secret-Token" in answer["error"]
    assert fake.sent(phone.chat) == [] and patients(deployment) == before
    assert rows_mentioning(deployment.database_url, [str(phone.chat)]) == []  # no chat bound
    assert rows_mentioning(deployment.env["TRACKER_DATABASE_URL"], [patient.sender_id, str(phone.chat)]) == []


def test_an_unknown_chat_is_asked_for_the_clinics_link_and_nothing_is_stored(deployment, fake, webhook):
    chat = next(CHATS)
    before = patients(deployment)
    for update in (message(chat, "hi"), message(chat, "/start"), message(chat, "/start 1-20990101-AAAAAAAAAAAAAAAA"),
                   button(chat, "4", 1)):
        assert post(webhook, update, SECRET)[0] == 200
    assert [call.text for call in fake.sent(chat)] == [MISSING, MISSING, INVALID, MISSING]
    assert patients(deployment) == before
    for database in (deployment.database_url, deployment.env["TRACKER_DATABASE_URL"]):
        assert rows_mentioning(database, [str(chat)]) == []


async def test_the_same_patient_on_the_web_chat_and_telegram_has_one_conversation(deployment, fake, webhook, servers):
    patient, link = deployment.enrol()
    code = binding_code(patient, date.today(), key=deployment.chat_key)
    phone = Patient(fake, webhook, SECRET, next(CHATS))
    web = Browserless(servers.rasa_url)
    await web.open(token_from(link))
    assert (await web.say("hi", until_kind="question"))[-1]["custom"]["field"] == "side"
    await web.close()
    assert choices(phone.say(f"/start {code}")[-1]) == ["Left", "Right", "Both"]  # the same question, carried on
    assert choices(phone.press("Left")[-1]) == ["Dance", "Running", "Football", "Something else"]
    url = f"{servers.rasa_url}/conversations/{patient.sender_id}/tracker?token={servers.token}"
    with urllib.request.urlopen(url, timeout=30) as answer:
        events = json.loads(answer.read())["events"]
    assert [(e["text"], e["input_channel"]) for e in events if e["event"] == "user"] == [
        ("hi", "socketio"), ("hi", "telegram"), ("left", "telegram")]
    again = Browserless(servers.rasa_url)
    await again.open(token_from(link))
    shown = (await again.next("history"))["messages"]
    await again.close()
    assert [m["text"] for m in shown if m["sender"] == "user"] == ["hi", "hi", "left"]
    assert shown[-1]["custom"]["field"] == "sport"


def test_a_reminder_through_trigger_intent_reaches_the_patients_chat(deployment, fake, webhook, servers):
    """RasaHQ/rasa PR #13040: the stock connector's get_output_channel() fails inside the running server."""
    patient, code, phone = enrolled(deployment, fake, webhook)
    phone.say(f"/start {code}")
    before = len(fake.sent())
    RasaApi(servers.rasa_url, servers.token).trigger_intent(patient.sender_id, REMINDER_INTENT)
    sent = fake.sent()[before:]
    assert sent and {call.chat for call in sent} == {str(phone.chat)}
    assert choices(sent[-1]) == ["Left", "Right", "Both"]  # the reminder opens the (still unfinished) onboarding
