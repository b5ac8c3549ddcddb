"""WhatsApp and SMS through Twilio: the hardened connector (rehab_coach/rasa/twilio.py), its webhook handler and
output channels, against a fake of Twilio's API (tests/fakes/twilio.py) and a real app database. The same flows
run against the real Rasa and action servers in tests/e2e/test_twilio.py."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode

import pytest
from rasa.core.channels.channel import UserMessage
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sanic import Sanic
from sanic.compat import Header
from sanic.request import Request

from rehab_coach import cli, settings
from rehab_coach.adapters.storage import PatientRecord, Store, make_engine, upgrade
from rehab_coach.core import contract
from rehab_coach.rasa.channels import MAX_MESSAGE
from rehab_coach.rasa.twilio import (
    EMPTY_TWIML,
    CoachTwilioOutput,
    SendFailed,
    SmsInput,
    TwilioApi,
    TwilioChannel,
    WhatsAppInput,
)
from rehab_coach.services import chat_links, messaging
from tests.conftest import rasa_domain, rendered
from tests.fakes.twilio import FakeTwilio

PUBLIC = "https://coach.example"  # what Twilio calls; the server itself sits behind a proxy on the loopback
NUMBER, PHONE = "+14155238886", "+447700900123"
TEMPLATE = "HX" + "0" * 32
APP = Sanic("twilio_channel_tests")
HOUR = 3600.0


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    with FakeTwilio().running() as running:
        yield running


@pytest.fixture
def store(tmp_path, monkeypatch) -> Store:
    url = f"sqlite:///{tmp_path / 'app.sqlite3'}"
    upgrade(url)
    monkeypatch.setenv(chat_links.KEY_NAME, "k" * 43)
    return Store(make_engine(url))


@pytest.fixture
def patient(store: Store) -> PatientRecord:
    return chat_links.enrol(store, date.today())


@pytest.fixture
def trackers() -> InMemoryTrackerStore:
    return InMemoryTrackerStore(rasa_domain())


def channel(kind: type[TwilioChannel], fake: FakeTwilio, store: Store, trackers: InMemoryTrackerStore
            ) -> TwilioChannel:
    """The channel as Rasa starts it, its API pointed at the fake and the server's tracker store at hand."""
    made = kind(fake.account_sid, fake.auth_token, f"{kind.prefix}{NUMBER}", PUBLIC, TEMPLATE, TwilioApi(fake.url),
                store)
    made.app = SimpleNamespace(ctx=SimpleNamespace(agent=SimpleNamespace(tracker_store=trackers)))  # type: ignore
    return made


async def post(made: TwilioChannel, form: dict[str, str], signature: str | None) -> tuple[int, str, list]:
    """A webhook through the channel's handler, as Sanic hands it over; the status, body and what reached Rasa."""
    reached: list[UserMessage] = []

    async def on_new_message(message: UserMessage) -> None:
        reached.append(message)

    handler = next(route.handler for route in made.blueprint(on_new_message)._future_routes
                   if route.uri == "/webhook")
    headers = {"content-type": "application/x-www-form-urlencoded"}
    if signature is not None:
        headers["X-Twilio-Signature"] = signature
    request = Request(f"/webhooks/{made.name()}/webhook".encode(), Header(headers), "1.1", "POST", None, APP)
    request.body = urlencode(form).encode()
    answered = await handler(request)
    return answered.status, answered.body.decode(), reached


def signed(made: TwilioChannel, fake: FakeTwilio, form: dict[str, str]) -> str:
    return fake.signature(f"{PUBLIC}/webhooks/{made.name()}/webhook", form)


async def say(made: TwilioChannel, fake: FakeTwilio, text: str, sender: str = f"whatsapp:{PHONE}"
              ) -> tuple[int, str, list]:
    form = fake.message(sender, made.twilio_number, text)
    return await post(made, form, signed(made, fake, form))


