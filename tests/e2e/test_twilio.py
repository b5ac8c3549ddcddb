"""WhatsApp and SMS end to end: the real Rasa and action servers with the Twilio channels on, their API pointed
at a fake of Twilio's (tests/fakes/twilio.py), which also posts the patients' messages as signed webhooks."""

from __future__ import annotations

import re
import sqlite3
import urllib.error
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

import pytest

from rehab_coach import bootstrap
from rehab_coach.adapters.rasa_api import RasaApi
from rehab_coach.adapters.storage import PatientRecord, Store, make_engine
from rehab_coach.adapters.storage.notifications import NotificationStore
from rehab_coach.services import chat_links, messaging
from rehab_coach.services.reminders import REMINDER_INTENT, set_reminder_channel
from tests.e2e.conftest import Chat, Deployment, token_from
from tests.e2e.test_webchat_socket import Browserless
from tests.fakes.twilio import FakeTwilio

pytestmark = pytest.mark.slow

PUBLIC = "https://coach.example"  # the URL Twilio is given; the servers listen on the loopback behind it
NUMBERS = {"whatsapp": "whatsapp:+14155238886", "sms": "+447700900000"}
TEMPLATE = "HX" + "1" * 32
PAYLOAD_STRING = re.compile(r"[{}]|(^|\s)/[a-z_]+|\bkind\b")
DAY = 24 * 3600


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeTwilio]:
    with FakeTwilio().running() as running:
        yield running


@pytest.fixture(scope="module")
def server_env(fake: FakeTwilio) -> dict[str, str]:
    return {"TWILIO_ACCOUNT_SID": fake.account_sid, "TWILIO_AUTH_TOKEN": fake.auth_token,
            "TWILIO_WEBHOOK_BASE_URL": PUBLIC, "TWILIO_WHATSAPP_NUMBER": NUMBERS["whatsapp"].split(":")[1],
            "TWILIO_SMS_NUMBER": NUMBERS["sms"], "TWILIO_REMINDER_CONTENT_SID": TEMPLATE,
            "TWILIO_API_BASE_URL": fake.url}


@dataclass
class Phone:
    """A patient's phone on WhatsApp or SMS: what it sends goes to the coach as Twilio's signed webhook."""

    fake: FakeTwilio
    rasa_url: str
    channel: str
    number: str

    @property
    def address(self) -> str:
        return f"whatsapp:{self.number}" if self.channel == "whatsapp" else self.number

    def post(self, text: str, sign_with: str | None = "") -> tuple[int, str]:
        form = self.fake.message(self.address, NUMBERS[self.channel], text)
        path = f"/webhooks/{self.channel}/webhook"
        return self.fake.inbound(f"{self.rasa_url}{path}", f"{PUBLIC}{path}", form, sign_with)

    def send(self, text: str) -> list[str]:
        """Send a message; the coach's messages it brought, each as the patient reads it."""
        seen = len(self.fake.sent(self.address))
        assert self.post(text)[0] == 200
        replies = self.fake.texts(self.address)[seen:]
        assert replies and not any(PAYLOAD_STRING.search(reply) for reply in replies), replies
        return replies


@pytest.fixture(scope="module")
def store(deployment: Deployment) -> Store:
    return Store(make_engine(deployment.database_url))


def phone(chat: Chat, fake: FakeTwilio, channel: str, last_digits: int) -> Phone:
    return Phone(fake, chat.servers.rasa_url, channel, f"+4477009{last_digits:05d}")


def start(deployment: Deployment, patient_phone: Phone) -> tuple[PatientRecord, list[str]]:
    """A patient enrolled by the clinic binds their phone with the code; the coach's first replies."""
    patient, _ = deployment.enrol()
    code = chat_links.binding_code(patient, date.today(), key=deployment.chat_key)
    return patient, patient_phone.send(f"START {code}")


def tracker_events(deployment: Deployment, sender_id: str | None = None) -> int:
    with sqlite3.connect(deployment.folder / "tracker.sqlite3") as db:
        query = "SELECT count(*) FROM events" + (" WHERE sender_id = ?" if sender_id else "")
        return int(db.execute(query, (sender_id,) if sender_id else ()).fetchone()[0])


