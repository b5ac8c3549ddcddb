"""The Telegram channel against a fake Bot API: the reply contract rendered, the webhook refusing what Telegram did
not sign, ignoring what carries no message, binding chats by the clinic's code, and sending what no message
started. The connector is the real one; only Telegram is fake (tests/fakes/telegram.py)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from aiogram.utils.exceptions import TelegramAPIError
from rasa.core.channels.channel import UserMessage

from rehab_coach import cli, settings
from rehab_coach.adapters.storage import Store, make_engine, upgrade
from rehab_coach.core import contract
from rehab_coach.rasa.telegram import CoachTelegramInput, CoachTelegramOutput, chunks, keyboard, render
from rehab_coach.services import chat_links, messaging
from tests.fakes.telegram import TOKEN, FakeTelegram, button, message

SECRET = "the-webhook-secret"
CHAT = 4242


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegram().running() as running:
        yield running


@pytest.fixture
def store(tmp_path, monkeypatch) -> Store:
    url = f"sqlite:///{tmp_path / 'app.sqlite3'}"
    upgrade(url)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv(chat_links.KEY_NAME, "telegram-test-key-" + "x" * 20)
    return Store(make_engine(url))


@pytest.fixture
async def channel(fake: FakeTelegram, store: Store) -> AsyncIterator[CoachTelegramInput]:
    bot = CoachTelegramOutput(TOKEN, fake.url, store)
    yield CoachTelegramInput(bot, SECRET)
    await bot.close()


class Coach:
    """Stands in for Rasa: hears each message and answers it through the message's output channel."""

    def __init__(self, replies: int = 1) -> None:
        self.heard: list[UserMessage] = []
        self.replies = replies

    async def __call__(self, heard: UserMessage) -> None:
        self.heard.append(heard)
        for n in range(self.replies):
            await heard.output_channel.send_response(heard.sender_id, {"text": f"reply {n} to {heard.text}"})


def buttons(markup: Any) -> list[list[tuple[str, str]]]:
    return [[(b.text, b.callback_data) for b in row] for row in markup.inline_keyboard]


# --- the reply contract, as Telegram shows it ---------------------------------------------------------------------

def test_a_pain_scale_is_eleven_buttons_sending_the_number():
    text, markup = render({"text": "How much does it hurt now, 0 to 10?", "custom": contract.question("pain_rest")})
    assert text == "How much does it hurt now, 0 to 10?"
    assert buttons(markup) == [[(str(n), str(n)) for n in range(6)], [(str(n), str(n)) for n in range(6, 11)]]


@pytest.mark.parametrize(("field", "expected"), [
    ("side", [("Left", "left"), ("Right", "right"), ("Both", "both")]),
    ("swelling", [("None", "none"), ("Mild", "mild"), ("Marked", "marked")]),
    ("mechanical", [("None", "none"), ("Catching", "catching"), ("Locking", "locking"), ("Giving way", "giving_way")]),
    ("adherence", [("All of it", "all"), ("Some of it", "some"), ("None of it", "none")]),
    ("sport", [("Dance", "dance"), ("Running", "running"), ("Football", "football"), ("Something else", "other")]),
    ("diagnosed", [("Yes", "yes"), ("No", "no")]),
])
def test_choices_and_yes_no_are_buttons_sending_the_answer(field, expected):
    markup = keyboard(contract.question(field))
    assert [b for row in buttons(markup) for b in row] == expected


def test_named_choices_show_and_send_the_names_one_a_row(knowledge):
    payload = contract.choice("exercise", [("calf_stretch_step", "Calf stretch on a step"),
                                           ("heel_raise", "Heel raises")])
    assert buttons(keyboard(payload)) == [[("Calf stretch on a step", "Calf stretch on a step")],
                                          [("Heel raises", "Heel raises")]]
    # Telegram refuses a button whose data is over 64 bytes.
    names = [e.name for e in knowledge.exercises.values()] + [a.name for a in knowledge.activities.values()]
    assert max(len(name.encode()) for name in names) <= 64


@pytest.mark.parametrize("kind", ["number", "text"])
def test_free_answers_get_no_keyboard(kind):
    assert keyboard({"kind": "question", "field": "note", "type": kind}) is None


PLAN_TEXT = ("Today's plan: phase 1 of 5, Settle.\n• Calf stretch on a step: 3 × 30 s hold, twice a day\n"
             "• Towel scrunches: 2 × 10\nAvoid today: running, jumping, pointe work and 11 more.\n"
             "Why: starting at phase 1.")


