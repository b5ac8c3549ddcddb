"""The Rasa server's HTTP API, as the services use it: start an intent in a conversation (reminders), and make
a running server forget a conversation (erasure)."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

TIMEOUT = 30  # seconds a call may take


def failure(error: BaseException) -> str:
    """A failed call's kind for records and logs: the error's type and HTTP status, never its message (a URL with
    the token, a reply's body)."""
    return " ".join(str(part) for part in (type(error).__name__, getattr(error, "code", "")) if part)


class RasaApi:
    def __init__(self, url: str, token: str) -> None:
        self.url = url.rstrip("/")
        self.token = token

    def _call(self, method: str, sender_id: str, path: str, body: Any, **params: str) -> None:
        sender = urllib.parse.quote(sender_id, safe="")
        query = urllib.parse.urlencode({**params, "token": self.token})
        request = urllib.request.Request(f"{self.url}/conversations/{sender}/{path}?{query}", method=method,
                                         data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=TIMEOUT):
            pass

    def trigger_intent(self, sender_id: str, intent: str, entities: dict[str, str] | None = None,
                       channel: str | None = None) -> None:
        """The intent (with `entities`, label -> value), as if the patient had said it; the replies go out on
        `channel` (Rasa's name of a channel the server has), by default the patient's latest."""
        self._call("POST", sender_id, "trigger_intent", {"name": intent, "entities": entities or {}},
                   output_channel=channel or "latest")

    def forget(self, sender_id: str) -> bool:
        """Replace the conversation with an empty one, so that a running server drops the copy its tracker store
        keeps in memory; False when the server could not be told (not running, or not reachable from here)."""
        try:
            self._call("PUT", sender_id, "tracker/events", [])
        except urllib.error.URLError:  # HTTP errors included
            return False
        return True
