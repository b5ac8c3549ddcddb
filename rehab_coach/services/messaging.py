"""Messaging channels (Telegram; later WhatsApp, SMS): the addresses bound to patients' conversations.

A patient has one conversation id whichever channel carries it; a messaging address (a Telegram chat id) is
bound to the patient by the clinic's binding code (chat_links.binding_code), sent from that address.
"""

from __future__ import annotations

from datetime import date, timedelta

from rehab_coach.adapters.storage.repository import PatientRecord, Store
from rehab_coach.services import chat_links

TELEGRAM = "telegram"  # the Telegram channel's name, as Rasa records it


class Addresses:
    """One messaging channel's addresses and the conversations they are bound to."""

    def __init__(self, store: Store, channel: str) -> None:
        self.store = store
        self.channel = channel

    def conversation(self, address: str) -> str | None:
        """The conversation id of the patient bound to `address`; None for an address nobody bound."""
        patient = self.store.patient_at(self.channel, address)
        return None if patient is None else patient.sender_id

    def bind(self, code: str, address: str, today: date) -> str:
        """Bind `address` with the clinic's code; the patient's conversation id (TokenRefused with a reason fit
        for the patient if the code does not bind)."""
        return chat_links.redeem(self.store, code, self.channel, address, today).sender_id

    def address(self, conversation: str) -> str | None:
        """Where to reach the patient of `conversation` on this channel (the latest bound address), if anywhere."""
        return self.store.address_of(conversation, self.channel)


def telegram_link(patient: PatientRecord, bot_username: str, today: date,
                  valid_for: timedelta = chat_links.BIND_VALIDITY) -> str:
    """The deep link that opens the bot in Telegram and sends it `/start <the patient's binding code>`."""
    return f"https://t.me/{bot_username}?start={chat_links.binding_code(patient, today, valid_for)}"