@pytest.mark.parametrize(("text", "payload"), [
    (PLAN_TEXT, {"kind": "plan", "phase_number": 1, "exercises": []}),
    ("Thanks, today's check-in is saved: an amber day (pain during exercise 4/10).",
     {"kind": "checkin_recorded", "day_class": "amber"}),
    ("Running: best avoided for now. It loads the back of the ankle.", {"kind": "activity_advice", "verdict": "avoid"}),
    ("Calf stretch on a step\n1. Stand on a step.\n2. Let the heel drop.\nYour dose today: 3 × 30 s.",
     {"kind": "exercise_info", "steps": ["Stand on a step.", "Let the heel drop."]}),
    ("Day 14 since you started: 12 check-ins, now in phase 2 of 5 (Restore).", {"kind": "progress", "days": 14}),
])
def test_plans_steps_and_other_replies_are_their_text_whole_with_no_keyboard(text, payload):
    assert render({"text": text, "custom": payload}) == (text, None)


@pytest.mark.parametrize(("urgency", "heading", "first_line"), [
    ("emergency", "Call your local emergency number now", "🚨 <b>CALL YOUR LOCAL EMERGENCY NUMBER NOW</b>"),
    ("urgent", "See a doctor today", "⚠️ <b>SEE A DOCTOR TODAY</b>"),
    ("routine", "Book a physiotherapist or doctor", "🩺 <b>Book a physiotherapist or doctor</b>"),
])
def test_an_escalation_leads_with_its_heading_and_keeps_its_text(urgency, heading, first_line):
    text = "**This could be an emergency: call the emergency number now (999, 112 or 911).** Calf swollen & hot"
    shown, markup = render({"text": text, "custom": {"kind": "escalation", "urgency": urgency, "heading": heading,
                                                     "reasons": ["calf swollen and hot"]}})
    assert shown.split("\n") == [first_line, "<b>This could be an emergency: call the emergency number now "
                                             "(999, 112 or 911).</b> Calf swollen &amp; hot"]
    assert markup is None


def test_text_is_escaped_and_rasa_buttons_never_show_an_intent():
    shown, markup = render({"text": "Pain <3? Say yes", "buttons": [{"title": "Yes", "payload": "/affirm"}]})
    assert shown == "Pain &lt;3? Say yes" and markup is None


def test_a_long_reply_is_split_between_lines_into_messages_telegram_takes():
    text = "\n".join(f"• sign number {n} " + "x" * 80 for n in range(60))
    parts = chunks(text)
    assert len(parts) == 2 and all(len(part) <= 4096 for part in parts) and "\n".join(parts) == text


# --- the webhook --------------------------------------------------------------------------------------------------

async def test_an_update_without_the_secret_or_with_another_is_refused_and_nothing_happens(channel, fake, store):
    patient = chat_links.enrol(store, date.today())
    start = message(CHAT, f"/start {chat_links.binding_code(patient, date.today())}")
    coach = Coach()
    for secret in ("", "a-forged-secret", SECRET[:-1], SECRET + "x"):
        answer = await channel.receive(secret, start, coach)
        assert answer.status == 403 and b"X-Telegram-Bot-Api-Secret-Token" in answer.body
    assert coach.heard == [] and fake.calls == [] and store.patient_at(messaging.TELEGRAM, str(CHAT)) is None


@pytest.mark.parametrize("body", [
    None, [], "hi", {}, {"message": {"chat": {"id": 1, "type": "private"}, "text": "hi"}}, {"update_id": "1"},
    {"update_id": 1, "message": "hi"}, {"update_id": 1, "message": {"chat": {"id": "1"}, "text": "hi"}},
    {"update_id": 1, "callback_query": {"data": "4", "message": {"chat": {"id": 1, "type": "private"}}}},
])
async def test_a_body_that_is_not_an_update_gets_400_and_a_reason(channel, fake, body):
    coach = Coach()
    answer = await channel.receive(SECRET, body, coach)
    assert answer.status == 400 and json.loads(answer.body)["error"]
    assert coach.heard == [] and fake.calls == []


@pytest.mark.parametrize("update", [
    {"update_id": 1, "edited_message": message(CHAT, "edited")["message"]},
    {"update_id": 2, "channel_post": {"message_id": 1, "date": 0, "text": "x",
                                      "chat": {"id": -100, "type": "channel"}}},
    {"update_id": 3, "my_chat_member": {"chat": {"id": CHAT, "type": "private"}, "date": 0}},
    {"update_id": 4, "message": {"message_id": 1, "date": 0, "chat": {"id": CHAT, "type": "private"}, "sticker": {}}},
    message(-555, "/start 1-20990101-AAAAAAAAAAAAAAAA", chat_type="group"),
])
async def test_updates_without_a_private_text_are_dropped_with_200(channel, fake, store, update):
    coach = Coach()
    assert (await channel.receive(SECRET, update, coach)).status == 200
    assert coach.heard == [] and fake.calls == []


