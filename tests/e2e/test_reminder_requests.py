"""Reminder requests through the real Rasa and action servers, with the scheduler running: "remind me at 7pm"
changes the stored time (in the middle of the check-in too, which then carries on), "stop reminders" stops them
(the scheduler sends that patient none while it reminds another), and look-alikes change nothing."""

from __future__ import annotations

import time
from datetime import datetime, timezone

import pytest

from rehab_coach.adapters.storage import Store, make_engine
from rehab_coach.services.reminders import STOPPED
from tests.e2e.conftest import Chat, last_question, payloads
from tests.e2e.test_conversation import ONBOARDING
from tests.e2e.test_reminders import events, reminders_every, server_env  # noqa: F401 (the same servers' fixtures)

pytestmark = pytest.mark.slow


def onboard(chat: Chat, sender: str, now: datetime) -> list[dict]:
    """Hello, then the onboarding answers; the first check-in's first question is left unanswered."""
    replies = chat.say(sender, "hi", now)
    for field in ("side", "sport", "diagnosed"):
        assert last_question(replies) == field
        replies = chat.say(sender, ONBOARDING[field], now)
    assert last_question(replies) == "pain_rest"
    return replies


def stored(chat: Chat, sender: str) -> tuple:
    patient = Store(make_engine(chat.database_url)).find_patient("rest", sender)
    assert patient is not None
    return patient.reminder_time, patient.timezone, patient.reminders_paused_until


def reminded(chat: Chat, sender: str) -> int:
    return sum(e["event"] == "user" and str(e.get("text", "")).startswith("EXTERNAL: ") for e in events(chat, sender))


def test_remind_me_at_7pm_mid_checkin_stores_the_time_and_the_checkin_carries_on(chat):
    now = datetime.now(timezone.utc)
    onboarding = onboard(chat, "sets-a-time", now)
    (offered,) = payloads(onboarding, "reminders")
    assert offered["time"] == "00:00" and not offered["stopped"]  # the clinic's default, offered for changing
    replies = chat.say("sets-a-time", "remind me at 7pm London time", now)
    (confirmed,) = payloads(replies, "reminders")
    assert (confirmed["time"], confirmed["zone"]) == ("19:00", "Europe/London")
    assert "19:00" in replies[0]["text"]
    assert last_question(replies) == "pain_rest"  # the check-in asks its question again
    assert stored(chat, "sets-a-time") == ("19:00", "Europe/London", None)


def exercise_answer(replies: list[dict]) -> bool:
    """How to do it, or which one of the calf raises ("which one do you mean?")."""
    return bool(payloads(replies, "exercise_info") or [q for q in payloads(replies, "question")
                                                        if q["field"] == "exercise"])


@pytest.mark.parametrize(("text", "answered"), [
    ("remind me how to do the calf raise", exercise_answer),
    ("numb since 7pm last night", lambda replies: bool(payloads(replies, "escalation"))),
])
def test_look_alikes_leave_the_reminders_alone(chat, text, answered):
    sender = f"look-alike-{len(text)}"
    now = datetime.now(timezone.utc)
    onboard(chat, sender, now)
    chat.say(sender, "stop", now)  # nothing in progress when the message comes
    replies = chat.say(sender, text, now)
    assert answered(replies) and not payloads(replies, "reminders")
    assert stored(chat, sender) == (None, None, None)


def test_stop_reminders_stops_them_while_another_patient_is_reminded(chat):
    now = datetime.now(timezone.utc)
    replies = chat.say("stops-them", "stop reminders", now)  # before onboarding: no reminder is due yet
    assert payloads(replies, "reminders")[0]["stopped"] is True
    assert stored(chat, "stops-them")[2] == STOPPED
    onboard(chat, "stops-them", now)
    onboard(chat, "keeps-them", now)
    deadline = time.monotonic() + 60
    while not reminded(chat, "keeps-them") and time.monotonic() < deadline:
        time.sleep(0.5)
    time.sleep(3)  # three more rounds
    assert reminded(chat, "keeps-them") == 1
    assert reminded(chat, "stops-them") == 0
