"""WhatsApp and SMS through Twilio: Rasa's Twilio connector, hardened. Two channels, `whatsapp` and `sms`, each
at its own webhook (/webhooks/whatsapp/webhook, /webhooks/sms/webhook), so that Rasa's "latest channel" sends a
reminder back the way the patient last wrote.

Differences from rasa.core.channels.twilio (3.6.21), and why:
- A webhook must carry a valid `X-Twilio-Signature` (twilio's RequestValidator with TWILIO_AUTH_TOKEN, over the
  URL Twilio called: TWILIO_WEBHOOK_BASE_URL plus the path, since behind a proxy the request's own URL differs).
  A forged or unsigned one gets 403 and nothing is stored; a malformed one 400. The stock connector checks nothing.
- Who is writing: a number is bound to a patient's one conversation by `START <code>`; an unbound number gets a
  short "use your clinic's link" and nothing reaches Rasa (rehab_coach.services.messaging). Rasa sees the
  patient's conversation id, never the number.
- `messages.create` is synchronous (requests): it runs in a worker thread, off the server's event loop. A failed
  send is logged with Twilio's error code only (the stock one logs Twilio's message, which names the number) and
  the other messages still go.
- The reply contract as plain text (rehab_coach.rasa.plaintext): questions as numbered choices, and a reply
  "2", "b" or "mild" mapped back to the answer by the question the conversation last asked (see `_question`).
- Messages the coach starts (Rasa's trigger_intent with output_channel=latest: reminders) find the patient's
  number with Store.address_of. On WhatsApp outside the 24-hour window since the patient last wrote, the first
  goes as the approved template (TWILIO_REMINDER_CONTENT_SID) and the rest are held back until the patient
  answers: plain text there fails with Twilio error 63016. A clinician's message there fails (the template is the
  reminder's). A send that fails makes the trigger_intent call fail, so the caller knows and the conversation is
  not saved as if the patient had been reached.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.twilio import TwilioInput, TwilioOutput
from rasa.shared.core.constants import IS_EXTERNAL
from rasa.shared.core.events import BotUttered, UserUttered
from sanic import Blueprint, Sanic, response
from sanic.request import Request, RequestParameters
from sanic.response import HTTPResponse
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from rehab_coach import bootstrap, settings
from rehab_coach.rasa import plaintext
from rehab_coach.rasa.channels import MAX_MESSAGE
from rehab_coach.services import messaging

log = logging.getLogger(__name__)
API_LOG = logging.getLogger(f"{__name__}.api")  # twilio's client logs ten lines a message at INFO: warnings only
API_LOG.setLevel(logging.WARNING)

TIMEOUT = 15  # seconds for one call to Twilio's API
# WhatsApp's customer-service window: free text is allowed for 24 hours after the patient's last message. A few
# minutes' margin, so a message sent at its edge is not refused on arrival.
WINDOW = timedelta(hours=24) - timedelta(minutes=5)
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'

LastInbound = Callable[[str], Awaitable[float | None]]  # conversation id -> when the patient last wrote here


def fields(request: Request) -> RequestParameters:
    """A webhook's form fields, blank ones kept: Twilio signs them too (the empty Body of a photo). Sanic's
    `request.form` drops them."""
    try:
        return RequestParameters(parse_qs(request.body.decode(), keep_blank_values=True))
    except UnicodeDecodeError:
        return RequestParameters()


class SendFailed(RuntimeError):
    """A message the coach started could not be sent (the reason is in the log)."""


class TwilioApi(TwilioHttpClient):
    """Twilio's HTTP client with a timeout and, for tests, another base URL (TWILIO_API_BASE_URL: a fake API)."""

    def __init__(self, base_url: str | None = None) -> None:
        super().__init__(timeout=TIMEOUT, logger=API_LOG)
        self.base_url = base_url.rstrip("/") if base_url else None

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        if self.base_url:
            path = urlsplit(url)
            url = f"{self.base_url}{path.path}" + (f"?{path.query}" if path.query else "")
        return super().request(method, url, *args, **kwargs)