async def test_an_unknown_chat_is_asked_for_the_clinics_link_and_nothing_reaches_the_coach(channel, fake, store):
    coach = Coach()
    for text in ("hi", "/start", "my calf is swollen and hot"):
        assert (await channel.receive(SECRET, message(CHAT, text), coach)).status == 200
    assert [c.text for c in fake.sent(CHAT)] == [chat_links.MISSING] * 3
    assert coach.heard == [] and store.patient_at(messaging.TELEGRAM, str(CHAT)) is None


async def test_a_wrong_or_expired_code_binds_nothing(channel, fake, store):
    patient = chat_links.enrol(store, date.today())
    expired = chat_links.binding_code(patient, date.today() - timedelta(days=30))
    coach = Coach()
    for text in ("/start 1-20990101-AAAAAAAAAAAAAAAA", f"/start {expired}"):
        await channel.receive(SECRET, message(CHAT, text), coach)
    assert [c.text for c in fake.sent(CHAT)] == [chat_links.INVALID, chat_links.EXPIRED]
    assert coach.heard == [] and store.patient_at(messaging.TELEGRAM, str(CHAT)) is None


async def test_the_clinics_code_binds_the_chat_which_then_talks_as_its_patient(channel, fake, store):
    patient = chat_links.enrol(store, date.today())
    coach = Coach()
    code = chat_links.binding_code(patient, date.today())
    await channel.receive(SECRET, message(CHAT, f"/start {code}"), coach)
    await channel.receive(SECRET, message(CHAT, "/help"), coach)
    await channel.receive(SECRET, message(CHAT, "/start"), coach)
    await channel.receive(SECRET, message(CHAT, f"/start {code}"), coach)  # the link opened again: used, but here
    assert [(m.text, m.sender_id, m.input_channel) for m in coach.heard] == [
        ("hi", patient.sender_id, "telegram"), ("help", patient.sender_id, "telegram"),
        ("hi", patient.sender_id, "telegram"), ("hi", patient.sender_id, "telegram")]
    assert [c.text for c in fake.sent(CHAT)] == ["reply 0 to hi", "reply 0 to help", "reply 0 to hi", "reply 0 to hi"]
    assert store.patient_at(messaging.TELEGRAM, str(CHAT)) == patient
    await channel.receive(SECRET, message(CHAT + 1, f"/start {code}"), coach)  # someone else with the used code
    assert [c.text for c in fake.sent(CHAT + 1)] == [chat_links.USED]
    assert len(coach.heard) == 4 and store.patient_at(messaging.TELEGRAM, str(CHAT + 1)) is None


async def test_a_button_press_is_answered_its_keyboard_removed_and_its_data_said(channel, fake, store):
    patient = chat_links.enrol(store, date.today())
    store.bind_address(patient.id, messaging.TELEGRAM, str(CHAT))
    coach = Coach()
    press = button(CHAT, "4", message_id=77)
    await channel.receive(SECRET, press, coach)
    assert [(m.text, m.sender_id) for m in coach.heard] == [("4", patient.sender_id)]
    assert [c.params["callback_query_id"] for c in fake.sent(method="answerCallbackQuery")] == \
           [press["callback_query"]["id"]]
    assert [(c.chat, c.params["message_id"]) for c in fake.sent(method="editMessageReplyMarkup")] == [(str(CHAT), "77")]


async def test_a_failing_send_does_not_stop_the_turn_or_the_messages_after_it(channel, fake, store):
    patient = chat_links.enrol(store, date.today())
    store.bind_address(patient.id, messaging.TELEGRAM, str(CHAT))
    fake.blocked.add(str(CHAT))
    coach = Coach(replies=2)
    assert (await channel.receive(SECRET, message(CHAT, "hi"), coach)).status == 200
    assert [c.text for c in fake.sent(CHAT)] == ["reply 0 to hi", "reply 1 to hi"]  # both tried, both refused


async def test_a_message_no_patient_started_goes_to_the_conversations_chat(channel, fake, store):
    """RasaHQ/rasa PR #13040: the stock get_output_channel() calls asyncio.run, which fails in a running loop."""
    patient = chat_links.enrol(store, date.today())
    store.bind_address(patient.id, messaging.TELEGRAM, str(CHAT))
    output = channel.get_output_channel()
    await output.send_response(patient.sender_id, {"text": "Time for today's check-in",
                                                   "custom": contract.question("pain_rest")})
    [sent] = fake.sent()
    assert (sent.chat, sent.text, len(sent.buttons)) == (str(CHAT), "Time for today's check-in", 2)


