"""The REST channel, with the caller and the request checked first: no token gets a 401, a malformed request
a 400 and a reason.

Rasa's own RestInput lets anyone post as any sender, answers `[]`, an empty body or a missing `message` with
a 500, and logs the message text when a turn fails. This one needs `Authorization: Bearer <REST_CHANNEL_TOKEN>`
(except in demo mode) and does none of the rest. Same URL: POST /webhooks/rest/webhook.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.exceptions import SanicException
from sanic.request import Request
from sanic.response import HTTPResponse

from rehab_coach import settings
from rehab_coach.rasa import bearer
from rehab_coach.services.chat_links import DEMO_PREFIX, PATIENT_PREFIX, SENDER_ID

log = logging.getLogger(__name__)
MAX_MESSAGE = 10_000
FAILED_TURN = "Sorry, something went wrong on our side. Please send that again."


def problem_with(body: Any) -> str | None:
    """Why this request body cannot be a chat message, or None when it can."""
    if not isinstance(body, dict):
        return "the body must be a JSON object: {\"sender\": \"...\", \"message\": \"...\"}"
    sender, message, metadata = body.get("sender"), body.get("message"), body.get("metadata")
    if not isinstance(sender, str) or not SENDER_ID.fullmatch(sender):
        return f"\"sender\" must match {SENDER_ID.pattern}"
    if sender.startswith((PATIENT_PREFIX, DEMO_PREFIX)):
        return "this \"sender\" is reserved for the web chat, which needs the patient's chat link"
    if not isinstance(message, str):
        return "\"message\" must be a text (it may be empty)"
    if len(message) > MAX_MESSAGE:
        return f"\"message\" must be at most {MAX_MESSAGE} characters"
    if metadata is not None and not isinstance(metadata, dict):
        return "\"metadata\" must be a JSON object when given"
    return None


class CoachRestInput(RestInput):
    """Rasa's REST webhook behind a bearer token, with input validation and no message text in the logs."""

    def __init__(self, token: str | None) -> None:
        self.token = token  # None: demo mode, open to anyone

    @classmethod
    def name(cls) -> str:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> CoachRestInput:
        return cls(None if settings.load().demo else settings.secret(settings.REST_TOKEN))

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("coach_rest_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            refused = None if self.token is None else bearer.refusal(request, self.token)
            if refused:
                return refused
            try:
                body = request.json
            except SanicException:
                body = None
            problem = problem_with(body) if request.body else "the body is empty"
            if problem:
                return response.json({"error": problem}, status=400)
            collector = CollectingOutputChannel()
            try:
                await on_new_message(UserMessage(body["message"], collector, body["sender"],
                                                 input_channel=self.name(), metadata=body.get("metadata")))
            except Exception as error:  # one failed turn must not take the channel down; no text logged
                log.exception("turn failed: %s", type(error).__name__)
                # the database away for a moment, say: the turn was not saved, so the patient sends it again
                return response.json({"error": FAILED_TURN}, status=503, headers={"Retry-After": "30"})
            return response.json(collector.messages)

        return webhook
