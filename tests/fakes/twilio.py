"""A fake of Twilio's REST API on the loopback: the part the coach uses (Messages create, with Twilio's error
responses on demand), recording every request; and Twilio's side of the webhooks: inbound messages posted to the
coach form-encoded and signed as Twilio signs them (or forged, or unsigned).
"""

from __future__ import annotations

import base64
import re
import secrets
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode

from twilio.request_validator import RequestValidator

from tests.fakes.http import Reply, json_reply, serving

MESSAGES = re.compile(r"/2010-04-01/Accounts/(AC[0-9a-f]{32})/Messages\.json")
ERRORS = {  # Twilio's words for the errors the fake gives
    20003: (401, "Authenticate"),
    20404: (404, "The requested resource was not found"),
    21211: (400, "Invalid 'To' Phone Number"),
    21619: (400, "A text message body or media urls must be specified."),
    63016: (400, "Failed to send freeform message because you are outside the allowed window. "
                 "If you are using WhatsApp, please use a Message Template."),
}


@dataclass(frozen=True)
class Request:
    path: str
    form: dict[str, str]  # Twilio's parameter names: To, From, Body, ContentSid
    status: int  # what the fake answered


@dataclass
class FakeTwilio:
    account_sid: str = field(default_factory=lambda: f"AC{secrets.token_hex(16)}")
    auth_token: str = field(default_factory=lambda: secrets.token_hex(16))
    url: str = ""  # the API's base URL, once started
    requests: list[Request] = field(default_factory=list)
    refused: dict[str, int] = field(default_factory=dict)  # address -> the error every message to it gets
    closed: set[str] = field(default_factory=set)  # WhatsApp addresses outside the 24-hour window
    fail_next: list[int] = field(default_factory=list)  # errors for the next requests, whoever they are for
    delay: float = 0.0  # seconds before each answer (Twilio is not instant)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def sent(self, to: str | None = None) -> list[dict[str, str]]:
        """The messages the fake accepted (to `to`), oldest first."""
        with self.lock:
            return [r.form for r in self.requests if r.status == 201 and to in (None, r.form.get("To"))]

    def texts(self, to: str) -> list[str]:
        return [m.get("Body", "") for m in self.sent(to)]

    def answer(self, path: str, authorization: str, body: str) -> tuple[int, dict]:
        form = {name: values[0] for name, values in parse_qs(body, keep_blank_values=True).items()}
        expected = "Basic " + base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        found = MESSAGES.fullmatch(path)
        to = form.get("To", "")
        time.sleep(self.delay)
        with self.lock:
            failing = self.fail_next.pop(0) if self.fail_next else 0
        if authorization != expected:
            code = 20003
        elif failing:
            code = failing
        elif found is None or found[1] != self.account_sid:
            code = 20404
        elif to in self.refused:
            code = self.refused[to]
        elif not form.get("Body") and not form.get("ContentSid"):
            code = 21619
        elif to in self.closed and not form.get("ContentSid"):
            code = 63016
        else:
            code = 0
        with self.lock:
            self.requests.append(Request(path, form, ERRORS[code][0] if code else 201))
        if code:
            status, message = ERRORS[code]
            return status, {"code": code, "message": message, "status": status,
                            "more_info": f"https://www.twilio.com/docs/errors/{code}"}
        sid = f"SM{secrets.token_hex(16)}"
        return 201, {"sid": sid, "account_sid": self.account_sid, "to": to, "from": form.get("From"),
                     "body": form.get("Body", ""), "status": "queued", "direction": "outbound-api",
                     "num_segments": "1", "api_version": "2010-04-01", "error_code": None,
                     "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json"}

    @contextmanager
    def running(self) -> Iterator[FakeTwilio]:
        def reply(path: str, headers: Mapping[str, str], body: str) -> Reply:
            return json_reply(*self.answer(path, headers.get("Authorization", ""), body))

        with serving(reply) as url:
            self.url = url
            yield self

    def signature(self, url: str, form: dict[str, str], token: str = "") -> str:
        """X-Twilio-Signature for a webhook to `url` with these fields, signed with the auth token (or `token`)."""
        return RequestValidator(token or self.auth_token).compute_signature(url, form)

    def message(self, sender: str, to: str, text: str) -> dict[str, str]:
        """The fields of an inbound message's webhook, as Twilio posts them."""
        return {"MessageSid": f"SM{secrets.token_hex(16)}", "AccountSid": self.account_sid, "From": sender,
                "To": to, "Body": text, "NumMedia": "0", "NumSegments": "1", "SmsStatus": "received",
                "ApiVersion": "2010-04-01"}

    def inbound(self, webhook: str, public_url: str, form: dict[str, str], sign_with: str | None = ""
                ) -> tuple[int, str]:
        """Post a webhook to the coach at `webhook` as Twilio does: form-encoded, signed over `public_url` (the URL
        Twilio was given) with the auth token, or with `sign_with` (forged), or not at all (None)."""
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if sign_with is not None:
            headers["X-Twilio-Signature"] = self.signature(public_url, form, sign_with)
        request = urllib.request.Request(webhook, data=urlencode(form).encode(), headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()