class CoachTwilioOutput(TwilioOutput):
    """Replies to one inbound message, at the number it came from, as plain text."""

    def __init__(self, channel: TwilioChannel, to: str | None) -> None:
        Client.__init__(self, channel.account_sid, channel.auth_token, http_client=channel.api)
        self.twilio_number = channel.twilio_number
        self.whatsapp = channel.name() == messaging.WHATSAPP
        self.to = to
        self.failed = 0

    async def _send_message(self, message_data: dict[str, Any]) -> Any:
        """One message, off the event loop; None (logged, without the number or text) when Twilio refused it."""
        try:
            return await asyncio.to_thread(self.messages.create, **message_data)
        except TwilioRestException as error:
            log.warning("Twilio refused a message: error %s (HTTP %s)", error.code, error.status)
        except Exception as error:  # the network, a timeout: this message is lost, the next ones still go
            log.warning("a message to Twilio failed: %s", type(error).__name__)
        self.failed += 1
        return None

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        for part in plaintext.parts(text):
            await self._send_message({"to": self.to or recipient_id, "from_": self.twilio_number, "body": part})

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        """One bot message, its text and contract payload as one text (never the payload itself)."""
        text = plaintext.render(message, self.whatsapp)
        if text:
            await self.send_text_message(recipient_id, text)


class ProactiveOutput(CoachTwilioOutput):
    """A turn the coach starts (a reminder): the recipient is the patient's conversation id, whose number is looked
    up; on WhatsApp outside the 24-hour window the first message goes as the template and the rest wait."""

    def __init__(self, channel: TwilioChannel, last_inbound: LastInbound, now: Callable[[], float] = time.time
                 ) -> None:
        super().__init__(channel, None)
        self.channel = channel
        self.last_inbound = last_inbound
        self.now = now
        self.window_open: bool | None = None  # decided at the turn's first message
        self.template_sent = False

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        text = plaintext.render(message, self.whatsapp)
        if not text:
            return
        if self.to is None:
            self.to = await asyncio.to_thread(self.channel.store.address_of, recipient_id, self.channel.name())
            if self.to is None:
                raise SendFailed(f"no number is bound to this conversation on {self.channel.name()}")
            written = await self.last_inbound(recipient_id) if self.whatsapp else None
            self.window_open = not self.whatsapp or (written is not None
                                                     and self.now() - written < WINDOW.total_seconds())
        if self.window_open:
            await self.send_text_message(recipient_id, text)
        elif (message.get("custom") or {}).get("kind") == "clinician_message":  # the template is the reminder's
            raise SendFailed("a clinician's message outside WhatsApp's 24-hour window: it cannot go as the template")
        elif not self.template_sent:
            self.template_sent = True
            await self._send_message({"to": self.to, "from_": self.twilio_number,
                                      "content_sid": self.channel.template_sid})
        else:
            log.info("a message held back: outside WhatsApp's 24-hour window, the template went instead")
        if self.failed:
            raise SendFailed(f"Twilio did not take {self.failed} message(s); see the log")


