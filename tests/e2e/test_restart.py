"""Check-ins and transcripts survive a restart of both servers."""

from __future__ import annotations

import json
import urllib.request

import pytest

from tests.e2e.conftest import Chat, payloads
from tests.e2e.test_conversation import DAY0, start

pytestmark = pytest.mark.slow


def test_checkins_and_transcript_survive_a_restart_of_both_servers(deployment):
    sender = "restart-patient"
    with deployment.start() as servers:
        first = start(Chat(servers, deployment.database_url), sender)
        assert payloads(first, "checkin_recorded")
    with deployment.start() as servers:
        chat = Chat(servers, deployment.database_url)
        progress = payloads(chat.say(sender, "how am I doing?", DAY0), "progress")
        assert progress and progress[0]["checkins"] == 1
        url = f"{servers.rasa_url}/conversations/{sender}/tracker?token={servers.token}"
        with urllib.request.urlopen(url, timeout=10) as response:
            events = json.loads(response.read())["events"]
        said = [e.get("text") for e in events if e.get("event") == "user"]
        assert "hi" in said and "about a 2" in said