def test_enrolment_onboarding_and_a_checkin_answered_with_numbers_then_the_plan(chat, fake, deployment, store):
    whatsapp = phone(chat, fake, "whatsapp", 1)
    patient, first = start(deployment, whatsapp)
    assert first[0].startswith("Hi, I'm your ankle rehab coach")
    assert first[-1] == "Which ankle is it: left, right or both?\nReply 1 left, 2 right, 3 both"
    assert store.patient_at("whatsapp", whatsapp.address) == patient
    asked = [whatsapp.send(number)[-1].splitlines()[-1] for number in ("2", "1", "1", "0", "2", "1", "1", "1")]
    assert asked == ["Reply 1 dance, 2 running, 3 football, 4 something else", "Reply 1 yes, 2 no",
                     "Reply a number from 0 to 10", "Reply a number from 0 to 10", "Reply a number from 0 to 10",
                     "Reply 1 none, 2 mild, 3 marked", "Reply 1 none, 2 catching, 3 locking, 4 giving way",
                     "Reply 1 all of it, 2 some of it, 3 none of it"]
    replies = whatsapp.send("1")
    saved, plan, offer = replies[0], replies[-2], replies[-1]
    assert saved.startswith("Thanks, today's check-in is saved: a green day")
    assert offer.endswith("(yes or no)\nReply 1 yes, 2 no")  # the activity ratings (PSFS), offered at enrolment
    assert plan.startswith("Today's plan: phase 1 of 5") and "\n• " in plan and "\nAvoid today: " in plan
    profile = store.patient_by_id(patient.id).profile
    assert (profile.side, profile.sport, profile.diagnosed) == ("right", "dance", True)
    (checkin,) = store.checkins(patient.id)
    assert checkin.values() == {"pain_rest": 0, "pain_exercise": 2, "pain_morning": 1, "swelling": "none",
                                "mechanical": "none", "adherence": "all"}
    (again,) = whatsapp.send("what's my plan?")
    assert again.startswith("Today's plan: phase 1 of 5")


def test_a_checkin_answered_in_words_by_sms_and_a_red_flag_gets_the_emergency_heading_first(
        chat, fake, deployment, store):
    sms = phone(chat, fake, "sms", 2)
    patient, _ = start(deployment, sms)
    for words in ("the left one", "I do ballet", "yes, my physio diagnosed it", "about a 3", "4", "2 this morning",
                  "a bit swollen", "nothing like that"):
        sms.send(words)
    assert sms.send("some of it")[0].startswith("Thanks, today's check-in is saved: an amber day")
    (checkin,) = store.checkins(patient.id)
    assert checkin.values() == {"pain_rest": 3, "pain_exercise": 4, "pain_morning": 2, "swelling": "mild",
                                "mechanical": "none", "adherence": "some"}
    alarm = sms.send("my calf is swollen hot and red and I'm short of breath")[0]
    heading, advice = alarm.split("\n", 1)
    assert heading == "🚨 CALL YOUR LOCAL EMERGENCY NUMBER NOW"
    assert "call the emergency number now (999, 112 or 911)" in advice and "**" not in advice
    assert [e.escalation.urgency for e in store.escalations(patient.id)] == ["emergency"]
    notices = NotificationStore(make_engine(deployment.database_url)).of_patient(patient.id)
    assert [n.urgency for n in notices] == ["emergency"]  # the clinic's notice, queued with it for the scheduler


@pytest.mark.parametrize("forge", ["unsigned", "signed with another token"])
def test_a_forged_or_unsigned_webhook_is_refused_with_403_and_nothing_is_stored(chat, fake, deployment, store,
                                                                               forge):
    patient, _ = deployment.enrol()
    whatsapp = phone(chat, fake, "whatsapp", 3)
    code = chat_links.binding_code(patient, date.today(), key=deployment.chat_key)
    requests, events = len(fake.requests), tracker_events(deployment)
    status, body = whatsapp.post(f"START {code}", sign_with=None if forge == "unsigned" else "x" * 32)
    assert status == 403 and "X-Twilio-Signature" in body
    assert store.patient_at("whatsapp", whatsapp.address) is None
    assert (len(fake.requests), tracker_events(deployment)) == (requests, events)


def test_an_unknown_number_is_told_to_use_the_clinics_link_and_nothing_is_stored(chat, fake, deployment, store):
    events = tracker_events(deployment)
    for channel in ("whatsapp", "sms"):
        stranger = phone(chat, fake, channel, 4)
        assert stranger.send("hi, can I run?") == [chat_links.MISSING]
        assert stranger.send("START 1-20991231-AAAAAAAAAAAAAAAA") == [chat_links.INVALID]
        assert store.patient_at(channel, stranger.address) is None
    assert tracker_events(deployment) == events