class TwilioChannel(TwilioInput):
    """One Twilio channel: WhatsApp or SMS (the subclasses). On when its number is set (rehab_coach/rasa/server.py);
    then its other settings must be given, or the server stops at start with one line naming the missing one."""

    prefix: ClassVar[str]  # how Twilio writes this channel's addresses before the number
    needs: ClassVar[tuple[str, ...]]  # this channel's own settings, its number first

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> TwilioChannel:
        loaded = settings.load()
        token = settings.given_secret(settings.TWILIO_TOKEN)
        given = {"twilio_account_sid": loaded.twilio_account_sid, settings.TWILIO_TOKEN.lower(): token,
                 "twilio_webhook_base_url": loaded.twilio_webhook_base_url,
                 **{name: getattr(loaded, name) for name in cls.needs}}
        missing = [name.upper() for name, value in given.items() if not value]
        if missing:
            raise settings.SettingError(f"setting {missing[0]}: needed by the {cls.name()} channel")
        return cls(str(loaded.twilio_account_sid), str(token), f"{cls.prefix}{given[cls.needs[0]]}",
                   str(loaded.twilio_webhook_base_url), loaded.twilio_reminder_content_sid,
                   TwilioApi(loaded.twilio_api_base_url), bootstrap.store())

    def __init__(self, account_sid: str, auth_token: str, twilio_number: str, webhook_base_url: str,
                 template_sid: str | None, api: TwilioApi, store: Any) -> None:
        super().__init__(account_sid, auth_token, twilio_number, debug_mode=False)
        self.validator = RequestValidator(auth_token)
        self.webhook_base_url = webhook_base_url.rstrip("/")
        self.template_sid = template_sid
        self.api = api
        self.store = store  # rehab_coach.bootstrap.store(): the bound numbers
        self.app: Sanic | None = None

    def get_output_channel(self) -> ProactiveOutput:
        """Used by Rasa for turns no patient message started (trigger_intent: reminders)."""
        return ProactiveOutput(self, self._last_inbound)

    def signed(self, request: Request, form: RequestParameters) -> bool:
        """Whether Twilio signed this request: its signature over the public URL and the form's fields."""
        url = self.webhook_base_url + request.path + (f"?{request.query_string}" if request.query_string else "")
        signature = request.headers.get("X-Twilio-Signature", "")
        return bool(signature) and self.validator.validate(url, form, signature)

    def problem_with(self, form: RequestParameters) -> str | None:
        """Why this signed webhook cannot be a patient's message, or None."""
        sender, text = form.get("From") or "", form.get("Body") or ""
        if not sender.startswith(self.prefix) or not re.fullmatch(settings.PHONE_NUMBER, sender[len(self.prefix):]):
            return f"From must be a phone number{f' starting {self.prefix}' if self.prefix else ''}"
        if len(text) > MAX_MESSAGE:
            return f"Body must be at most {MAX_MESSAGE} characters"
        return None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint(f"coach_{self.name()}_webhook", __name__)

        @webhook.listener("before_server_start")
        async def remember_app(app: Sanic, _: Any) -> None:
            self.app = app

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            form = fields(request)
            if not self.signed(request, form):
                return response.text("a valid X-Twilio-Signature is required", status=403)
            problem = self.problem_with(form)
            if problem:
                return response.text(problem, status=400)
            sender, text = str(form.get("From")), form.get("Body") or ""
            found = await asyncio.to_thread(messaging.inbound, self.store, self.name(), sender, text, date.today())
            reply = CoachTwilioOutput(self, sender)
            if found.refusal:
                await reply.send_text_message(sender, found.refusal)
            elif found.sender_id and found.text.strip():
                said = plaintext.answer(await self._question(found.sender_id), found.text)
                try:
                    await on_new_message(UserMessage(said, reply, found.sender_id, input_channel=self.name()))
                except Exception as error:  # one failed turn must not take the channel down; no text logged
                    log.exception("%s turn failed: %s", self.name(), type(error).__name__)
            return response.text(EMPTY_TWIML, content_type="text/xml")

        return webhook

    async def _tracker_events(self, sender_id: str, full: bool) -> list[Any]:
        assert self.app is not None, "the server has not started"
        store = self.app.ctx.agent.tracker_store
        tracker = await (store.retrieve_full_tracker(sender_id) if full else store.retrieve(sender_id))
        return list(tracker.events) if tracker else []

    async def _question(self, sender_id: str) -> dict[str, Any] | None:
        """The question the conversation last asked, if the coach's latest message was one.

        Read from the tracker store, not kept here: it is where the conversation is, whichever channel asked the
        question (the web chat too), and it survives a restart and serves several Rasa servers alike.
        """
        for event in reversed(await self._tracker_events(sender_id, full=False)):
            if isinstance(event, BotUttered):
                payload = event.data.get("custom")
                return payload if isinstance(payload, dict) and payload.get("kind") == "question" else None
        return None

    async def _last_inbound(self, sender_id: str) -> float | None:
        """When the patient last wrote on this channel (a turn the coach started is not the patient writing).

        From the tracker store, which records every message with its channel and time: no other record to keep.
        """
        return max((event.timestamp for event in await self._tracker_events(sender_id, full=True)
                    if isinstance(event, UserUttered) and event.input_channel == self.name()
                    and not (event.metadata or {}).get(IS_EXTERNAL)), default=None)


class WhatsAppInput(TwilioChannel):
    prefix = "whatsapp:"
    needs = ("twilio_whatsapp_number", "twilio_reminder_content_sid")

    @classmethod
    def name(cls) -> str:
        return messaging.WHATSAPP


class SmsInput(TwilioChannel):
    prefix = ""
    needs = ("twilio_sms_number",)

    @classmethod
    def name(cls) -> str:
        return messaging.SMS
