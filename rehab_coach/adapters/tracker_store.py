"""Rasa's SQL tracker store with each conversation's latest tracker kept in memory.

Every message made Rasa re-read, re-decode and replay the whole session from SQL. With this store, the tracker
this server last saved for a conversation is handed to its next turn as it is, when it holds exactly what the
SQL query would return: the events at or after the latest `session_started` (a tracker that has just started a
new session still holds the old one, and is read from SQL next time). Retrieving takes the tracker out of the
cache, so whoever holds it owns it until they save it: a turn that fails before saving leaves nothing behind, and
the next turn reads SQL. A kept tracker also keeps what `rehab_coach.rasa.speedups` worked out from its events.
Writes still go to SQL first, so transcripts persist and a restart starts from the database.

Several Rasa servers (README: Several servers): a kept tracker is handed out only while the conversation's newest
event in SQL is still the one this server wrote (an indexed query at each save and each hand-out), so a turn
another server took in between sends the next turn here to SQL. The conversation lock
(rehab_coach.adapters.lock_store) keeps two servers from writing one conversation at once. TRACKER_DATABASE_URL,
when set, is the database (every server's, and the portal's), whatever endpoints.yml says.
"""

from __future__ import annotations

import itertools
import math
import weakref
from collections import OrderedDict, deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import func

from rehab_coach import settings


@dataclass(frozen=True)
class Span:
    """A tracker's events as far as they were looked at: how many, the latest session start, the earliest event."""

    events: weakref.ref[deque[Event]]  # to the tracker's deque (a span does not keep a conversation in memory)
    length: int
    since: float  # the latest `session_started`'s timestamp (-inf: none)
    earliest: float

    def holds_for(self, events: deque[Event]) -> bool:
        """Whether `events` are the ones the span looked at, grown or not."""
        return self.events() is events and len(events) >= self.length

    @property
    def one_session(self) -> bool:
        """Every event is at or after the latest session start: what SQL's `retrieve` would return."""
        return self.earliest >= self.since


def span(tracker: DialogueStateTracker, before: Span | None = None) -> Span:
    """The tracker's span, reading only the events added since `before` when it still applies."""
    events = tracker.events
    if before is None or not before.holds_for(events):
        before = Span(weakref.ref(events), 0, -math.inf, math.inf)
    new = list(itertools.islice(events, before.length, None))
    starts = [event.timestamp for event in new if isinstance(event, SessionStarted)]
    return Span(before.events, len(events), max([before.since, *starts]),
                min([before.earliest, *(event.timestamp for event in new)]))


class CachedSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore plus an LRU cache of the trackers of the most recent conversations."""

    def __init__(self, domain: Domain | None = None, cache_size: int | None = None, **kwargs: Any) -> None:
        configured = settings.load()
        url = configured.tracker_database_url
        super().__init__(domain=domain, **{**kwargs, **({"host": url} if url else {})})  # Rasa takes a URL as host
        # each kept tracker with the id of the newest event in SQL when it was saved
        self._trackers: OrderedDict[str, tuple[DialogueStateTracker, int | None]] = OrderedDict()
        self._spans: dict[str, Span] = {}  # of the trackers last saved (kept, or handed out and not saved yet)
        self._cache_size = configured.tracker_cache_size if cache_size is None else int(cache_size)

    @property
    def domain(self) -> Domain:
        return self._domain

    @domain.setter
    def domain(self, domain: Domain | None) -> None:
        """A new model's domain: the trackers kept have the old one's slots, so they are read from SQL again."""
        self._domain = domain or Domain.empty()
        self._trackers.clear()

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        kept, saved = self._trackers.pop(sender_id, None), self._spans.get(sender_id)
        # as saved: a turn that went on with the tracker it saved (a new conversation's, say) and never saved again
        # (cancelled when the client went away) must not hand on its half-done events
        if kept is not None and saved is not None and len(kept[0].events) == saved.length \
                and kept[1] == self._newest_event(sender_id):
            return kept[0]
        return await super().retrieve(sender_id)

    def _newest_event(self, sender_id: str) -> int | None:
        with self.session_scope() as session:
            return session.query(func.max(self.SQLEvent.id)).filter(self.SQLEvent.sender_id == sender_id).scalar()

    async def save(self, tracker: DialogueStateTracker) -> None:
        sender = tracker.sender_id
        self._trackers.pop(sender, None)  # if the SQL write fails, the next read goes to SQL
        before = self._spans.get(sender)
        try:
            await super().save(tracker)
        finally:
            self._spans.pop(sender, None)
        after = span(tracker, before)
        if after.one_session and self._cache_size:
            self._trackers[sender], self._spans[sender] = (tracker, self._newest_event(sender)), after
        while len(self._trackers) > self._cache_size:
            self._trackers.popitem(last=False)
        while len(self._spans) > self._cache_size:
            del self._spans[next(iter(self._spans))]

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator[Event]:
        """The events to write: Rasa counts the session's rows in SQL at every save, a cost that grows with the
        session; a tracker saved here before (the same events, grown) has its count in its span."""
        before = self._spans.get(tracker.sender_id)
        if before is None or not before.holds_for(tracker.events):
            return super()._additional_events(session, tracker)
        return itertools.islice(tracker.events, before.length, None)