async def test_start_with_the_clinics_code_binds_the_phone_and_starts_the_patients_conversation(
        fake, store, patient, trackers):
    whatsapp = channel(WhatsAppInput, fake, store, trackers)
    status, body, reached = await say(whatsapp, fake, f"START {chat_links.binding_code(patient, date.today())}")
    assert (status, body) == (200, EMPTY_TWIML)
    assert store.patient_at("whatsapp", f"whatsapp:{PHONE}") == patient
    assert [(m.text, m.sender_id, m.input_channel) for m in reached] == [("hi", patient.sender_id, "whatsapp")]
    status, _, reached = await say(whatsapp, fake, "what's my plan?")
    assert [(m.text, m.sender_id) for m in reached] == [("what's my plan?", patient.sender_id)]
    assert not fake.requests  # the replies are Rasa's; nothing was refused


@pytest.mark.parametrize("forge", ["unsigned", "another token", "the loopback URL", "changed after signing",
                                   "the other channel's URL"])
async def test_a_forged_or_unsigned_webhook_is_refused_with_403_and_nothing_is_stored(
        fake, store, patient, trackers, forge):
    whatsapp = channel(WhatsAppInput, fake, store, trackers)
    form = fake.message(f"whatsapp:{PHONE}", whatsapp.twilio_number,
                        f"START {chat_links.binding_code(patient, date.today())}")
    signature = {
        "unsigned": None,
        "another token": fake.signature(f"{PUBLIC}/webhooks/whatsapp/webhook", form, "not-the-auth-token"),
        "the loopback URL": fake.signature("http://127.0.0.1:5005/webhooks/whatsapp/webhook", form),
        "changed after signing": signed(whatsapp, fake, {**form, "Body": "hi"}),
        "the other channel's URL": fake.signature(f"{PUBLIC}/webhooks/sms/webhook", form),
    }[forge]
    status, body, reached = await post(whatsapp, form, signature)
    assert status == 403 and "X-Twilio-Signature" in body
    assert reached == [] and fake.requests == [] and store.patient_at("whatsapp", f"whatsapp:{PHONE}") is None


@pytest.mark.parametrize(("text", "refusal"), [("hi", chat_links.MISSING), ("START", chat_links.MISSING),
                                               ("START 12-20260101-AAAAAAAAAAAAAAAA", chat_links.INVALID),
                                               ("start please", chat_links.INVALID)])
async def test_an_unknown_number_is_told_to_use_the_clinics_link_and_nothing_reaches_rasa(
        fake, store, patient, trackers, text, refusal):
    sms = channel(SmsInput, fake, store, trackers)
    status, _, reached = await say(sms, fake, text, sender=PHONE)
    assert status == 200 and reached == []
    assert fake.texts(PHONE) == [refusal]
    assert store.patient_at("sms", PHONE) is None and store.find_patient("sms", PHONE) is None


async def test_an_expired_code_says_so(fake, store, patient, trackers):
    sms = channel(SmsInput, fake, store, trackers)
    old = chat_links.binding_code(patient, date(2020, 1, 1))
    status, _, reached = await say(sms, fake, f"start {old}", sender=PHONE)
    assert reached == [] and fake.texts(PHONE) == [chat_links.EXPIRED]


@pytest.mark.parametrize("fields", [{"From": ""}, {"From": PHONE}, {"From": "whatsapp:447700"},
                                    {"Body": "x" * (MAX_MESSAGE + 1)}])
async def test_a_signed_but_malformed_webhook_gets_400_with_a_reason(fake, store, trackers, fields):
    whatsapp = channel(WhatsAppInput, fake, store, trackers)
    form = {**fake.message(f"whatsapp:{PHONE}", whatsapp.twilio_number, "hi"), **fields}
    status, body, reached = await post(whatsapp, form, signed(whatsapp, fake, form))
    assert status == 400 and re.match(r"(From|Body) must", body) and reached == []


