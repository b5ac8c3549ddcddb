"""The history the web chat sends on (re)connection: both sides, payloads kept, internal turns left out."""

from __future__ import annotations

from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered

from rehab_coach.rasa.webchat import history

QUESTION = {"kind": "question", "field": "side", "type": "choice", "choices": ["left", "right", "both"]}


def test_history_keeps_both_sides_in_order_with_payloads_and_utc_times():
    events = [
        UserUttered("hi", timestamp=1_700_000_000),
        ActionExecuted("action_onboarding", timestamp=1_700_000_001),
        BotUttered("Which ankle is it?", {"custom": QUESTION}, timestamp=1_700_000_002),
        SlotSet("side", "left", timestamp=1_700_000_003),
        UserUttered("EXTERNAL: checkin_reminder", timestamp=1_700_000_004),  # a reminder the server started
        BotUttered("Time for today's check-in.", {}, timestamp=1_700_000_005),
    ]
    assert history(events) == [
        {"sender": "user", "text": "hi", "timestamp": "2023-11-14T22:13:20+00:00"},
        {"sender": "bot", "text": "Which ankle is it?", "custom": QUESTION, "timestamp": "2023-11-14T22:13:22+00:00"},
        {"sender": "bot", "text": "Time for today's check-in.", "timestamp": "2023-11-14T22:13:25+00:00"},
    ]


def test_history_is_the_newest_messages_when_the_conversation_is_long():
    events = [UserUttered(str(n), timestamp=1_700_000_000 + n) for n in range(10)]
    assert [m["text"] for m in history(events, limit=3)] == ["7", "8", "9"]
