"""The Telegram channel: Rasa 3.6's Telegram connector, with what a health product cannot ship without.

Rasa's TelegramInput and TelegramOutput, and what is different here:
- Updates are verified. Telegram sends the secret given to setWebhook (TELEGRAM_WEBHOOK_SECRET) in the
  X-Telegram-Bot-Api-Secret-Token header; without it, or with another, the answer is 403 and nothing is stored
  or sent. The stock connector accepts anyone's update (it only asks getMe, at every update, for the bot's name).
- Proactive sends work (reminders through trigger_intent): the stock get_output_channel() runs
  asyncio.run(set_webhook) inside the running server and fails (RasaHQ/rasa PR #13040, never merged). Here it
  returns the bot, which sends a conversation's messages to the chat bound to it.
- Only private chats' texts and button presses reach the coach; other updates (edits, channel posts, membership
  changes, photos, groups) get 200 and are dropped, where the stock connector answers 500.
- Button presses are answered (answerCallbackQuery), so the button stops spinning, and their keyboard goes.
- The reply contract is rendered: a question's answers as an inline keyboard whose buttons send the answer
  (never an `/intent`), an escalation's heading first, in bold, with its urgency's sign; the text of every reply
  (plans and exercise steps are readable text) is kept whole.
- Nothing calls api.telegram.org at start (aiogram's Bot asks nothing until a message is sent);
  `./coach telegram-webhook --url https://...` registers the webhook with the secret.
- Identity: a chat talks as the patient it is bound to (rehab_coach.services.messaging), with their one
  conversation id. `/start <code>` (the clinic's deep link) binds it; any other chat gets a line asking for the
  clinic's link and nothing reaches Rasa.
- No message text, chat id or token is logged (aiogram logs requests at debug level: kept at info).
"""

from __future__ import annotations

import asyncio
import hmac
import html
import json
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from aiogram import Bot
from aiogram.bot.api import TelegramAPIServer
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.exceptions import TelegramAPIError
from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.core.channels.telegram import TelegramInput, TelegramOutput
from sanic import Blueprint, response
from sanic.exceptions import SanicException
from sanic.request import Request
from sanic.response import HTTPResponse

from rehab_coach import bootstrap, settings
from rehab_coach.services import messaging

log = logging.getLogger(__name__)
logging.getLogger("aiogram").setLevel(logging.INFO)  # its debug lines hold message texts and chat ids

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
WEBHOOK_PATH = "/webhooks/telegram/webhook"
ALLOWED_UPDATES = ["message", "callback_query"]
MAX_TEXT = 4096  # characters in one Telegram message
SIGNS = {"emergency": "🚨", "urgent": "⚠️", "routine": "🩺"}
# Choices whose bare word reads badly on a button (as in the web chat).
CHOICE_WORDS = {("adherence", "all"): "All of it", ("adherence", "some"): "Some of it",
                ("adherence", "none"): "None of it", ("sport", "other"): "Something else"}
BOLD = re.compile(r"\*\*(.+?)\*\*")


def keyboard(payload: dict[str, Any]) -> InlineKeyboardMarkup | None:
    """A question's answers as buttons, each sending its answer: the value, or a named choice's name (an
    exercise's or activity's, which the coach reads like a typed one)."""
    if payload.get("kind") != "question":
        return None
    kind, field = payload.get("type"), payload.get("field", "")
    if kind == "scale":
        answers, width = [(str(n), str(n)) for n in range(payload.get("min", 0), payload.get("max", 10) + 1)], 6
    elif kind == "yesno":
        answers, width = [("Yes", "yes"), ("No", "no")], 2
    elif kind == "choice" and payload.get("labels"):
        answers, width = [(label, label) for label in payload["labels"]], 1
    elif kind == "choice":
        answers = [(CHOICE_WORDS.get((field, value), value.replace("_", " ").capitalize()), value)
                   for value in payload.get("choices", [])]
        width = 3
    else:
        return None
    return InlineKeyboardMarkup(row_width=width).add(
        *(InlineKeyboardButton(label, callback_data=data) for label, data in answers))


