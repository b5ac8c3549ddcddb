"""Rasa's conversation lock on Redis, for several Rasa servers, with each ticket step done by Redis alone.

Rasa 3.6's RedisLockStore keeps a conversation's tickets as one JSON value that a server reads, changes and writes
back, with nothing to stop another server doing the same in between (RasaHQ/rasa#9213): two servers can draw the
same ticket and handle one patient's messages at once, and a clean-up can delete a ticket another server has just
drawn. Here:
- a conversation's tickets are a sorted set scored by number (member `number:expires_ms`), numbered by `INCR` on a
  counter that outlives every ticket it numbered;
- drawing a ticket and dropping expired ones are each one Lua script, and expiry is by Redis's clock, so the hosts'
  clocks do not matter;
- serving, waiting and finishing keep Rasa's ticket-lock semantics: the lowest number left is served next.

Redis down: each Rasa server falls back to a lock of its own (Rasa's in-memory store), so it keeps answering and
serves one conversation's messages one at a time, while two servers could each take one of the same patient's
messages at the same moment (README: Redis down). It logs the switch both ways and uses Redis again as soon as
Redis answers.
"""

from __future__ import annotations

import logging
import math
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import redis
from rasa.core.lock import Ticket, TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, InMemoryLockStore, LockStore

from rehab_coach import settings

log = logging.getLogger(__name__)

PREFIX = "rehab:lock:"
TIMEOUT = 2.0  # seconds: Redis away must not hold a patient's turn for long
_PURGE = """
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
for _, ticket in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if tonumber(string.match(ticket, ':(%d+)$')) <= now then redis.call('ZREM', KEYS[1], ticket) end
end
"""
_ISSUE = _PURGE + """
local lifetime = tonumber(ARGV[1])
local number = redis.call('INCR', KEYS[2])
redis.call('ZADD', KEYS[1], number, number .. ':' .. (now + lifetime))
for _, key in ipairs(KEYS) do
  if redis.call('PTTL', key) < lifetime then redis.call('PEXPIRE', key, lifetime) end
end
return number
"""
_TICKETS = _PURGE + "return redis.call('ZRANGE', KEYS[1], 0, -1)"


class AtomicRedisLockStore(LockStore):
    """The lock store of `endpoints.yml`'s `lock_store: type: rehab_coach.adapters.lock_store.AtomicRedisLockStore`:
    Redis at REDIS_URL, with the password REDIS_PASSWORD (a secret)."""

    def __init__(self, endpoint_config: Any = None, url: str | None = None) -> None:
        url = url or settings.load().redis_url
        if url is None:
            raise settings.SettingError("setting REDIS_URL: missing (the Redis lock store needs it)")
        self.red = redis.Redis.from_url(url, password=settings.secret(settings.REDIS_PASSWORD),
                                        socket_timeout=TIMEOUT, socket_connect_timeout=TIMEOUT)
        self._issue, self._tickets = self.red.register_script(_ISSUE), self.red.register_script(_TICKETS)
        self._own = InMemoryLockStore()
        self._redis_away = False
        super().__init__()

    @staticmethod
    def _keys(conversation_id: str) -> list[str]:
        return [f"{PREFIX}{conversation_id}", f"{PREFIX}{conversation_id}:issued"]

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        return int(self._issue(keys=self._keys(conversation_id), args=[math.ceil(lock_lifetime * 1000)]))

    def get_lock(self, conversation_id: str) -> TicketLock | None:
        """The tickets Redis has not expired, oldest first (each `math.inf` here: Redis decides when one expires)."""
        numbers = [int(member.split(b":")[0]) for member in self._tickets(keys=self._keys(conversation_id)[:1])]
        return TicketLock(conversation_id, deque(Ticket(number, math.inf) for number in numbers)) if numbers else None

    def update_lock(self, conversation_id: str) -> None:
        self._tickets(keys=self._keys(conversation_id)[:1])

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        self.red.zremrangebyscore(self._keys(conversation_id)[0], ticket_number, ticket_number)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Only this ticket goes (Redis drops the set when it is empty): deleting the lock when no one seemed to be
        waiting would also drop a ticket another server drew in between."""
        try:
            self.finish_serving(conversation_id, ticket_number)
        except redis.RedisError:  # the turn is done; the ticket expires on its own
            log.warning("Redis unreachable: a ticket is left to expire")

    def delete_lock(self, conversation_id: str) -> None:
        self.red.delete(*self._keys(conversation_id))

    def save_lock(self, lock: TicketLock) -> None:
        raise NotImplementedError("tickets change only through issue_ticket, update_lock and finish_serving")

    @asynccontextmanager
    async def lock(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME,
                   wait_time_in_seconds: float = 1) -> AsyncIterator[TicketLock]:
        """Rasa's lock, or this server's own while Redis cannot be reached."""
        try:
            ticket = self.issue_ticket(conversation_id, lock_lifetime)
            held = await self._acquire_lock(conversation_id, ticket, wait_time_in_seconds)
        except redis.RedisError as error:
            if not self._redis_away:
                log.error("Redis unreachable (%s): this server's own conversation lock until it answers",
                          type(error).__name__)
                self._redis_away = True
            async with self._own.lock(conversation_id, lock_lifetime, wait_time_in_seconds) as own:
                yield own
            return
        if self._redis_away:
            log.warning("Redis answers again: the shared conversation lock is back")
            self._redis_away = False
        try:
            yield held
        finally:
            self.cleanup(conversation_id, ticket)
