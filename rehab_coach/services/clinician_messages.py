"""A clinician's message to a patient, written in the portal (ClinicService.message_patient).

It goes through the Rasa server like a reminder: Rasa's trigger_intent with EXTERNAL_clinician_message, its text and
who it is from as entities, out on the channel the patient last wrote on. action_clinician_message says it (a domain
response carrying the contract's `clinician_message`), with no form or inside any, which then asks its question
again (data/rules/clinician.yml). The text is kept only in the conversation: never in the audit log or a log line.
"""

from __future__ import annotations

import http.client

from rehab_coach.adapters.rasa_api import RasaApi, failure

INTENT = "EXTERNAL_clinician_message"
TEXT, FROM = "message_text", "message_from"  # the intent's entities
MAX_LENGTH = 500  # characters: a short message (an SMS goes in parts of 1,600)
CLINIC = "your clinic"  # who a message is from, as the patient reads it (clinicians have no display name)
SEEN = "Your clinic has seen this."  # sent when a clinician acknowledges a serious escalation and ticks it


class NotSent(Exception):
    """The Rasa server did not take the message; `kind` says why (the error's kind and HTTP status, no text)."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


def checked(text: str) -> str:
    """The message as it is sent (without surrounding blanks); ValueError with the reason when it is empty or longer
    than MAX_LENGTH."""
    text = text.strip()
    if not text:
        raise ValueError("The message is empty: write what the patient should read")
    if len(text) > MAX_LENGTH:
        raise ValueError(f"The message has {len(text)} characters: at most {MAX_LENGTH} can be sent")
    return text


def send(rasa: RasaApi, sender_id: str, text: str, sender: str = CLINIC) -> None:
    """Have the Rasa server say `text` (checked) from `sender` in conversation `sender_id`, on the channel the patient
    last wrote on; NotSent when it could not be reached or refused (its channel could not send)."""
    message = checked(text)
    try:
        rasa.trigger_intent(sender_id, INTENT, {TEXT: message, FROM: sender})
    except (OSError, http.client.HTTPException) as error:  # urllib's errors are OSErrors
        raise NotSent(failure(error)) from None
