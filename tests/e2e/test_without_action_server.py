"""Never silent: with the action server stopped, emergency and urgent advice still reaches the patient from the
Rasa server alone, and is recorded for clinicians, with the clinic's notice of it, once the action server is back;
any other message gets a short notice that the planner is out of reach, once a turn, and a check-in under way
waits for the answer to be sent again."""

from __future__ import annotations

import os
import time
import urllib.request
from datetime import timedelta

import pytest

from rehab_coach import runner
from rehab_coach.adapters.storage import Store, make_engine
from rehab_coach.adapters.storage.notifications import NotificationStore
from tests.conftest import say
from tests.e2e.conftest import last_question, payloads
from tests.e2e.test_conversation import DAY0, start
from tests.e2e.test_safety_and_checkin import stored, texts

pytestmark = pytest.mark.slow
UNREACHABLE = say("utter_planner_unreachable")

SAID = [
    ("my calf is swollen and hot and I'm suddenly really short of breath", "emergency", "emergency number"),
    ("I fell down the stairs and I can't put any weight on my foot", "urgent", "doctor today"),
]


def assert_notice(replies: list[dict]) -> None:
    """The notice alone, its text and its payload: what a client needs to offer "try again"."""
    assert [reply.get("text") for reply in replies if reply.get("text")] == [UNREACHABLE]
    assert payloads(replies) == [
        {"kind": "notice", "reason": "planner_unreachable", "retry_after_seconds": 60}]


def test_serious_advice_needs_only_the_rasa_server_and_is_recorded_when_the_action_server_is_back(
        chat, deployment):
    sender, checking_in = "offline", "offline-mid-check-in"
    start(chat, sender)
    start(chat, checking_in)
    now = DAY0 + timedelta(days=1)
    assert last_question(chat.say(checking_in, "check in", now)) == "pain_rest"
    actions = chat.servers.processes[0]
    actions.terminate()
    actions.wait(timeout=30)
    for text, urgency, lead in SAID:
        replies = chat.say(sender, text, now)
        assert [p["urgency"] for p in payloads(replies, "escalation")] == [urgency]
        assert lead in texts(replies)
        assert UNREACHABLE not in texts(replies), "no 'try again in a minute' after a red flag's advice"
    assert stored(chat, sender) == []  # nobody could write them down yet
    for text in ("what's my plan today?", "can I go for a run?"):
        assert_notice(chat.say(sender, text, now))
    # the check-in form's validation is out of reach: the form says so and waits for the answer again
    assert_notice(chat.say(checking_in, "about a 1", now))

    back = runner.start_actions(deployment.actions_port, {**os.environ, **deployment.env}, deployment.folder / "logs")
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{chat.servers.actions_url}/health", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        chat.say(sender, "what's my plan today?", now)  # any turn that reaches the action server
        assert last_question(chat.say(checking_in, "about a 1", now)) == "pain_exercise", "the check-in goes on"
        assert sorted(stored(chat, sender)) == ["emergency", "urgent"]
        patient = Store(make_engine(chat.database_url)).find_patient("rest", sender)
        notices = NotificationStore(make_engine(chat.database_url)).of_patient(patient.id)  # type: ignore[union-attr]
        assert sorted(n.urgency for n in notices) == ["emergency", "urgent"]  # the clinic hears of them now
    finally:
        back.terminate()
        back.wait(timeout=30)