async def test_a_message_no_patient_started_fails_the_turn_when_it_cannot_reach_the_patient(channel, fake, store):
    """So the scheduler knows the reminder did not arrive, and tries again (a reply to a patient's message is sent
    quietly instead: the turn goes on)."""
    patient, other = chat_links.enrol(store, date.today()), chat_links.enrol(store, date.today())
    store.bind_address(patient.id, messaging.TELEGRAM, str(CHAT))
    output = channel.get_output_channel()
    with pytest.raises(LookupError):
        await output.send_response(other.sender_id, {"text": "nobody's chat"})
    fake.blocked.add(str(CHAT))
    with pytest.raises(TelegramAPIError):
        await output.send_response(patient.sender_id, {"text": "Time for today's check-in"})


# --- configuration: nothing asked of Telegram at start, the webhook registered by a command ------------------------

def test_the_channel_starts_without_calling_telegram(fake, store, monkeypatch):
    monkeypatch.setenv(settings.TELEGRAM_TOKEN, TOKEN)
    monkeypatch.setenv(settings.TELEGRAM_WEBHOOK_SECRET, SECRET)
    monkeypatch.setenv("TELEGRAM_API_URL", "http://127.0.0.1:9")  # nothing listens there
    channel = CoachTelegramInput.from_credentials(None)
    channel.blueprint(Coach())
    assert channel.get_output_channel() is channel.get_output_channel()
    assert fake.calls == []


@pytest.mark.parametrize(("token", "problem"), [
    (None, "setting TELEGRAM_TOKEN: missing"), ("not-a-token", "setting TELEGRAM_TOKEN: not a bot token")])
def test_a_missing_or_malformed_token_stops_with_one_line(token, problem, monkeypatch, tmp_path):
    monkeypatch.setattr(settings, "SECRETS_FILE", tmp_path / "secrets.env")
    if token is None:
        monkeypatch.delenv(settings.TELEGRAM_TOKEN, raising=False)
    else:
        monkeypatch.setenv(settings.TELEGRAM_TOKEN, token)
    with pytest.raises(settings.SettingError, match=problem) as stopped:
        settings.telegram_token()
    assert "\n" not in str(stopped.value) and not (tmp_path / "secrets.env").exists()


def test_telegram_webhook_registers_the_signed_webhook(fake, monkeypatch, capsys):
    for name, value in {"TELEGRAM_BOT_USERNAME": "RehabCoachBot", settings.TELEGRAM_TOKEN: TOKEN,
                        settings.TELEGRAM_WEBHOOK_SECRET: SECRET, "TELEGRAM_API_URL": fake.url}.items():
        monkeypatch.setenv(name, value)
    assert cli.main(["telegram-webhook", "--url", "https://coach.example/"]) == 0
    [call] = fake.calls
    assert call.method == "setWebhook" and call.params == {
        "url": "https://coach.example/webhooks/telegram/webhook", "secret_token": SECRET,
        "allowed_updates": '["message", "callback_query"]'}
    assert "https://coach.example/webhooks/telegram/webhook" in capsys.readouterr().out
    assert cli.main(["telegram-webhook", "--url", "http://coach.example"]) == 1  # Telegram posts over HTTPS only
    assert len(fake.calls) == 1


def test_telegram_webhook_without_telegram_configured_says_so(monkeypatch, capsys):
    monkeypatch.delenv("TELEGRAM_BOT_USERNAME", raising=False)
    assert cli.main(["telegram-webhook", "--url", "https://coach.example"]) == 1
    assert "TELEGRAM_BOT_USERNAME" in capsys.readouterr().err


def test_chat_link_prints_the_telegram_link_that_binds_the_patients_chat(store, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TRACKER_DATABASE_URL", f"sqlite:///{tmp_path / 'tracker.sqlite3'}")
    monkeypatch.setenv(settings.RASA_TOKEN, "a-rasa-token")
    patient = chat_links.enrol(store, date.today())
    monkeypatch.delenv("TELEGRAM_BOT_USERNAME", raising=False)
    assert cli.main(["chat-link", str(patient.id), "--channel", "telegram"]) == 1
    assert "TELEGRAM_BOT_USERNAME" in capsys.readouterr().err
    monkeypatch.setenv("TELEGRAM_BOT_USERNAME", "RehabCoachBot")
    assert cli.main(["chat-link", str(patient.id), "--channel", "telegram"]) == 0
    link, valid = capsys.readouterr()
    assert link.startswith("https://t.me/RehabCoachBot?start=") and "14 days" in valid
    code = link.strip().split("?start=")[1]
    assert chat_links.redeem(store, code, messaging.TELEGRAM, str(CHAT), date.today() + timedelta(days=14)) == patient
