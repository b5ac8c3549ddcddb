"""A fake Slack incoming webhook on the loopback: it answers posts to /services/... as Slack does ("ok", or Slack's
error words with their status), records every request, and fails on demand. The coach's real connector (slack_sdk's
WebhookClient) is pointed at it through CLINIC_SLACK_WEBHOOK_URL.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

from tests.fakes.http import Reply, serving

HOOK = "/services/T00000000/B00000000/fakeWebhookSecret0000000"
ERRORS = {400: "invalid_payload", 403: "action_prohibited", 404: "no_service", 410: "channel_is_archived",
          500: "rollup_error"}  # Slack's words for the errors the fake gives


@dataclass(frozen=True)
class Post:
    path: str
    body: dict  # the JSON posted: {"text": ...}
    status: int  # what the fake answered


@dataclass
class FakeSlack:
    url: str = ""  # the webhook's URL, once started
    posts: list[Post] = field(default_factory=list)
    failing: int = 0  # a status every post gets (0: none)
    fail_next: list[int] = field(default_factory=list)  # statuses for the next posts
    lock: threading.Lock = field(default_factory=threading.Lock)

    def texts(self) -> list[str]:
        """The texts Slack accepted, oldest first."""
        with self.lock:
            return [post.body.get("text", "") for post in self.posts if post.status == 200]

    def answer(self, path: str, body: str) -> int:
        with self.lock:
            status = self.fail_next.pop(0) if self.fail_next else self.failing or 200
        if status == 200 and path != HOOK:
            status = 404
        elif status == 200 and not json.loads(body or "{}").get("text"):
            status = 400
        with self.lock:
            self.posts.append(Post(path, json.loads(body or "{}"), status))
        return status

    @contextmanager
    def running(self) -> Iterator[FakeSlack]:
        def reply(path: str, headers: Mapping[str, str], body: str) -> Reply:
            status = self.answer(path, body)
            return status, "text/html", (ERRORS.get(status, "ok") if status != 200 else "ok").encode()

        with serving(reply) as url:
            self.url = f"{url}{HOOK}"
            yield self