def render(message: dict[str, Any]) -> tuple[str, InlineKeyboardMarkup | None]:
    """A bot message as Telegram HTML, and its keyboard: the text whole (Markdown bold made bold), after an
    escalation's heading (upper case when it cannot wait)."""
    payload = message.get("custom") or {}
    text = BOLD.sub(r"<b>\1</b>", html.escape(message.get("text") or "", quote=False))
    if payload.get("kind") == "escalation":
        urgency = payload.get("urgency", "")
        heading = payload.get("heading") or urgency.capitalize()
        shown = heading if urgency == "routine" else heading.upper()
        text = f"{SIGNS.get(urgency, '')} <b>{html.escape(shown, quote=False)}</b>\n{text}".strip()
    return text, keyboard(payload)


def chunks(text: str, limit: int = MAX_TEXT) -> list[str]:
    """The text as messages Telegram takes (at most `limit` characters each), split between lines."""
    parts = [""]
    for line in text.split("\n"):
        if parts[-1] and len(parts[-1]) + 1 + len(line) > limit:
            parts.append(line)
        else:
            parts[-1] = f"{parts[-1]}\n{line}" if parts[-1] else line
    return parts


class CoachTelegramOutput(TelegramOutput):
    """The bot, on the configured Bot API: sends the coach's messages rendered, and a conversation's messages
    (those no patient message started: reminders) to the chat bound to it."""

    def __init__(self, token: str, api_url: str, store: Any) -> None:
        Bot.__init__(self, token, server=TelegramAPIServer.from_base(api_url))
        self.store = store  # rehab_coach.bootstrap.store(): the bound chats

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        """A message no patient message started (a reminder): a failure, or no bound chat, fails the turn, so the
        scheduler knows the patient was not reached and tries again."""
        chat = await asyncio.to_thread(messaging.address, self.store, recipient_id, messaging.TELEGRAM)
        if chat is None:
            raise LookupError("no Telegram chat is bound to the conversation")
        await self.send_to(chat, message, quietly=False)

    async def send_to(self, chat: str, message: dict[str, Any], quietly: bool = True) -> None:
        """Send one bot message (`quietly`: a failure is logged, and the turn and the messages after it go on)."""
        text, markup = render(message)
        parts = chunks(text) if text else []
        for n, part in enumerate(parts, start=1):
            sending = self.send_message(chat, part, parse_mode="HTML", disable_web_page_preview=True,
                                        reply_markup=markup if n == len(parts) else None)
            await (_quietly(sending) if quietly else sending)


class ChatReplies(OutputChannel):
    """The replies to a patient's message go back to the chat it came from."""

    def __init__(self, bot: CoachTelegramOutput, chat: str) -> None:
        self.bot = bot
        self.chat = chat

    @classmethod
    def name(cls) -> str:
        return messaging.TELEGRAM

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        await self.bot.send_to(self.chat, message)


@dataclass(frozen=True)
class Update:
    """What an update brings the coach."""

    chat: str  # the private chat's id: the address a patient is bound by
    text: str  # typed, or the pressed button's data
    callback: str | None = None  # the button press to answer
    message_id: int | None = None  # the message whose button was pressed


def read_update(body: Any) -> Update | None:
    """A private chat's text or button press; None for any other update (edits, channel posts, membership changes,
    photos, groups); ValueError with a reason for a body that is not an update."""
    if not isinstance(body, dict) or not isinstance(body.get("update_id"), int):
        raise ValueError("the body must be a Telegram Update: a JSON object with an integer update_id")
    press = body["callback_query"] if isinstance(body.get("callback_query"), dict) else None
    message = body.get("message") if press is None else press.get("message")
    if message is None:
        return None
    chat = message.get("chat") if isinstance(message, dict) else None
    if not isinstance(chat, dict) or not isinstance(chat.get("id"), int):
        raise ValueError("a message must have a chat with an integer id")
    if press is not None and not isinstance(press.get("id"), str):
        raise ValueError("a callback query must have an id")
    text = message.get("text") if press is None else press.get("data")
    if chat.get("type") != "private" or not isinstance(text, str):
        return None
    if press is None:
        return Update(str(chat["id"]), text)
    return Update(str(chat["id"]), text, press["id"], message.get("message_id"))


