"""WhatsApp and SMS (through Twilio): the invitation a clinic gives a patient, and whose conversation an inbound
message belongs to.

A patient's phone is bound to their one conversation once, by sending `START <code>` (chat_links.binding_code)
from it; the WhatsApp link `https://wa.me/<number>?text=START%20<code>` types it for them. A number that is not
bound and sends no valid code is refused: nothing of it reaches the conversation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from urllib.parse import quote

from rehab_coach import settings
from rehab_coach.adapters.storage import PatientRecord, Store
from rehab_coach.services import chat_links

WHATSAPP, SMS = "whatsapp", "sms"  # the channels' names, as Rasa records them and as addresses are bound
START = re.compile(r"\s*start\s+(\S+)\s*", re.IGNORECASE)
GREETING = "hi"  # what a newly bound phone says to the coach: it starts (or resumes) the conversation


@dataclass(frozen=True)
class Invite:
    code: str
    valid_until: date
    whatsapp_link: str | None  # None when no WhatsApp number is configured
    sms_number: str | None  # the number to text `START <code>` to, None when no SMS number is configured

    @property
    def sms_text(self) -> str:
        return f"START {self.code}"


def invite(patient: PatientRecord, today: date) -> Invite | None:
    """How the patient binds their phone: the WhatsApp link and the SMS text, for the numbers the settings give
    (TWILIO_WHATSAPP_NUMBER, TWILIO_SMS_NUMBER); None when neither is given."""
    loaded = settings.load()
    whatsapp, sms = loaded.twilio_whatsapp_number, loaded.twilio_sms_number
    if not (whatsapp or sms):
        return None
    code = chat_links.binding_code(patient, today)
    link = f"https://wa.me/{whatsapp.lstrip('+')}?text={quote(f'START {code}')}" if whatsapp else None
    return Invite(code, today + chat_links.BIND_VALIDITY, link, sms)


@dataclass(frozen=True)
class Inbound:
    """What to do with one inbound message: hand `text` to the conversation `sender_id`, or, when `refusal` is
    set, answer the sender with it and pass nothing on."""

    sender_id: str | None
    text: str
    refusal: str | None = None


def inbound(store: Store, channel: str, address: str, text: str, today: date) -> Inbound:
    """The conversation an inbound message from `address` belongs to; `START <code>` binds the address first."""
    patient = store.patient_at(channel, address)
    start = START.fullmatch(text)
    # A bound patient may say "start again"; only an unbound number's START, or a real code, is an enrolment.
    if start and (patient is None or chat_links.BIND_CODE.fullmatch(start[1])):
        try:
            patient = chat_links.redeem(store, start[1], channel, address, today)
        except chat_links.TokenRefused as refusal:
            return Inbound(None, "", str(refusal))
        return Inbound(patient.sender_id, GREETING)
    if patient is None:
        return Inbound(None, "", chat_links.MISSING)
    return Inbound(patient.sender_id, text)

