"""Anonymous demo mode (./coach run --demo): anyone gets a conversation of their own, never a patient's."""

from __future__ import annotations

import json
import urllib.request

import pytest

from tests.e2e.conftest import token_from
from tests.e2e.test_webchat_socket import Browserless

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server_env() -> dict[str, str]:
    return {"REHAB_CHAT_DEMO": "1"}


@pytest.fixture(scope="module")
def servers(deployment):
    with deployment.start() as running:
        yield running


async def test_a_visitor_without_a_link_gets_a_fresh_demo_conversation_and_can_resume_it(servers):
    visitor = Browserless(servers.rasa_url)
    session = await visitor.open(None)
    assert session.startswith("demo-")
    assert (await visitor.say("hi", until_kind="question"))[-1]["custom"]["field"] == "side"
    await visitor.close()

    back = Browserless(servers.rasa_url)
    assert await back.open(None, session_id=session) == session
    assert [m["text"] for m in (await back.next("history"))["messages"] if m["sender"] == "user"] == ["hi"]
    await back.close()


async def test_a_demo_visitor_cannot_claim_a_patients_conversation(servers, deployment):
    patient, _ = deployment.enrol()
    visitor = Browserless(servers.rasa_url)
    session = await visitor.open(None, session_id=patient.sender_id)
    assert session.startswith("demo-") and session != patient.sender_id
    await visitor.close()


async def test_a_patients_link_still_opens_their_own_conversation(servers, deployment):
    patient, link = deployment.enrol()
    chat = Browserless(servers.rasa_url)
    assert await chat.open(token_from(link)) == patient.sender_id
    await chat.close()


def test_the_rest_channel_needs_no_token_in_demo_mode(servers):
    body = json.dumps({"sender": "visitor", "message": "hi"}).encode()
    request = urllib.request.Request(servers.webhook, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status == 200 and json.loads(response.read())
