"""Messaging channels (Telegram, WhatsApp, SMS): who is writing, and how a clinic invites a patient.

A patient has one conversation id whichever channel carries it. A messaging address (a Telegram chat id, a phone
number) is bound to the patient once, by the clinic's one-time code (chat_links.binding_code) sent from it: Telegram's
deep link sends `/start <code>`, the WhatsApp link types `START <code>`, an SMS patient texts it. Any other message
from an address nobody bound is refused: nothing of it reaches the conversation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import quote

from rehab_coach import settings
from rehab_coach.adapters.storage import PatientRecord, Store
from rehab_coach.services import chat_links
from rehab_coach.settings import SMS, TELEGRAM, WHATSAPP

# The channels as people read them (Rasa's names are the settings': addresses are bound under them).
NAMES = {chat_links.WEB_CHAT: "web chat", "rest": "REST", TELEGRAM: "Telegram", WHATSAPP: "WhatsApp", SMS: "SMS"}
START = re.compile(r"\s*/?start(?:\s+(\S+))?\s*", re.IGNORECASE)  # `/start <code>` (Telegram), `START <code>`
GREETING = "hi"  # what a start says to the coach: it starts (or resumes) the conversation


@dataclass(frozen=True)
class Inbound:
    """What to do with one inbound message: hand `text` to the conversation `sender_id`, or, when `refusal` is
    set, answer the sender with it and pass nothing on."""

    sender_id: str | None
    text: str
    refusal: str | None = None


def channels_on() -> list[str]:
    """The channels a message the coach starts (a reminder) can go by: the web chat, and the messaging channels the
    settings switch on (the REST webhook only answers)."""
    return [chat_links.WEB_CHAT, *settings.load().messaging_channels]


def reachable(store: Store, patient: PatientRecord) -> list[str]:
    """The channels of `channels_on` that reach the patient: the web chat if they were enrolled on it, and the
    messaging channels they have bound an address on."""
    bound = store.channels_of(patient.id)
    return [name for name in channels_on() if name in bound or name == patient.channel]


def inbound(store: Store, channel: str, address: str, text: str, today: date) -> Inbound:
    """The conversation an inbound message from `address` belongs to; a start with a code binds the address first.
    A bound address's start (a repeated deep link, a used code) greets the coach again."""
    patient = store.patient_at(channel, address)
    start = START.fullmatch(text)
    if start and start[1]:
        try:
            patient = chat_links.redeem(store, start[1], channel, address, today)
        except chat_links.TokenRefused as refusal:
            if patient is None:
                return Inbound(None, "", str(refusal))
    if patient is None:
        return Inbound(None, "", chat_links.MISSING)
    return Inbound(patient.sender_id, GREETING if start else text)


def address(store: Store, sender_id: str, channel: str) -> str | None:
    """Where to reach the patient of conversation `sender_id` on `channel` (the latest bound address), if anywhere."""
    return store.address_of(sender_id, channel)


def telegram_link(patient: PatientRecord, bot_username: str, today: date,
                  valid_for: timedelta = chat_links.BIND_VALIDITY) -> str:
    """The deep link that opens the bot in Telegram and sends it `/start <a new binding code>`."""
    return f"https://t.me/{bot_username}?start={chat_links.binding_code(patient, today, valid_for)}"


@dataclass(frozen=True)
class Invite:
    code: str
    valid_until: date
    whatsapp_link: str | None  # None when no WhatsApp number is configured
    sms_number: str | None  # the number to text `START <code>` to, None when no SMS number is configured

    @property
    def sms_text(self) -> str:
        return f"START {self.code}"


def phone_invite(patient: PatientRecord, today: date) -> Invite | None:
    """How the patient binds their phone: the WhatsApp link and the SMS text, for the numbers the settings give
    (TWILIO_WHATSAPP_NUMBER, TWILIO_SMS_NUMBER); None when neither is given."""
    loaded = settings.load()
    whatsapp, sms = loaded.twilio_whatsapp_number, loaded.twilio_sms_number
    if not (whatsapp or sms):
        return None
    code = chat_links.binding_code(patient, today)
    link = f"https://wa.me/{whatsapp.lstrip('+')}?text={quote(f'START {code}')}" if whatsapp else None
    return Invite(code, today + chat_links.BIND_VALIDITY, link, sms)