async def test_the_same_patient_on_web_chat_and_whatsapp_has_one_conversation(chat, fake, deployment, store):
    whatsapp = phone(chat, fake, "whatsapp", 5)
    patient, link = deployment.enrol()
    code = chat_links.binding_code(patient, date.today(), key=deployment.chat_key)
    whatsapp.send(f"START {code}")
    assert whatsapp.send("2")[-1].startswith("What's your main sport")
    browser = Browserless(chat.servers.rasa_url)
    try:
        assert await browser.open(token_from(link)) == patient.sender_id
        history = (await browser.next("history"))["messages"]
        assert [m["text"] for m in history if m["sender"] == "user"] == ["hi", "right"]
        assert history[-1]["custom"]["field"] == "sport"
        assert (await browser.say("dance", "question"))[-1]["custom"]["field"] == "diagnosed"
    finally:
        await browser.close()
    # "1" answers the question the web chat asked: the conversation, not the phone, remembers it
    assert whatsapp.send("1")[-1].endswith("Reply a number from 0 to 10")
    profile = store.patient_by_id(patient.id).profile
    assert (profile.side, profile.sport, profile.diagnosed) == ("right", "dance", True)


def age(deployment: Deployment, sender_id: str, seconds: int) -> None:
    """Move the whole conversation `seconds` into the past in the tracker store, as if that long had passed."""
    with sqlite3.connect(deployment.folder / "tracker.sqlite3") as db:
        db.execute("UPDATE events SET timestamp = timestamp - ?, data = json_set(data, '$.timestamp', "
                   "json_extract(data, '$.timestamp') - ?) WHERE sender_id = ?", (seconds, seconds, sender_id))


def test_a_reminder_reaches_whatsapp_as_text_in_the_window_and_as_the_template_outside_it(
        chat, fake, deployment, store):
    whatsapp = phone(chat, fake, "whatsapp", 6)
    patient, _ = start(deployment, whatsapp)
    for number in ("2", "1", "1"):
        whatsapp.send(number)
    whatsapp.send("stop")
    rasa = RasaApi(chat.servers.rasa_url, chat.servers.token)
    seen = len(fake.sent(whatsapp.address))
    rasa.trigger_intent(patient.sender_id, REMINDER_INTENT)
    reminder = fake.sent(whatsapp.address)[seen:]
    assert all("ContentSid" not in message for message in reminder)
    assert reminder[-1]["Body"].endswith("Reply a number from 0 to 10")
    whatsapp.send("stop")

    age(deployment, patient.sender_id, 2 * DAY)  # the patient last wrote two days ago
    fake.closed.add(whatsapp.address)  # so, as at Twilio, plain text would fail with 63016
    seen = len(fake.requests)
    rasa.trigger_intent(patient.sender_id, REMINDER_INTENT)
    assert [(r.status, r.form) for r in fake.requests[seen:]] == [
        (201, {"To": whatsapp.address, "From": NUMBERS["whatsapp"], "ContentSid": TEMPLATE})]
    fake.closed.discard(whatsapp.address)
    assert whatsapp.send("3")[-1].startswith("What was the worst pain during yesterday's exercises")


def test_a_reminder_by_sms_goes_as_text_and_one_that_cannot_be_sent_fails_the_call(chat, fake, deployment):
    sms = phone(chat, fake, "sms", 7)
    patient, _ = start(deployment, sms)
    for words in ("the left one", "I do ballet", "yes", "stop"):
        sms.send(words)
    age(deployment, patient.sender_id, 2 * DAY)  # SMS has no window
    rasa = RasaApi(chat.servers.rasa_url, chat.servers.token)
    seen = len(fake.sent(sms.address))
    rasa.trigger_intent(patient.sender_id, REMINDER_INTENT)
    assert all(m.get("Body") and "ContentSid" not in m for m in fake.sent(sms.address)[seen:])
    fake.refused[sms.address] = 21211
    with pytest.raises(urllib.error.HTTPError) as failed:
        rasa.trigger_intent(patient.sender_id, REMINDER_INTENT)
    assert failed.value.code == 500


def test_a_reminder_goes_by_the_channel_the_patient_prefers_not_the_one_they_last_wrote_on(
        chat, fake, deployment, store, monkeypatch):
    for name, value in deployment.env.items():  # the scheduler's settings: the same as the servers'
        monkeypatch.setenv(name, value)
    sms, whatsapp = phone(chat, fake, "sms", 8), phone(chat, fake, "whatsapp", 8)
    patient, _ = start(deployment, sms)
    whatsapp.send(f"START {chat_links.binding_code(patient, date.today(), key=deployment.chat_key)}")
    for number in ("2", "1", "1", "stop"):  # onboarded, and last written on WhatsApp
        whatsapp.send(number)
    set_reminder_channel(store, patient.id, "sms", messaging.reachable(store, patient))
    scheduler = bootstrap.reminders(chat.servers.rasa_url, deployment.database_url)
    texts, messages = len(fake.sent(sms.address)), len(fake.sent(whatsapp.address))
    scheduler.run_round(datetime.combine(date.today() + timedelta(days=1), time(12), timezone.utc))  # due tomorrow
    assert len(fake.sent(sms.address)) > texts and len(fake.sent(whatsapp.address)) == messages
