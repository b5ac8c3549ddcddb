"""The patient web chat: socket.io bound to a signed chat link, plus the chat page and widget script.

Differences from Rasa's SocketIOInput, and why:
- A connection needs a valid chat-link token (rehab_coach.services.chat_links) of an enrolled patient (an
  erased patient's links stop working, also mid-conversation); the conversation is the token's subject, and a
  client asking for any other session id is refused. Without a token nothing
  connects, unless anonymous demo mode was switched on (`./coach run --demo`), where a browser gets a
  fresh `demo-...` id that can never be a patient's.
- `enter_room` is awaited. Rasa 3.6 calls the coroutine without awaiting it (RasaHQ/rasa#13027), so
  with session persistence the replies never reach the browser.
- On joining, the server sends the conversation's history from the tracker store: it survives a page
  reload, another device and a server restart, and nothing is kept in the browser's storage.
- A reply's text and its contract payload arrive as one `bot_uttered` message, with a timestamp
  (Rasa's SocketIOOutput emits the payload's keys as arguments of `emit`, which fails on ours).
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.core.channels.socketio import SocketBlueprint
from rasa.shared.core.events import Event
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncRedisManager, AsyncServer
from socketio.exceptions import ConnectionRefusedError as Refused

from rehab_coach import bootstrap, settings
from rehab_coach.adapters.transcripts import conversation, utc_iso
from rehab_coach.paths import PROJECT_ROOT
from rehab_coach.rasa.channels import FAILED_TURN, MAX_MESSAGE
from rehab_coach.services import chat_links

log = logging.getLogger(__name__)

WEB_DIST = PROJECT_ROOT / "web" / "dist"
DEMO_SESSION = re.compile(rf"{chat_links.DEMO_PREFIX}[0-9a-f]{{32}}")
HISTORY_LIMIT = 300
# The page loads only its own script and talks only to its own server; the token in the fragment
# must not leak through a Referer header.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
                               "base-uri 'none'; form-action 'none'; frame-ancestors 'self'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


def history(events: list[Event], limit: int = HISTORY_LIMIT) -> list[dict[str, Any]]:
    """The conversation as the widget shows it: both sides' messages, oldest first, the newest `limit`."""
    return conversation(event.as_dict() for event in events)[-limit:]


def rooms(redis_url: str | None) -> AsyncRedisManager | None:
    """Where the chats' rooms live: this server's memory (None), or Redis, shared by every server."""
    if redis_url is None:
        return None
    return AsyncRedisManager(redis_url, channel="rehab-webchat",
                             redis_options={"password": settings.secret(settings.REDIS_PASSWORD)})


class CoachSocketIOOutput(OutputChannel):
    """Sends each bot message, text and payload together, to every browser tab of the conversation."""

    @classmethod
    def name(cls) -> str:
        return CoachSocketIOInput.name()

    def __init__(self, sio: AsyncServer, event: str = "bot_uttered") -> None:
        self.sio = sio
        self.event = event

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        reply: dict[str, Any] = {"timestamp": utc_iso(time.time())}
        if message.get("text"):
            reply["text"] = message["text"]
        if message.get("custom"):
            reply["custom"] = message["custom"]
        await self.sio.emit(self.event, reply, room=recipient_id)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"text": text})


