"""Engines, sessions and migrations. Nothing here runs at import: callers build what they need."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.orm import sessionmaker

from rehab_coach import settings

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 10_000
# Any constant works; it only has to be the same in every process that upgrades the same database.
_PG_UPGRADE_LOCK = 0x52454841  # "REHA"


def default_database_url() -> str:
    """DATABASE_URL when set, else an SQLite file in the project's var/ folder (settings.Settings)."""
    return settings.load().database_url


def make_engine(url: str | None = None) -> Engine:
    """A 2.0-style engine for `url` (default: `default_database_url()`); SQLite gets FKs and a busy wait."""
    url = url or default_database_url()
    if make_url(url).get_backend_name() != "sqlite":
        configured = settings.load()
        return create_engine(url, future=True, pool_pre_ping=True, pool_size=configured.db_pool_size,
                             max_overflow=configured.db_max_overflow)
    _ensure_sqlite_folder(url)
    engine = create_engine(url, future=True)
    event.listen(engine, "connect", _configure_sqlite)
    return engine


def _ensure_sqlite_folder(url: str) -> None:
    database = make_url(url).database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)


def _configure_sqlite(dbapi_connection: Any, connection_record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        # SQLite ignores foreign keys unless asked, per connection.
        cursor.execute("PRAGMA foreign_keys = ON")
        # The action server and the web app write the same file: wait for the lock instead of failing.
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        # WAL lets readers carry on while one process writes (a no-op for in-memory databases).
        _write_ahead_log(cursor)
    finally:
        cursor.close()


def _write_ahead_log(cursor: Any) -> None:
    """Switch to WAL. On a new file another process may be migrating, and SQLite then answers the switch with
    "database is locked" at once instead of waiting: so wait here, up to the busy timeout."""
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def session_factory(engine: Engine) -> sessionmaker:
    """Sessions for one unit of work each; objects stay readable after commit."""
    return sessionmaker(bind=engine, future=True, expire_on_commit=False)


def alembic_config(url: str | None = None) -> Config:
    """An Alembic config built in code (no alembic.ini), e.g. for `command.revision(autogenerate=True)`."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # Passed as an attribute, not a main option: ConfigParser would choke on '%' in passwords.
    config.attributes["database_url"] = url or default_database_url()
    return config


def upgrade(target: str | Engine | None = None) -> None:
    """Migrate the database (a URL, default `default_database_url()`, or an engine) to the newest schema.

    Idempotent. Accepting an engine lets an in-memory SQLite database be migrated and then used.
    """
    engine = target if isinstance(target, Engine) else make_engine(target)
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    try:
        with engine.begin() as connection:
            _lock_for_upgrade(connection)
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    finally:
        if engine is not target:
            engine.dispose()


def schema_revision(url: str) -> str | None:
    """The Alembic revision the database at `url` is at; None before the first migration."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def known_revision(revision: str | None) -> bool:
    """Whether this code's migrations can upgrade from `revision` (None: a database never migrated)."""
    scripts = ScriptDirectory(str(MIGRATIONS_DIR)).walk_revisions()
    return revision is None or revision in {script.revision for script in scripts}


def _lock_for_upgrade(connection: Connection) -> None:
    """Serialise concurrent upgrades (several processes starting at once) until this transaction ends."""
    backend = connection.dialect.name
    if backend == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_UPGRADE_LOCK})
    elif backend == "sqlite":
        # Take the write lock before Alembic reads the current version, so a second process waits and
        # then finds the work done, rather than both reading "empty" and colliding on CREATE TABLE.
        connection.exec_driver_sql("BEGIN IMMEDIATE")