async def test_a_photo_without_words_is_signed_with_its_empty_body_accepted_and_passed_over(
        fake, store, patient, trackers):
    store.bind_address(patient.id, "whatsapp", f"whatsapp:{PHONE}")
    whatsapp = channel(WhatsAppInput, fake, store, trackers)
    form = {**fake.message(f"whatsapp:{PHONE}", whatsapp.twilio_number, ""), "NumMedia": "1",
            "MediaUrl0": "https://api.twilio.com/media/ME1", "MediaContentType0": "image/jpeg"}
    status, _, reached = await post(whatsapp, form, signed(whatsapp, fake, form))
    assert status == 200 and reached == [] and fake.requests == []


async def bound_with_question(store, patient, trackers, payload: dict[str, Any] | None) -> None:
    store.bind_address(patient.id, "whatsapp", f"whatsapp:{PHONE}")
    bot = BotUttered("...", {"custom": payload} if payload else {})
    await trackers.save(DialogueStateTracker.from_events(patient.sender_id, [UserUttered("hi"), bot]))


@pytest.mark.parametrize(("asked", "reply", "meant"), [
    ("swelling", "2", "mild"), ("swelling", "b", "mild"), ("swelling", "mild", "mild"), ("adherence", "some", "some"),
    ("adherence", "3", "none of it"), ("pain_rest", "2", "2"), (None, "2", "2"),
])
async def test_a_reply_reaches_rasa_as_the_answer_to_the_question_the_conversation_last_asked(
        fake, store, patient, trackers, asked, reply, meant):
    await bound_with_question(store, patient, trackers, contract.question(asked) if asked else None)
    _, _, reached = await say(channel(WhatsAppInput, fake, store, trackers), fake, reply)
    assert [m.text for m in reached] == [meant]


async def test_replies_go_to_the_number_that_wrote_off_the_event_loop(fake, store, patient, trackers):
    whatsapp = channel(WhatsAppInput, fake, store, trackers)
    reply = CoachTwilioOutput(whatsapp, f"whatsapp:{PHONE}")
    fake.delay = 0.3
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    running = asyncio.create_task(ticker())
    await reply.send_response(patient.sender_id, rendered({"response": "utter_ask_swelling"}))
    running.cancel()
    assert ticks >= 10, "the event loop was blocked while Twilio answered"
    (sent,) = fake.sent()
    assert (sent["To"], sent["From"]) == (f"whatsapp:{PHONE}", f"whatsapp:{NUMBER}")
    assert sent["Body"].endswith("Reply 1 none, 2 mild, 3 marked")


async def test_one_failing_send_does_not_stop_the_others(fake, store, patient, trackers):
    reply = CoachTwilioOutput(channel(SmsInput, fake, store, trackers), PHONE)
    fake.fail_next = [21211]
    for response in ("utter_disclaimer", "utter_ask_side"):
        await reply.send_response(patient.sender_id, rendered({"response": response}))
    assert [r.status for r in fake.requests] == [400, 201]
    assert fake.texts(PHONE)[0].startswith("Which ankle is it")


REMINDER = [rendered({"response": "utter_checkin_reminder"}), rendered({"response": "utter_ask_pain_rest"})]


