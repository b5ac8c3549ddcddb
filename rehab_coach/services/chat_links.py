"""Personal chat links: enrolment for the web chat, and the signed, expiring token a link carries.

The token's subject is the patient's conversation id on the web chat channel.

The token travels in the link's fragment (`/chat/#token=...`), which browsers never send to a server,
so it does not end up in access logs or Referer headers. HS256 with a key from the secrets file.
"""

from __future__ import annotations

import base64
import hmac
import re
import secrets
import uuid
from datetime import date, datetime, timedelta

import jwt

from rehab_coach.adapters.storage.repository import PatientRecord, Store, UnknownRecord, UsedCode
from rehab_coach.settings import previous_secret, secret

ALGORITHM = "HS256"
AUDIENCE = "rehab-coach-chat"
KEY_NAME = "CHAT_TOKEN_KEY"
WEB_CHAT = "socketio"  # the web chat's channel name, as Rasa records it
DEFAULT_VALIDITY = timedelta(days=90)
# Conversation ids of the web chat; no other channel may use them, so no one else can write to or read
# from a web chat patient's conversation.
PATIENT_PREFIX, DEMO_PREFIX = "web-", "demo-"
# Every channel's conversation ids: web chat and REST ids, Telegram chat ids, "whatsapp:+44...".
SENDER_ID = re.compile(r"[A-Za-z0-9_.:@+-]{1,128}")
EXPIRED = "This chat link has expired. Please ask your clinic for a new one."
INVALID = "This chat link is not valid. Please open the link your clinic sent you, or ask for a new one."
MISSING = "Please open the personal chat link your clinic sent you."
USED = "This code has already been used. Please ask your clinic for a new one."


class TokenRefused(ValueError):
    """The token cannot open a conversation; the message is fit to show the patient."""


def issue(subject: str, key: str, now: datetime, valid_for: timedelta) -> str:
    """A token for `subject`, valid from `now` (timezone-aware) for `valid_for`."""
    claims = {"sub": subject, "aud": AUDIENCE, "iat": now, "exp": now + valid_for}
    return jwt.encode(claims, key, algorithm=ALGORITHM)


def keys(today: date) -> tuple[str, ...]:
    """The keys a chat link may be signed with: the current one, and the one before a rotation while its grace
    period lasts (`./coach rotate-secrets`)."""
    return (secret(KEY_NAME), *filter(None, [previous_secret(KEY_NAME, today)]))


def verify(token: object, *keys: str) -> tuple[str, datetime]:
    """The token's subject and expiry time, if one of `keys` signed it; TokenRefused with a patient-facing
    reason otherwise."""
    if not isinstance(token, str) or not token:
        raise TokenRefused(MISSING)
    for key in keys:
        try:
            claims = jwt.decode(token, key, algorithms=[ALGORITHM], audience=AUDIENCE,
                                options={"require": ["sub", "exp", "aud"]})
            break
        except jwt.ExpiredSignatureError as error:
            raise TokenRefused(EXPIRED) from error
        except jwt.InvalidSignatureError:
            continue
        except jwt.InvalidTokenError as error:
            raise TokenRefused(INVALID) from error
    else:
        raise TokenRefused(INVALID)
    subject = claims["sub"]
    if not isinstance(subject, str) or not subject:
        raise TokenRefused(INVALID)
    return subject, datetime.fromtimestamp(claims["exp"]).astimezone()


# A messaging channel's enrolment code, short enough for Telegram's /start payload (64 of [A-Za-z0-9_-]):
# `<patient id>-<last valid day, YYYYMMDD>-<signature>`.
# patient id - last valid day - a nonce (each code is new) - the signature of the three
BIND_CODE = re.compile(r"(\d{1,12})-(\d{8})-([0-9a-f]{8})-([A-Za-z0-9_-]{16})")
BIND_VALIDITY = timedelta(days=14)


def _signature(key: str, patient_id: int, last_day: str, nonce: str) -> str:
    digest = hmac.new(key.encode(), f"bind:{patient_id}:{last_day}:{nonce}".encode(), "sha256").digest()
    return base64.urlsafe_b64encode(digest[:12]).decode()


def binding_code(patient: PatientRecord, today: date, valid_for: timedelta = BIND_VALIDITY,
                 key: str | None = None) -> str:
    """A new one-time code that binds a messaging address (a Telegram chat, a phone) to the patient's one
    conversation."""
    last_day, nonce = (today + valid_for).strftime("%Y%m%d"), secrets.token_hex(4)
    return f"{patient.id}-{last_day}-{nonce}-{_signature(key or secret(KEY_NAME), patient.id, last_day, nonce)}"


def redeem(store: Store, code: str, channel: str, address: str, today: date) -> PatientRecord:
    """Bind `address` on `channel` to the patient the code names; TokenRefused with a patient-facing reason if
    the code is not one of ours, has expired or been used, or names a patient who is no more."""
    found = BIND_CODE.fullmatch(code.strip())
    if found is None:
        raise TokenRefused(INVALID)
    patient_id, last_day, nonce, signature = int(found[1]), found[2], found[3], found[4]
    if not any(hmac.compare_digest(signature, _signature(key, patient_id, last_day, nonce)) for key in keys(today)):
        raise TokenRefused(INVALID)
    if today.strftime("%Y%m%d") > last_day:
        raise TokenRefused(EXPIRED)
    try:
        store.bind_address(patient_id, channel, address, code=signature)
        return store.patient_by_id(patient_id)
    except UnknownRecord:
        raise TokenRefused(INVALID) from None
    except UsedCode:
        raise TokenRefused(USED) from None


def enrol(store: Store, today: date) -> PatientRecord:
    """A new web-chat patient with an unguessable conversation id."""
    return store.patient(WEB_CHAT, f"{PATIENT_PREFIX}{uuid.uuid4().hex}", today)


def enrolled(store: Store, sender_id: str) -> bool:
    """Whether `sender_id` is an enrolled web-chat patient's conversation (an erased patient's is not)."""
    return store.find_patient(WEB_CHAT, sender_id) is not None


def chat_link(patient: PatientRecord, base_url: str, now: datetime, valid_for: timedelta = DEFAULT_VALIDITY,
              key: str | None = None) -> str:
    """The patient's personal chat link: the chat page with a fresh token in the fragment."""
    if patient.channel != WEB_CHAT:
        raise ValueError(f"patient {patient.id} talks on {patient.channel!r}, not the web chat")
    token = issue(patient.sender_id, key or secret(KEY_NAME), now, valid_for)
    return f"{base_url.rstrip('/')}/chat/#token={token}"
