"""The web chat's socket.io channel against the real servers: bound to the chat link, isolated, persistent."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import socketio

from rehab_coach.services import chat_links
from tests.e2e.conftest import VALIDATOR, Deployment, tampered, token_from

pytestmark = pytest.mark.slow


class Browserless:
    """A socket.io client that records every event it receives, in order.

    Long-polling: python-engineio's websocket client needs a newer aiohttp than Rasa 3.6 pins; the
    browser tests cover the websocket transport.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.client = socketio.AsyncClient(reconnection=False)
        self.inbox: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        self.client.on("*", self._record)
        self.client.on("connect_error", lambda data: self.inbox.put_nowait(("connect_error", data)))
        self.client.on("disconnect", lambda *reason: self.inbox.put_nowait(("disconnect", reason)))

    async def _record(self, event: str, data: Any) -> None:
        await self.inbox.put((event, data))

    async def open(self, token: str | None, session_id: str | None = None) -> str:
        """Connect and ask for the conversation; the confirmed session id."""
        await self.client.connect(self.url, auth={"token": token} if token else {}, transports=["polling"],
                                  socketio_path="/socket.io", wait_timeout=15)
        await self.client.emit("session_request", {"session_id": session_id} if session_id else {})
        return str(await self.next("session_confirm"))

    async def refusal(self, token: str | None) -> str:
        """The reason the server gives for refusing to connect with this token."""
        await self.client.connect(self.url, auth={"token": token} if token else {}, transports=["polling"],
                                  wait=False)
        reason = str((await self.next("connect_error"))["message"])
        await self.close()
        return reason

    async def next(self, event: str, timeout: float = 60) -> Any:
        """The data of the next `event`; other events before it are dropped."""
        async with asyncio.timeout(timeout) if hasattr(asyncio, "timeout") else _deadline(timeout):
            while True:
                name, data = await self.inbox.get()
                if name == event:
                    return data

    async def say(self, text: str, until_kind: str) -> list[dict]:
        """Send a message; the bot messages up to the first carrying a `until_kind` payload."""
        await self.client.emit("user_uttered", {"message": text})
        replies = []
        while not replies or (replies[-1].get("custom") or {}).get("kind") != until_kind:
            reply = await self.next("bot_uttered")
            assert "timestamp" in reply and (reply.get("text") or reply.get("custom"))
            if reply.get("custom"):
                assert not list(VALIDATOR.iter_errors(reply["custom"]))
            replies.append(reply)
        return replies

    async def close(self) -> None:
        """Drop the connection at once (a polite disconnect waits out the long-poll, ~25 s)."""
        await self.client.eio.disconnect(abort=True)


def _deadline(seconds: float) -> Any:
    """asyncio.timeout for Python 3.10."""
    return _Timeout(seconds)


class _Timeout:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    async def __aenter__(self) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.handle = asyncio.get_running_loop().call_later(self.seconds, task.cancel)

    async def __aexit__(self, *exc: Any) -> None:
        self.handle.cancel()


@pytest.fixture(scope="module")
def servers(deployment: Deployment):
    with deployment.start() as running:
        yield running


async def test_without_a_valid_chat_link_nothing_connects(servers, deployment):
    patient, link = deployment.enrol()
    assert await Browserless(servers.rasa_url).refusal(None) == chat_links.MISSING
    assert await Browserless(servers.rasa_url).refusal(deployment.expired_token(patient)) == chat_links.EXPIRED
    assert await Browserless(servers.rasa_url).refusal(tampered(token_from(link))) == chat_links.INVALID
    foreign = chat_links.issue(patient.sender_id, "a key this deployment never used!!", datetime.now(timezone.utc),
                               timedelta(days=1))
    assert await Browserless(servers.rasa_url).refusal(foreign) == chat_links.INVALID


async def test_the_conversation_is_the_links_patient_and_replies_arrive(servers, deployment):
    """With session persistence the replies go to the conversation's room: RasaHQ/rasa#13027 left it unjoined."""
    patient, link = deployment.enrol()
    chat = Browserless(servers.rasa_url)
    assert await chat.open(token_from(link)) == patient.sender_id
    assert (await chat.next("history")) == {"messages": []}
    replies = await chat.say("hi", until_kind="question")
    assert replies[-1]["custom"]["field"] == "side"
    await chat.close()


async def test_asking_for_another_conversation_is_refused(servers, deployment):
    (_, mine), (theirs, _) = deployment.enrol(), deployment.enrol()
    chat = Browserless(servers.rasa_url)
    await chat.client.connect(servers.rasa_url, auth={"token": token_from(mine)}, transports=["polling"])
    await chat.client.emit("session_request", {"session_id": theirs.sender_id})
    assert "another chat link" in (await chat.next("chat_error"))["reason"]
    await chat.next("disconnect")


async def test_a_message_naming_another_conversation_is_refused(servers, deployment):
    (_, mine), (theirs, _) = deployment.enrol(), deployment.enrol()
    chat = Browserless(servers.rasa_url)
    await chat.open(token_from(mine))
    await chat.client.emit("user_uttered", {"message": "hi", "session_id": theirs.sender_id})
    assert "another chat link" in (await chat.next("chat_error"))["reason"]
    await chat.next("disconnect")


async def test_a_malformed_message_gets_a_reason_and_the_chat_goes_on(servers, deployment):
    _, link = deployment.enrol()
    chat = Browserless(servers.rasa_url)
    await chat.open(token_from(link))
    for bad in ({"message": 42}, {"message": "x" * 10_001}, "hi"):
        await chat.client.emit("user_uttered", bad)
        assert "at most 10000 characters" in (await chat.next("chat_error"))["reason"]
    assert (await chat.say("hi", until_kind="question"))[-1]["custom"]["field"] == "side"
    await chat.close()


async def test_history_comes_back_on_a_new_connection_and_reaches_no_one_else(servers, deployment):
    (_, first_link), (_, second_link) = deployment.enrol(), deployment.enrol()
    first, second = Browserless(servers.rasa_url), Browserless(servers.rasa_url)
    await first.open(token_from(first_link))
    await second.open(token_from(second_link))
    await first.say("hi", until_kind="question")
    await first.say("left", until_kind="question")
    await first.close()

    again = Browserless(servers.rasa_url)
    await again.open(token_from(first_link))
    messages = (await again.next("history"))["messages"]
    assert [m["text"] for m in messages if m["sender"] == "user"] == ["hi", "left"]
    assert [m["custom"]["field"] for m in messages if (m.get("custom") or {}).get("kind") == "question"] \
        == ["side", "sport"]
    assert all(m["timestamp"].endswith("+00:00") for m in messages)
    await again.close()

    await asyncio.sleep(1)
    seen = [second.inbox.get_nowait() for _ in range(second.inbox.qsize())]
    assert [event for event, _ in seen] == ["history"]  # its own empty history, nothing of the first patient's
    await second.close()
