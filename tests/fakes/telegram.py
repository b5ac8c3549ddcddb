"""A fake Telegram Bot API on the loopback interface: it answers the methods the coach calls (sendMessage,
answerCallbackQuery, editMessageReplyMarkup, setWebhook) as Telegram does, records every call, and can refuse to
deliver to a chat (a patient who blocked the bot). `Patient` plays a patient's Telegram app: it posts updates to
the coach's webhook, signed with the webhook secret or not, and reads what the bot sent back.

The coach's real connector talks to it through the TELEGRAM_API_URL setting (aiogram's TelegramAPIServer).
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from tests.fakes.http import Reply, json_reply, serving

TOKEN = "123456:fake-telegram-bot-token"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_ids = itertools.count(1)


@dataclass(frozen=True)
class Call:
    """One Bot API call: the method, its parameters as sent, and what the fake answered."""

    method: str
    params: dict[str, str]
    result: Any = None

    @property
    def chat(self) -> str | None:
        return self.params.get("chat_id")

    @property
    def text(self) -> str:
        return self.params.get("text", "")

    @property
    def buttons(self) -> list[list[tuple[str, str]]]:
        """The inline keyboard's rows of (label, callback data); [] for none."""
        markup = json.loads(self.params.get("reply_markup") or "{}")
        return [[(b["text"], b["callback_data"]) for b in row] for row in markup.get("inline_keyboard", [])]


class FakeTelegram:
    """The Bot API for one bot (`token`), at `url`; `calls` holds every call in order."""

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.calls: list[Call] = []
        self.blocked: set[str] = set()  # chats whose sendMessage fails with 403, as for a blocked bot
        self.lock = threading.Lock()
        self.url = ""  # while running

    @contextmanager
    def running(self) -> Iterator[FakeTelegram]:
        with serving(self._reply) as self.url:
            yield self

    def sent(self, chat: str | int | None = None, method: str = "sendMessage") -> list[Call]:
        with self.lock:
            return [c for c in self.calls if c.method == method and (chat is None or c.chat == str(chat))]

    def _answer(self, method: str, params: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if method == "sendMessage":
            if params.get("chat_id") in self.blocked:
                return 403, {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}
            if not params.get("chat_id", "").lstrip("-").isdigit():
                return 400, {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"}
            return 200, {"ok": True, "result": {"message_id": next(_ids), "date": int(time.time()),
                                                "chat": {"id": int(params["chat_id"]), "type": "private"},
                                                "text": params.get("text", "")}}
        if method in ("answerCallbackQuery", "editMessageReplyMarkup", "setWebhook"):
            return 200, {"ok": True, "result": True}
        return 404, {"ok": False, "error_code": 404, "description": "Not Found: method not found"}

    def _reply(self, path: str, headers: Mapping[str, str], body: str) -> Reply:
        _, bot, method = path.split("/", 2)
        if bot != f"bot{self.token}":
            return json_reply(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        params = {key: values[0] for key, values in urllib.parse.parse_qs(body).items()}
        status, answer = self._answer(method, params)
        with self.lock:
            self.calls.append(Call(method, params, answer.get("result")))
        return json_reply(status, answer)


def message(chat: int, text: str, chat_type: str = "private") -> dict[str, Any]:
    """An update carrying a text message from `chat`."""
    return {"update_id": next(_ids), "message": {"message_id": next(_ids), "date": int(time.time()), "text": text,
                                                 "chat": {"id": chat, "type": chat_type},
                                                 "from": {"id": chat, "is_bot": False, "first_name": "Pat"}}}


def button(chat: int, data: str, message_id: int) -> dict[str, Any]:
    """An update carrying a press of a button whose data is `data`, under the bot's message `message_id`."""
    return {"update_id": next(_ids), "callback_query": {
        "id": str(next(_ids)), "data": data, "chat_instance": "1",
        "from": {"id": chat, "is_bot": False, "first_name": "Pat"},
        "message": {"message_id": message_id, "date": int(time.time()), "chat": {"id": chat, "type": "private"}}}}


def post(webhook: str, update: Any, secret: str | None) -> tuple[int, Any]:
    """Post an update to the coach's webhook, signed with `secret` (None: not signed); status and JSON answer."""
    headers = {"Content-Type": "application/json", **({SECRET_HEADER: secret} if secret is not None else {})}
    request = urllib.request.Request(webhook, data=json.dumps(update).encode(), headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


class Patient:
    """A patient's Telegram app, chatting with the bot in chat `chat`."""

    def __init__(self, fake: FakeTelegram, webhook: str, secret: str, chat: int) -> None:
        self.fake, self.webhook, self.secret, self.chat = fake, webhook, secret, chat
        self.pressed: list[str] = []  # the ids of the button presses sent, for Telegram to be answered

    def _send(self, update: dict[str, Any]) -> list[Call]:
        before = len(self.fake.sent(self.chat))
        status, answer = post(self.webhook, update, self.secret)
        assert status == 200, (status, answer)
        return self.fake.sent(self.chat)[before:]

    def say(self, text: str) -> list[Call]:
        """Type `text`; the messages the bot sent back."""
        return self._send(message(self.chat, text))

    def press(self, label: str) -> list[Call]:
        """Press the button labelled `label` on the bot's latest keyboard; the messages the bot sent back."""
        asked = [c for c in self.fake.sent(self.chat) if c.buttons][-1]
        data = next(data for row in asked.buttons for shown, data in row if shown == label)
        press = button(self.chat, data, asked.result["message_id"])
        self.pressed.append(press["callback_query"]["id"])
        return self._send(press)