@pytest.mark.parametrize(("kind", "wrote_hours_ago", "as_template"), [
    (WhatsAppInput, 1, False), (WhatsAppInput, 23, False), (WhatsAppInput, 25, True), (WhatsAppInput, None, True),
    (SmsInput, None, False), (SmsInput, 25, False),
])
async def test_a_message_the_coach_starts_goes_as_the_template_outside_whatsapps_24_hour_window(
        fake, store, patient, trackers, kind, wrote_hours_ago, as_template):
    made = channel(kind, fake, store, trackers)
    address = f"{kind.prefix}{PHONE}"
    store.bind_address(patient.id, made.name(), address)
    now = time.time()
    if wrote_hours_ago is not None:  # when the patient last wrote on this channel
        events = [UserUttered("hi", input_channel=made.name(), timestamp=now - wrote_hours_ago * HOUR),
                  UserUttered("later, on the web", input_channel="socketio", timestamp=now - 60),
                  UserUttered.create_external("EXTERNAL_checkin_reminder", input_channel=made.name())]
        await trackers.save(DialogueStateTracker.from_events(patient.sender_id, events))
    if as_template:
        fake.closed.add(address)  # as Twilio: plain text there would fail with 63016
    output = made.get_output_channel()
    for message in REMINDER:
        await output.send_response(patient.sender_id, message)
    sent = fake.sent(address)
    if as_template:
        assert sent == [{"To": address, "From": made.twilio_number, "ContentSid": TEMPLATE}]
    else:
        assert [m["Body"] for m in sent] == ["Time for today's check-in: it only takes a minute.",
                                             f"{REMINDER[1]['text']}\nReply a number from 0 to 10"]
    assert all(r.status == 201 for r in fake.requests)


@pytest.mark.parametrize(("wrote_hours_ago", "sent"), [(23, True), (25, False)])
async def test_a_clinicians_message_never_goes_as_the_reminders_template(fake, store, patient, trackers,
                                                                         wrote_hours_ago, sent):
    whatsapp = channel(WhatsAppInput, fake, store, trackers)
    address = f"whatsapp:{PHONE}"
    store.bind_address(patient.id, "whatsapp", address)
    events = [UserUttered("hi", input_channel="whatsapp", timestamp=time.time() - wrote_hours_ago * HOUR),
              UserUttered.create_external("EXTERNAL_clinician_message", input_channel="whatsapp")]
    await trackers.save(DialogueStateTracker.from_events(patient.sender_id, events))
    payload = contract.clinician_message("Rest today.", "your clinic")
    message = rendered({"response": "utter_clinician_message", "message_text": payload["text"],
                        "message_from": payload["from"], "custom": payload})
    if sent:
        await whatsapp.get_output_channel().send_response(patient.sender_id, message)
        assert [m["Body"] for m in fake.sent(address)] == ["Message from your clinic: Rest today."]
    else:  # the clinic is told it could not be sent; the patient gets nothing, no reminder either
        with pytest.raises(SendFailed, match="24-hour window"):
            await whatsapp.get_output_channel().send_response(patient.sender_id, message)
        assert fake.sent(address) == []


async def test_a_message_the_coach_starts_fails_loudly_when_it_cannot_be_sent(fake, store, patient, trackers):
    sms = channel(SmsInput, fake, store, trackers)
    with pytest.raises(SendFailed, match="no number"):
        await sms.get_output_channel().send_response(patient.sender_id, REMINDER[0])
    store.bind_address(patient.id, "sms", PHONE)
    fake.refused[PHONE] = 21211
    with pytest.raises(SendFailed, match="did not take"):
        await sms.get_output_channel().send_response(patient.sender_id, REMINDER[0])
    other = chat_links.enrol(store, date.today())
    store.bind_address(other.id, "sms", "+447700900999")
    await sms.get_output_channel().send_response(other.sender_id, REMINDER[0])  # the next patient still gets theirs
    assert fake.texts("+447700900999") == [REMINDER[0]["text"]]


TWILIO_SETTINGS = {"TWILIO_ACCOUNT_SID": "AC" + "a" * 32, settings.TWILIO_TOKEN: "t" * 32,
                   "TWILIO_WEBHOOK_BASE_URL": PUBLIC, "TWILIO_WHATSAPP_NUMBER": NUMBER,
                   "TWILIO_REMINDER_CONTENT_SID": TEMPLATE, "TWILIO_SMS_NUMBER": "+447700900000"}


