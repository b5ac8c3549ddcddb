"""The cached tracker store returns exactly what Rasa's SQL store returns, and persists like it."""

from __future__ import annotations

from pathlib import Path

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from rehab_coach.adapters.tracker_store import CachedSQLTrackerStore
from rehab_coach.paths import PROJECT_ROOT

DOMAIN = Domain.load(str(PROJECT_ROOT / "domain.yml"))


def conversation(sender: str) -> DialogueStateTracker:
    """Two sessions: the SQL store's retrieve returns only the second."""
    return DialogueStateTracker.from_events(sender, [*FIRST_SESSION, *SECOND_SESSION], DOMAIN.slots)


FIRST_SESSION = [
    ActionExecuted("action_session_start", timestamp=1), SessionStarted(timestamp=1),
    ActionExecuted("action_listen", timestamp=2), UserUttered("hi", timestamp=3),
    SlotSet("onboarded", True, timestamp=4),
]
SECOND_SESSION = [
    ActionExecuted("action_session_start", timestamp=10), SessionStarted(timestamp=10),
    SlotSet("onboarded", True, timestamp=10), ActionExecuted("action_listen", timestamp=11),
    UserUttered("check in", timestamp=12),
]


def stores(tmp_path: Path) -> tuple[CachedSQLTrackerStore, SQLTrackerStore]:
    db = str(tmp_path / "tracker.sqlite3")
    cached = CachedSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=db)
    return cached, SQLTrackerStore(DOMAIN, dialect="sqlite", db=db)


async def test_cached_retrieve_equals_the_sql_stores_retrieve(tmp_path):
    cached, plain = stores(tmp_path)
    await cached.save(conversation("patient"))
    from_cache, from_sql = await cached.retrieve("patient"), await plain.retrieve("patient")
    assert from_cache is not None and from_sql is not None
    assert [e.as_dict() for e in from_cache.events] == [e.as_dict() for e in from_sql.events]
    assert from_cache.current_slot_values() == from_sql.current_slot_values()
    assert from_cache.latest_message.text == "check in"


async def test_a_new_store_on_the_same_database_reads_what_was_saved(tmp_path):
    cached, _ = stores(tmp_path)
    await cached.save(conversation("patient"))
    restarted, _ = stores(tmp_path)
    tracker = await restarted.retrieve("patient")
    assert tracker is not None and tracker.latest_message.text == "check in"


async def test_the_cache_keeps_only_the_most_recent_conversations(tmp_path):
    cached = CachedSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "t.sqlite3"), cache_size=2)
    for sender in ("a", "b", "c"):
        await cached.save(conversation(sender))
    assert list(cached._trackers) == []  # two sessions each: SQL has to trim them
    for sender in ("a", "b", "c"):
        await cached.save(await cached.retrieve(sender))  # one session each now: kept
    assert list(cached._trackers) == ["b", "c"]
    assert (await cached.retrieve("a")) is not None  # read back from SQL


async def test_a_tracker_holding_one_session_is_handed_to_the_next_turn_as_saved(tmp_path):
    cached, plain = stores(tmp_path)
    await cached.save(await cached.retrieve("patient") or conversation("patient"))
    tracker = await cached.retrieve("patient")  # from SQL: the second session only
    assert tracker is not None
    tracker.update(ActionExecuted("action_plan", timestamp=13))
    await cached.save(tracker)
    kept = await cached.retrieve("patient")
    from_sql = await plain.retrieve("patient")
    assert kept is tracker and from_sql is not None
    assert [e.as_dict() for e in kept.events] == [e.as_dict() for e in from_sql.events]


async def test_whoever_retrieves_a_kept_tracker_owns_it_until_they_save(tmp_path):
    cached, _ = stores(tmp_path)
    await cached.save(DialogueStateTracker.from_events("patient", SECOND_SESSION, DOMAIN.slots))
    held = await cached.retrieve("patient")
    assert held is not None
    held.update(UserUttered("never saved", timestamp=20))  # a turn that fails before saving
    again = await cached.retrieve("patient")
    assert again is not None and again is not held and again.latest_message.text == "check in"


async def test_a_tracker_that_started_a_new_session_is_read_from_sql_next_time(tmp_path):
    cached, plain = stores(tmp_path)
    tracker = DialogueStateTracker.from_events("patient", FIRST_SESSION, DOMAIN.slots)
    await cached.save(tracker)
    assert await cached.retrieve("patient") is tracker
    for event in SECOND_SESSION:
        tracker.update(event)
    await cached.save(tracker)
    again, from_sql = await cached.retrieve("patient"), await plain.retrieve("patient")
    assert again is not tracker and again is not None and from_sql is not None
    assert [e.as_dict() for e in again.events] == [e.as_dict() for e in from_sql.events] != []
    assert len(again.events) == len(SECOND_SESSION)  # the second session only


