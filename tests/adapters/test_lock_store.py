"""The conversation lock on a real Redis (Debian's redis-server), as several Rasa servers share it: each store
instance below is one server, each in a thread of its own."""

from __future__ import annotations

import asyncio
import secrets
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from rasa.core.lock_store import LockStore, RedisLockStore

from rehab_coach.adapters.lock_store import PREFIX, AtomicRedisLockStore
from rehab_coach.addresses import free_port
from rehab_coach.runner import start_redis
from rehab_coach.settings import REDIS_PASSWORD

SERVERS = 6


class Redis:
    """A throwaway Redis: its port, password and a client."""

    def __init__(self, folder: Path) -> None:
        self.port, self.password, self.folder = free_port(), secrets.token_urlsafe(16), folder
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.start()

    def start(self) -> None:
        self.process = start_redis(self.port, self.password, self.folder)
        self.client = redis.Redis(port=self.port, password=self.password)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture
def red(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Redis]:
    server = Redis(tmp_path)
    monkeypatch.setenv(REDIS_PASSWORD, server.password)
    yield server
    server.stop()


def stock(red: Redis) -> LockStore:
    return RedisLockStore(port=red.port, password=red.password, db=0)


def ours(red: Redis) -> LockStore:
    return AtomicRedisLockStore(url=red.url)


def on_servers(make: object, red: Redis, work: object) -> list[BaseException]:
    """`work(store)` on SERVERS threads at once, each with its own store and event loop; what each raised."""
    start = threading.Barrier(SERVERS)
    failures: list[BaseException] = []

    def server() -> None:
        store = make(red)  # type: ignore[operator]
        start.wait()
        try:
            # stock Rasa can leave a server waiting for ever (an emptied lock, still saved, is never served)
            asyncio.run(asyncio.wait_for(work(store), timeout=30))  # type: ignore[operator]
        except BaseException as error:  # noqa: BLE001 - reported by the test
            failures.append(error)

    threads = [threading.Thread(target=server) for _ in range(SERVERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return failures


def drawn_tickets(make: object, red: Redis) -> Counter[int]:
    drawn: Counter[int] = Counter()

    async def draw(store: LockStore) -> None:
        for _ in range(100):
            drawn[store.issue_ticket("patient-1")] += 1

    assert not on_servers(make, red, draw)
    return drawn


def turns_at_once(make: object, red: Redis, turns: int = 15, lifetime: float = 2, lasting: float = 0.002
                  ) -> tuple[int, list[BaseException]]:
    """Each server handles `turns` turns of one conversation under the lock; a turn reads a count, waits
    `lasting` seconds, and writes it back one higher. Returns how many turns the count lost (two servers in one turn
    at once), and the errors."""
    red.client.set("turns", 0)

    async def take_turns(store: LockStore) -> None:
        for _ in range(turns):
            async with store.lock("patient-1", lock_lifetime=lifetime, wait_time_in_seconds=0.005):
                seen = int(red.client.get("turns") or 0)
                await asyncio.sleep(lasting)
                red.client.set("turns", seen + 1)

    failures = on_servers(make, red, take_turns)
    return SERVERS * turns - int(red.client.get("turns") or 0), failures


def test_several_servers_never_draw_the_same_ticket(red: Redis) -> None:
    drawn = drawn_tickets(ours, red)
    assert sum(drawn.values()) == SERVERS * 100
    assert max(drawn.values()) == 1


def test_stock_rasa_draws_the_same_ticket_twice_the_race_the_test_above_would_catch(red: Redis) -> None:
    assert max(drawn_tickets(stock, red).values()) > 1


def test_one_conversation_is_in_one_turn_at_a_time_across_servers(red: Redis) -> None:
    assert turns_at_once(ours, red) == (0, [])
    assert not red.client.keys(f"{PREFIX}patient-1"), "the last turn's clean-up leaves no ticket behind"


def test_a_turn_longer_than_a_tickets_lifetime_keeps_its_lock_while_it_runs(red: Redis) -> None:
    assert turns_at_once(ours, red, turns=2, lifetime=0.3, lasting=0.5) == (0, [])


async def test_a_dead_servers_ticket_gives_way_within_its_lifetime(red: Redis) -> None:
    dead, alive = ours(red), ours(red)
    dead.issue_ticket("patient-4", lock_lifetime=0.5)  # drawn, then the server was killed: never renewed or cleaned
    started = time.monotonic()
    async with alive.lock("patient-4", lock_lifetime=0.5, wait_time_in_seconds=0.05):
        waited = time.monotonic() - started
    assert 0.4 < waited < 1.5


def test_stock_rasa_lets_two_servers_into_one_conversation_at_once_or_drops_a_waiting_turn(red: Redis) -> None:
    lost, failures = turns_at_once(stock, red)
    assert lost > 0 or failures  # a clean-up deletes the lock others wait on: "Could not acquire lock"


def test_the_lowest_live_ticket_is_served_and_an_expired_one_gives_way(red: Redis) -> None:
    store = ours(red)
    first = store.issue_ticket("patient-2", lock_lifetime=0.05)
    second = store.issue_ticket("patient-2")
    lock = store.get_lock("patient-2")
    assert lock is not None and lock.now_serving == first and lock.is_locked(second)
    time.sleep(0.1)
    lock = store.get_lock("patient-2")
    assert lock is not None and lock.now_serving == second
    store.cleanup("patient-2", second)
    assert store.get_lock("patient-2") is None
    assert store.issue_ticket("patient-2") == second + 1, "numbers never restart while the counter lives"


def test_redis_down_each_server_serves_one_turn_at_a_time_and_uses_redis_again_when_it_is_back(
        red: Redis, caplog: pytest.LogCaptureFixture) -> None:
    store = ours(red)
    order: list[str] = []

    async def turn(name: str) -> None:
        async with store.lock("patient-3", wait_time_in_seconds=0.005):
            order.append(f"{name} in")
            await asyncio.sleep(0.02)
            order.append(f"{name} out")

    async def two_turns() -> None:
        await asyncio.gather(turn("a"), turn("b"))

    red.stop()
    asyncio.run(two_turns())
    assert order == ["a in", "a out", "b in", "b out"]
    assert "Redis unreachable" in caplog.text

    red.start()
    issued: list[int] = []

    async def held() -> None:
        async with store.lock("patient-3") as lock:
            issued.append(lock.now_serving or 0)
            assert red.client.keys(f"{PREFIX}patient-3"), "the ticket is in Redis"

    asyncio.run(held())
    assert issued == [1] and "Redis answers again" in caplog.text
