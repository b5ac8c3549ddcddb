"""Rasa's SQL tracker store with an in-process copy of each conversation's latest session.

Every message makes Rasa re-read and re-decode the whole session from SQL; with this store, a
conversation this server has already seen is rebuilt from the events it last saved, exactly as the
SQL query would return them (events at or after the latest `session_started`, replayed with
`DialogueStateTracker.from_dict`). Writes still go to SQL first, so transcripts persist and a
restart starts from the database. Valid for ONE Rasa server only: behind a load balancer use
`type: SQL`, since another server's writes would not reach this cache.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker


def latest_session(tracker: DialogueStateTracker) -> list[dict[str, Any]]:
    """The tracker's events as the SQL store's `retrieve` returns them, serialised."""
    starts = [event.timestamp for event in tracker.events if isinstance(event, SessionStarted)]
    since = max(starts) if starts else float("-inf")
    return [event.as_dict() for event in tracker.events if event.timestamp >= since]


class CachedSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore plus an LRU cache of the latest session of the most recent conversations."""

    def __init__(self, domain: Domain | None = None, cache_size: int = 2000, **kwargs: Any) -> None:
        super().__init__(domain=domain, **kwargs)
        self._sessions: OrderedDict[str, list[dict[str, Any]]] = OrderedDict()
        self._cache_size = int(cache_size)

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        events = self._sessions.get(sender_id)
        if events is None or not self.domain:
            return await super().retrieve(sender_id)
        self._sessions.move_to_end(sender_id)
        return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)

    async def save(self, tracker: DialogueStateTracker) -> None:
        self._sessions.pop(tracker.sender_id, None)  # if the SQL write fails, the next read goes to SQL
        await super().save(tracker)
        self._sessions[tracker.sender_id] = latest_session(tracker)
        while len(self._sessions) > self._cache_size:
            self._sessions.popitem(last=False)
