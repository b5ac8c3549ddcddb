"""A fake Rasa server's HTTP API on the loopback, for the portal: it records every call the coach's real RasaApi makes
(trigger_intent, a POST) and answers as Rasa does, or with the status it is told to fail with."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from tests.fakes.http import Reply, json_reply, serving


@dataclass(frozen=True)
class Call:
    path: str  # unquoted: /conversations/<sender>/trigger_intent
    query: dict[str, str]
    body: Any  # the JSON posted


@dataclass
class FakeRasa:
    url: str = ""  # the server's base URL, once started
    calls: list[Call] = field(default_factory=list)
    failing: int = 0  # a status every call gets (0: none, 200 as Rasa answers)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @contextmanager
    def running(self) -> Iterator[FakeRasa]:
        def reply(path: str, headers: Mapping[str, str], body: str) -> Reply:
            parts = urlsplit(path)
            with self.lock:
                self.calls.append(Call(unquote(parts.path), {k: v[-1] for k, v in parse_qs(parts.query).items()},
                                       json.loads(body or "null")))
                status = self.failing or 200
            return json_reply(status, {"tracker": {}, "messages": []} if status == 200 else {"status": "failure"})

        with serving(reply) as url:
            self.url = url
            yield self
