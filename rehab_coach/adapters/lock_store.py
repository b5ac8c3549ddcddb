"""Rasa's conversation lock on Redis, for several Rasa servers, with each ticket step done by Redis alone.

Rasa 3.6's RedisLockStore keeps a conversation's tickets as one JSON value that a server reads, changes and writes
back, with nothing to stop another server doing the same in between (RasaHQ/rasa#9213): two servers can draw the
same ticket and handle one patient's messages at once, and a clean-up can delete a ticket another server has just
drawn. Here:
- a conversation's tickets are a sorted set of numbers drawn by `INCR` on a counter that outlives every ticket it
  numbered, with each one's expiry time in a hash;
- drawing, renewing, finishing and dropping expired tickets are each one Lua script, and expiry is by Redis's clock,
  so the hosts' clocks do not matter;
- a ticket lives 10 s (Rasa's: 60 s) and is renewed every few seconds while its turn waits or runs: a server killed
  mid-turn holds the patient's conversation for 10 s at most, and a slow turn keeps its lock however long it takes;
- serving, waiting and finishing keep Rasa's ticket-lock semantics: the lowest number left is served next.

Redis down: each Rasa server falls back to a lock of its own (Rasa's in-memory store), so it keeps answering and
serves one conversation's messages one at a time, while two servers could each take one of the same patient's
messages at the same moment (README: Redis down). It logs the switch both ways and uses Redis again as soon as
Redis answers.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import redis
from rasa.core.lock import Ticket, TicketLock
from rasa.core.lock_store import InMemoryLockStore, LockStore

from rehab_coach import settings

log = logging.getLogger(__name__)

PREFIX = "rehab:lock:"
TIMEOUT = 2.0  # seconds: Redis away must not hold a patient's turn for long
LIFETIME = 10.0  # seconds a ticket lives unless renewed: a dead server's tickets hold a conversation this long
# KEYS: the tickets (a sorted set of numbers), their expiry times (a hash, number -> ms), the counter
_PURGE = """
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
for _, number in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local expires = tonumber(redis.call('HGET', KEYS[2], number))
  if not expires or expires <= now then
    redis.call('ZREM', KEYS[1], number)
    redis.call('HDEL', KEYS[2], number)
  end
end
"""
_KEEP = """
local function keep(number, lifetime)
  redis.call('HSET', KEYS[2], number, now + lifetime)
  for _, key in ipairs(KEYS) do
    if redis.call('PTTL', key) < lifetime then redis.call('PEXPIRE', key, lifetime) end
  end
end
"""
_ISSUE = _PURGE + _KEEP + """
local number = redis.call('INCR', KEYS[3])
redis.call('ZADD', KEYS[1], number, number)
keep(number, tonumber(ARGV[1]))
return number
"""
_RENEW = _PURGE + _KEEP + """
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
keep(ARGV[1], tonumber(ARGV[2]))
return 1
"""
_TICKETS = _PURGE + "return redis.call('ZRANGE', KEYS[1], 0, -1)"
_FINISH = "redis.call('ZREM', KEYS[1], ARGV[1]); redis.call('HDEL', KEYS[2], ARGV[1])"


class AtomicRedisLockStore(LockStore):
    """The lock store of `endpoints.yml`'s `lock_store: type: rehab_coach.adapters.lock_store.AtomicRedisLockStore`:
    Redis at REDIS_URL, with the password REDIS_PASSWORD (a secret)."""

    def __init__(self, endpoint_config: Any = None, url: str | None = None) -> None:
        url = url or settings.load().redis_url
        if url is None:
            raise settings.SettingError("setting REDIS_URL: missing (the Redis lock store needs it)")
        self.red = redis.Redis.from_url(url, password=settings.secret(settings.REDIS_PASSWORD),
                                        socket_timeout=TIMEOUT, socket_connect_timeout=TIMEOUT)
        self._issue, self._renew, self._tickets, self._finish = (
            self.red.register_script(script) for script in (_ISSUE, _RENEW, _TICKETS, _FINISH))
        self._own = InMemoryLockStore()
        self._redis_away = False
        super().__init__()

    @staticmethod
    def _keys(conversation_id: str) -> list[str]:
        return [f"{PREFIX}{conversation_id}", f"{PREFIX}{conversation_id}:expires", f"{PREFIX}{conversation_id}:issued"]

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LIFETIME) -> int:
        return int(self._issue(keys=self._keys(conversation_id), args=[math.ceil(lock_lifetime * 1000)]))

    async def _renewing(self, conversation_id: str, ticket: int, lifetime: float) -> None:
        """Keep the ticket alive while its turn waits or runs, however long that takes."""
        while True:
            await asyncio.sleep(lifetime / 3)
            try:
                self._renew(keys=self._keys(conversation_id), args=[ticket, math.ceil(lifetime * 1000)])
            except redis.RedisError:  # the turn goes on; the ticket may expire
                log.warning("Redis unreachable: a ticket was not renewed")

    def get_lock(self, conversation_id: str) -> TicketLock | None:
        """The tickets Redis has not expired, oldest first (each `math.inf` here: Redis decides when one expires)."""
        numbers = [int(number) for number in self._tickets(keys=self._keys(conversation_id)[:2])]
        return TicketLock(conversation_id, deque(Ticket(number, math.inf) for number in numbers)) if numbers else None

    def update_lock(self, conversation_id: str) -> None:
        self._tickets(keys=self._keys(conversation_id)[:2])

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        self._finish(keys=self._keys(conversation_id)[:2], args=[ticket_number])

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Only this ticket goes (Redis drops the set when it is empty): deleting the lock when no one seemed to be
        waiting would also drop a ticket another server drew in between."""
        try:
            self.finish_serving(conversation_id, ticket_number)
        except redis.RedisError:  # the turn is done; the ticket expires on its own
            log.warning("Redis unreachable: a ticket is left to expire")

    def delete_lock(self, conversation_id: str) -> None:
        self.red.delete(*self._keys(conversation_id))

    @asynccontextmanager
    async def lock(self, conversation_id: str, lock_lifetime: float = LIFETIME,
                   wait_time_in_seconds: float = 1) -> AsyncIterator[TicketLock]:
        """Rasa's lock, its ticket renewed while it waits and while its turn runs; or this server's own lock while
        Redis cannot be reached."""
        try:
            ticket = self.issue_ticket(conversation_id, lock_lifetime)
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
        renewing = asyncio.create_task(self._renewing(conversation_id, ticket, lock_lifetime))
        try:
            yield await self._acquire_lock(conversation_id, ticket, wait_time_in_seconds)
        finally:
            renewing.cancel()
            self.cleanup(conversation_id, ticket)
