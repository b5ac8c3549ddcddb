"""Transcripts read what Rasa's SQL tracker store wrote: both sides, payloads, in order; text stays text."""

from __future__ import annotations

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.constants import EXTERNAL_MESSAGE_PREFIX
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from rehab_coach.adapters.transcripts import EXTERNAL_PREFIX, Transcripts, tracker_database_url
from rehab_coach.paths import PROJECT_ROOT

PLAN = {"kind": "plan", "phase": "settle"}


async def test_a_conversation_comes_back_from_the_tracker_store_as_rasa_saved_it(tmp_path):
    store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(tmp_path / "tracker.sqlite3"))
    tracker = DialogueStateTracker.from_events("web-1", [
        UserUttered("<script>alert(1)</script> my plan?", timestamp=1_700_000_000),
        ActionExecuted("action_plan", timestamp=1_700_000_001),
        BotUttered("Today's plan ...", {"custom": PLAN}, timestamp=1_700_000_002),
    ])
    await store.save(tracker)
    await store.save(DialogueStateTracker.from_events("someone-else", [UserUttered("hi", timestamp=1_700_000_003)]))

    messages = Transcripts(f"sqlite:///{tmp_path / 'tracker.sqlite3'}").messages("web-1")
    assert messages == [
        {"sender": "user", "text": "<script>alert(1)</script> my plan?", "timestamp": "2023-11-14T22:13:20+00:00"},
        {"sender": "bot", "text": "Today's plan ...", "custom": PLAN, "timestamp": "2023-11-14T22:13:22+00:00"},
    ]


async def test_each_message_carries_the_channel_the_patient_last_wrote_on(tmp_path):
    """Rasa records the channel with the patient's messages only; the coach's replies, and a turn it starts (a
    reminder, sent on the latest channel), are on that channel too."""
    store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(tmp_path / "tracker.sqlite3"))
    await store.save(DialogueStateTracker.from_events("p-1", [
        UserUttered("hi", input_channel="socketio", timestamp=1_700_000_000),
        BotUttered("Hello", timestamp=1_700_000_001),
        UserUttered("my plan?", input_channel="telegram", timestamp=1_700_000_002),
        BotUttered("Today's plan", {"custom": PLAN}, timestamp=1_700_000_003),
        UserUttered(f"{EXTERNAL_PREFIX}reminder", input_channel="telegram", timestamp=1_700_000_004),
        BotUttered("Time for today's check-in", timestamp=1_700_000_005),
        UserUttered("3", input_channel="whatsapp", timestamp=1_700_000_006),
    ]))
    messages = Transcripts(f"sqlite:///{tmp_path / 'tracker.sqlite3'}").messages("p-1")
    assert [(m["text"], m["channel"]) for m in messages] == [
        ("hi", "socketio"), ("Hello", "socketio"), ("my plan?", "telegram"), ("Today's plan", "telegram"),
        ("Time for today's check-in", "telegram"), ("3", "whatsapp")]


def test_no_tracker_database_yet_means_no_transcript(tmp_path):
    assert Transcripts(f"sqlite:///{tmp_path / 'none.sqlite3'}").messages("web-1") == []


def test_server_started_turns_are_recognised_as_rasa_marks_them():
    assert EXTERNAL_PREFIX == EXTERNAL_MESSAGE_PREFIX


def test_the_transcripts_are_read_where_the_rasa_server_writes_them(tmp_path, monkeypatch):
    monkeypatch.delenv("TRACKER_DATABASE_URL", raising=False)
    assert tracker_database_url() == f"sqlite:///{PROJECT_ROOT / 'var' / 'tracker.sqlite3'}"
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text("tracker_store:\n  type: SQL\n  dialect: postgresql\n  url: db.clinic\n  port: 5433\n"
                         "  db: rasa\n  username: coach\n  password: s3cret\n")
    assert tracker_database_url(endpoints) == "postgresql://coach:s3cret@db.clinic:5433/rasa"
    monkeypatch.setenv("TRACKER_DATABASE_URL", "sqlite:////elsewhere.sqlite3")
    assert tracker_database_url(endpoints) == "sqlite:////elsewhere.sqlite3"