class CoachSocketIOInput(InputChannel):
    """socket.io at /socket.io, the chat page at /chat/ and the widget at /chat/rehab-chat.js."""

    @classmethod
    def name(cls) -> str:
        return chat_links.WEB_CHAT

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        store = bootstrap.store()
        return cls(lambda: chat_links.keys(date.today()), lambda subject: chat_links.enrolled(store, subject),
                   demo=settings.load().demo)

    def __init__(self, keys: Callable[[], Sequence[str]], enrolled: Callable[[str], bool], demo: bool = False,
                 web_dist: Path = WEB_DIST) -> None:
        self.keys = keys  # read at each connection, so a rotation applies at once
        self.enrolled = enrolled  # whether a token's subject is still an enrolled patient
        self.demo = demo
        self.web_dist = web_dist
        self.sio: AsyncServer | None = None
        self.app: Sanic | None = None

    def url_prefix(self) -> str:
        return "/chat"

    def get_output_channel(self) -> OutputChannel | None:
        """Used by Rasa to push messages that no patient message started (check-in reminders)."""
        return CoachSocketIOOutput(self.sio) if self.sio else None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        # CORS is left to Rasa's --cors; with REDIS_URL set, a message to a chat goes through Redis to the server
        # its browser is connected to (several Rasa servers: README: Several servers)
        sio = AsyncServer(async_mode="sanic", cors_allowed_origins=[], client_manager=rooms(settings.load().redis_url))
        self.sio = sio
        chat = SocketBlueprint(sio, "/socket.io", "coach_webchat", __name__)

        @chat.listener("before_server_start")
        async def remember_app(app: Sanic, _: Any) -> None:
            self.app = app

        @chat.route("/", methods=["GET"])
        async def page(request: Request) -> HTTPResponse:
            return await self._asset("chat.html", "text/html; charset=utf-8", PAGE_HEADERS)

        @chat.route("/rehab-chat.js", methods=["GET"])
        async def script(request: Request) -> HTTPResponse:
            return await self._asset("rehab-chat.js", "text/javascript; charset=utf-8",
                                     {"X-Content-Type-Options": "nosniff"})

        @sio.on("connect")
        async def connect(sid: str, environ: dict, auth: dict | None) -> None:
            token = (auth or {}).get("token") if isinstance(auth, dict) else None
            if token is None and self.demo:
                await sio.save_session(sid, {"subject": None, "expires": None})
                return
            try:
                subject, expires = chat_links.verify(token, *self.keys())
            except chat_links.TokenRefused as refusal:
                raise Refused(str(refusal)) from None
            if not await asyncio.to_thread(self.enrolled, subject):
                raise Refused(chat_links.INVALID)
            await sio.save_session(sid, {"subject": subject, "expires": expires})

        @sio.on("session_request")
        async def session_request(sid: str, data: Any) -> None:
            session = await self._session(sid)
            if session is None:
                return
            asked = data.get("session_id") if isinstance(data, dict) else None
            if session["subject"] is not None:
                if asked and asked != session["subject"]:
                    return await self._refuse(sid, "This conversation belongs to another chat link.")
                session_id = session["subject"]
            else:
                session_id = asked if isinstance(asked, str) and DEMO_SESSION.fullmatch(asked) \
                    else f"{chat_links.DEMO_PREFIX}{uuid.uuid4().hex}"
            session["session_id"] = session_id
            await sio.save_session(sid, session)
            await sio.enter_room(sid, session_id)  # awaited: RasaHQ/rasa#13027
            await sio.emit("session_confirm", session_id, room=sid)
            await sio.emit("history", {"messages": await self._history(session_id)}, room=sid)

        @sio.on("user_uttered")
        async def user_uttered(sid: str, data: Any) -> None:
            session = await self._session(sid)
            if session is None:
                return
            session_id = session.get("session_id")
            if session_id is None:
                return await self._problem(sid, "Send session_request before any message.")
            if isinstance(data, dict) and data.get("session_id") not in (None, session_id):
                return await self._refuse(sid, "This conversation belongs to another chat link.")
            if session["expires"] is not None and session["expires"] <= datetime.now(timezone.utc):
                return await self._refuse(sid, chat_links.EXPIRED)
            if session["subject"] is not None and not await asyncio.to_thread(self.enrolled, session["subject"]):
                return await self._refuse(sid, chat_links.INVALID)
            text = data.get("message") if isinstance(data, dict) else None
            if not isinstance(text, str) or len(text) > MAX_MESSAGE:
                return await self._problem(sid, f"A message must be a text of at most {MAX_MESSAGE} characters.")
            metadata = data.get("metadata")
            message = UserMessage(text, CoachSocketIOOutput(sio), session_id, input_channel=self.name(),
                                  metadata=metadata if isinstance(metadata, dict) else None)
            try:
                await on_new_message(message)
            except Exception as error:  # one failed turn must not end the chat; no text logged
                log.exception("web chat turn failed: %s", type(error).__name__)
                await self._problem(sid, FAILED_TURN)

        return chat

    async def _asset(self, name: str, content_type: str, headers: dict[str, str]) -> HTTPResponse:
        path = self.web_dist / name
        if not path.is_file():
            return response.text("The web chat is not built yet: `./coach run` builds it.", status=503)
        return await response.file(path, mime_type=content_type, headers=headers)

    async def _history(self, session_id: str) -> list[dict[str, Any]]:
        if self.app is None:
            return []
        tracker = await self.app.ctx.agent.tracker_store.retrieve_full_tracker(session_id)
        return history(list(tracker.events)) if tracker else []

    async def _session(self, sid: str) -> dict[str, Any] | None:
        """The connection's session; None when its client has gone (an event can be handled after the disconnect:
        the load's patients leaving mid-message logged a KeyError for each)."""
        assert self.sio is not None
        try:
            return await self.sio.get_session(sid)
        except KeyError:
            return None

    async def _problem(self, sid: str, reason: str) -> None:
        assert self.sio is not None
        await self.sio.emit("chat_error", {"reason": reason}, room=sid)

    async def _refuse(self, sid: str, reason: str) -> None:
        await self._problem(sid, reason)
        assert self.sio is not None
        await self.sio.disconnect(sid)