class CoachTelegramInput(TelegramInput):
    """POST /webhooks/telegram/webhook, signed by Telegram; bound chats talk as their patient."""

    def __init__(self, bot: CoachTelegramOutput, secret: str) -> None:
        self.bot = bot
        self.expected = secret.encode()

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> CoachTelegramInput:
        bot = CoachTelegramOutput(settings.telegram_token(), settings.load().telegram_api_url, bootstrap.store())
        return cls(bot, settings.secret(settings.TELEGRAM_WEBHOOK_SECRET))

    def get_output_channel(self) -> CoachTelegramOutput:
        """Used by Rasa for messages no patient message started (trigger_intent with output_channel=latest)."""
        return self.bot

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("coach_telegram_webhook", __name__)

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                body = request.json
            except SanicException:
                body = None
            return await self.receive(request.headers.get(SECRET_HEADER, ""), body, on_new_message)

        return webhook

    async def receive(self, secret: str, body: Any, on_new_message: Callable[[UserMessage], Awaitable[Any]]
                      ) -> HTTPResponse:
        """One webhook call: 403 unless Telegram signed it, 400 for a body that is not an update, else 200 (a
        failed turn too: Telegram would send the update again)."""
        if not hmac.compare_digest(secret.encode(), self.expected):
            return response.json({"error": f"a valid {SECRET_HEADER} header is required"}, status=403)
        try:
            update = read_update(body)
        except ValueError as problem:
            return response.json({"error": str(problem)}, status=400)
        if update is not None:
            await self.handle(update, on_new_message)
        return response.json({"status": "ok"})

    async def handle(self, update: Update, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        """A bound chat's message goes to Rasa as its patient's; `/start <code>` binds a chat first; any other chat
        is asked for the clinic's link."""
        if update.callback is not None:
            await _quietly(self.bot.answer_callback_query(update.callback))
            await _quietly(self.bot.edit_message_reply_markup(update.chat, update.message_id))
        found = await asyncio.to_thread(messaging.inbound, self.bot.store, messaging.TELEGRAM, update.chat,
                                        update.text, date.today())
        if found.refusal:
            return await _quietly(self.bot.send_message(update.chat, found.refusal))
        text = found.text.lstrip("/")  # "/help" is a word, not an intent
        try:
            await on_new_message(UserMessage(text, ChatReplies(self.bot, update.chat), found.sender_id,
                                             input_channel=self.name()))
        except Exception as error:  # one failed turn must not take the channel down; no text logged
            log.exception("Telegram turn failed: %s", type(error).__name__)


async def _quietly(call: Awaitable[Any]) -> None:
    """A call to Telegram whose failure must not stop what follows (logged by type only)."""
    try:
        await call
    except TelegramAPIError as error:
        log.warning("a Telegram call failed: %s", type(error).__name__)


async def register_webhook(public_url: str) -> str:
    """Have Telegram post the bot's updates (messages and button presses) to this coach's webhook under
    `public_url`, signed with TELEGRAM_WEBHOOK_SECRET; the webhook's URL."""
    url = f"{public_url.rstrip('/')}{WEBHOOK_PATH}"
    bot = Bot(settings.telegram_token(), server=TelegramAPIServer.from_base(settings.load().telegram_api_url))
    try:  # aiogram 2.15 predates the Bot API's secret_token (6.1), so the method is called by name
        await bot.request("setWebhook", {"url": url, "allowed_updates": json.dumps(ALLOWED_UPDATES),
                                         "secret_token": settings.secret(settings.TELEGRAM_WEBHOOK_SECRET)})
    finally:
        await bot.close()
    return url
