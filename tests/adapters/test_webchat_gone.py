"""A web-chat event handled after its client disconnected (a patient closing the page mid-message) is dropped
quietly: no turn, and no error (the load's leaving patients logged a KeyError each)."""

from __future__ import annotations

import asyncio

from rasa.core.channels.channel import UserMessage

from rehab_coach.rasa.webchat import CoachSocketIOInput


def test_a_message_or_a_session_request_from_a_client_that_has_gone_is_dropped():
    turns: list[UserMessage] = []

    async def on_new_message(message: UserMessage) -> None:
        turns.append(message)

    channel = CoachSocketIOInput(lambda: ["a-key"], lambda subject: True)
    channel.blueprint(on_new_message)
    assert channel.sio is not None
    handlers = channel.sio.handlers["/"]

    async def events_after_the_disconnect() -> None:
        await handlers["session_request"]("gone", {})
        await handlers["user_uttered"]("gone", {"message": "my calf is swollen"})

    asyncio.run(events_after_the_disconnect())
    assert turns == []
