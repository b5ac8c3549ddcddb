"""Storage fixtures: each test runs on SQLite in tmp_path, and on PostgreSQL when TEST_DATABASE_URL is set."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from datetime import date
from typing import TypeVar

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine

from rehab_coach.adapters.storage import PatientRecord, Store, make_engine, upgrade
from rehab_coach.adapters.storage.tables import metadata
from rehab_coach.core.model import CheckIn

T = TypeVar("T")
BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])
TODAY = date(2025, 3, 14)
QUIET_DAY: dict[str, object] = dict(
    pain_rest=1, pain_exercise=2, pain_morning=1, swelling="none", mechanical="none", adherence="all"
)


def at_once(database_url: str, run: Callable[[Engine], T], copies: int = 2) -> list[T]:
    """`run` on `copies` engines of the database (as many processes would), started together in threads."""
    engines = [make_engine(database_url) for _ in range(copies)]
    start, results = threading.Barrier(copies), []

    def each(engine: Engine) -> None:
        start.wait()
        results.append(run(engine))

    threads = [threading.Thread(target=each, args=(engine,)) for engine in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for engine in engines:
        engine.dispose()
    return results


def drop_everything(url: str) -> None:
    """Leave a shared database empty: the app's tables and Alembic's version table."""
    engine = make_engine(url)
    try:
        metadata.drop_all(engine)
        with engine.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    finally:
        engine.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An empty database: a fresh SQLite file, or the PostgreSQL test database wiped before and after."""
    if request.param == "sqlite":
        # A folder that does not exist yet: make_engine must create it.
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'var' / 'test.sqlite3'}"
        return
    url = os.environ["TEST_DATABASE_URL"]
    drop_everything(url)
    yield url
    drop_everything(url)


@pytest.fixture
def wipe(database_url: str) -> Callable[[], None]:
    """Empties the test database (for tests that rebuild the schema another way)."""
    return lambda: drop_everything(database_url)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on a database migrated to the newest schema."""
    upgrade(database_url)
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def today() -> date:
    """The patients' today in these tests."""
    return TODAY


@pytest.fixture
def store(engine: Engine) -> Store:
    return Store(engine)


@pytest.fixture
def patient(store: Store) -> PatientRecord:
    return store.patient("rest", "patient-1", TODAY)


@pytest.fixture
def make_checkin() -> Callable[..., CheckIn]:
    """A validated check-in for `day` (default TODAY): a quiet day unless values are overridden."""

    def make(day: date = TODAY, **overrides: object) -> CheckIn:
        values: dict[str, object] = {**QUIET_DAY, **overrides}
        return CheckIn.validated(day, TODAY, **values)

    return make


@pytest.fixture
def count_rows(engine: Engine) -> Callable[[str], int]:
    """How many rows a table holds, read straight from the database."""

    def count(table: str) -> int:
        with engine.connect() as connection:
            return int(
                connection.execute(select(func.count()).select_from(metadata.tables[table])).scalar_one()
            )

    return count