@pytest.mark.parametrize(("kind", "missing"), [(WhatsAppInput, "TWILIO_ACCOUNT_SID"),
                                               (WhatsAppInput, settings.TWILIO_TOKEN),
                                               (WhatsAppInput, "TWILIO_REMINDER_CONTENT_SID"),
                                               (SmsInput, "TWILIO_SMS_NUMBER"), (SmsInput, "TWILIO_WEBHOOK_BASE_URL")])
def test_a_channel_switched_on_stops_the_server_with_one_line_naming_a_missing_setting(
        monkeypatch, tmp_path, kind, missing):
    monkeypatch.setattr(settings, "SECRETS_FILE", tmp_path / "secrets.env")
    for name, value in TWILIO_SETTINGS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv(missing)
    with pytest.raises(settings.SettingError) as stopped:
        kind.from_credentials(None)
    assert str(stopped.value) == f"setting {missing}: needed by the {kind.name()} channel"
    assert not (tmp_path / "secrets.env").exists()  # Twilio's token is never made up


def test_configured_channels_answer_at_their_own_webhook_from_their_own_number(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'app.sqlite3'}")
    for name, value in TWILIO_SETTINGS.items():
        monkeypatch.setenv(name, value)
    whatsapp, sms = WhatsAppInput.from_credentials(None), SmsInput.from_credentials(None)
    assert (whatsapp.name(), whatsapp.twilio_number, whatsapp.template_sid) == ("whatsapp", f"whatsapp:{NUMBER}",
                                                                                 TEMPLATE)
    assert (sms.name(), sms.twilio_number) == ("sms", "+447700900000")


def test_a_malformed_twilio_setting_stops_every_process_with_one_line():
    env = {"PATH": "", "TWILIO_ACCOUNT_SID": "my-account"}
    result = subprocess.run([sys.executable, "-m", "rehab_coach.cli", "check-knowledge"], capture_output=True,
                            text=True, env=env, timeout=120)
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        'setting TWILIO_ACCOUNT_SID: string does not match regex "AC[0-9a-f]{32}"']


def test_the_clinic_invites_a_patient_by_whatsapp_link_and_sms_text(monkeypatch, store, patient):
    monkeypatch.setenv("TWILIO_WHATSAPP_NUMBER", NUMBER)
    monkeypatch.delenv("TWILIO_SMS_NUMBER", raising=False)
    invite = messaging.phone_invite(patient, date.today())
    assert invite is not None and invite.sms_number is None
    assert invite.whatsapp_link == f"https://wa.me/14155238886?text=START%20{invite.code}"
    assert messaging.inbound(store, "whatsapp", f"whatsapp:{PHONE}", invite.sms_text, date.today()).sender_id == \
        patient.sender_id
    monkeypatch.delenv("TWILIO_WHATSAPP_NUMBER")
    assert messaging.phone_invite(patient, date.today()) is None


def test_phone_invite_prints_the_whatsapp_link_and_the_sms_text(monkeypatch, tmp_path, store, patient, capsys):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'app.sqlite3'}")
    monkeypatch.setenv("TWILIO_WHATSAPP_NUMBER", NUMBER)
    monkeypatch.setenv("TWILIO_SMS_NUMBER", "+447700900000")
    assert cli.main(["phone-invite", str(patient.id)]) == 0
    whatsapp, sms = capsys.readouterr().out.splitlines()
    code = whatsapp.removeprefix("WhatsApp: https://wa.me/14155238886?text=START%20")
    assert chat_links.BIND_CODE.fullmatch(code) and sms == f'SMS: text "START {code}" to +447700900000'
    assert chat_links.redeem(store, code, "sms", "+447700900001", date.today()) == patient
    assert cli.main(["phone-invite", "999"]) == 1
    monkeypatch.delenv("TWILIO_WHATSAPP_NUMBER")
    monkeypatch.delenv("TWILIO_SMS_NUMBER")
    assert cli.main(["phone-invite", str(patient.id)]) == 1
    assert "set TWILIO_WHATSAPP_NUMBER or TWILIO_SMS_NUMBER" in capsys.readouterr().err