async def test_a_new_models_domain_sends_every_conversation_back_to_sql(tmp_path):
    cached, _ = stores(tmp_path)
    tracker = DialogueStateTracker.from_events("patient", SECOND_SESSION, DOMAIN.slots)
    await cached.save(tracker)
    cached.domain = Domain.load(str(PROJECT_ROOT / "domain.yml"))  # as Rasa's agent does when it loads a model
    again = await cached.retrieve("patient")
    assert again is not None and again is not tracker


async def test_a_kept_tracker_writes_the_rows_rasas_store_writes_without_counting_them_in_sql(tmp_path, monkeypatch):
    cached, _ = stores(tmp_path)
    plain = SQLTrackerStore(DOMAIN, dialect="sqlite", db=str(tmp_path / "plain.sqlite3"))
    counted = []
    count = SQLTrackerStore._additional_events
    monkeypatch.setattr(SQLTrackerStore, "_additional_events",
                        lambda self, session, tracker: counted.append(self) or count(self, session, tracker))
    turns = [[ActionExecuted("action_listen", timestamp=20 + n), UserUttered(f"turn {n}", timestamp=20 + n)]
             for n in range(3)]
    turns.append([ActionExecuted("action_session_start", timestamp=30), SessionStarted(timestamp=30),
                  ActionExecuted("action_listen", timestamp=31), UserUttered("next day", timestamp=31)])
    for store in (cached, plain):
        await store.save(DialogueStateTracker.from_events("patient", SECOND_SESSION, DOMAIN.slots))
        for events in turns:
            tracker = await store.retrieve("patient")
            assert tracker is not None
            for event in events:
                tracker.update(event)
            await store.save(tracker)
    assert counted.count(cached) == 1  # the first save only: the next three trackers were kept ones
    rows = []
    for store in (cached, plain):
        with store.session_scope() as session:
            rows.append([(e.type_name, e.timestamp, e.data) for e in session.query(store.SQLEvent).order_by("id")])
    assert rows[0] == rows[1] and len(rows[0]) == len(SECOND_SESSION) + 10


async def test_a_turn_another_server_took_sends_the_next_turn_here_to_sql(tmp_path):
    """Two Rasa servers behind a load balancer, each with its cache, on one database."""
    first, _ = stores(tmp_path)
    second, plain = stores(tmp_path)
    await first.save(DialogueStateTracker.from_events("patient", SECOND_SESSION, DOMAIN.slots))
    elsewhere = await second.retrieve("patient")
    assert elsewhere is not None
    elsewhere.update(UserUttered("said on the other server", timestamp=20))
    await second.save(elsewhere)
    here, from_sql = await first.retrieve("patient"), await plain.retrieve("patient")
    assert here is not None and from_sql is not None and here.latest_message.text == "said on the other server"
    assert [e.as_dict() for e in here.events] == [e.as_dict() for e in from_sql.events]
    here.update(UserUttered("back here", timestamp=21))
    await first.save(here)
    assert await first.retrieve("patient") is here, "kept again once this server wrote the newest event"


def test_tracker_database_url_names_the_database_whatever_endpoints_say(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'elsewhere.sqlite3'}"
    monkeypatch.setenv("TRACKER_DATABASE_URL", url)
    store = CachedSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "endpoints.sqlite3"))
    assert str(store.engine.url) == url


async def test_tracker_cache_size_zero_keeps_no_conversation(tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKER_CACHE_SIZE", "0")
    cached = CachedSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "t.sqlite3"))
    tracker = DialogueStateTracker.from_events("patient", SECOND_SESSION, DOMAIN.slots)
    await cached.save(tracker)
    again = await cached.retrieve("patient")
    assert again is not None and again is not tracker and again.latest_message.text == "check in"


async def test_a_tracker_changed_after_its_save_and_never_saved_again_is_not_handed_out(tmp_path):
    """Rasa saves a new conversation's tracker and goes on with it; a turn cancelled then (the client went away
    under load) left its half-done session start to the next turn, which then had no session start."""
    cached, plain = stores(tmp_path)
    tracker = DialogueStateTracker.from_events("patient", SECOND_SESSION, DOMAIN.slots)
    await cached.save(tracker)
    tracker.update(SlotSet("onboarded", False, timestamp=20))  # the turn goes on, then is cancelled
    again, from_sql = await cached.retrieve("patient"), await plain.retrieve("patient")
    assert again is not None and again is not tracker and from_sql is not None
    assert [e.as_dict() for e in again.events] == [e.as_dict() for e in from_sql.events]
