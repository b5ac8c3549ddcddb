"""Backups of the databases: a consistent copy of each while the servers write, and the way back.

SQLite is copied with its online backup API in one step, which is one read transaction: a snapshot that the
servers keep writing past (WAL lets them). It comes back the same way, in reverse, into the live file: every
other connection sees the old database or the restored one, never a mix, whereas a file copied over a
database whose -wal file still holds pages would be corrupted by them. PostgreSQL goes through pg_dump's
custom format and comes back with pg_restore in one transaction; the password reaches the child in
PGPASSWORD (its environment), never on its command line.

A backup is a folder (mode 700: it is health data) holding one file per database and manifest.json, each
mode 600.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import datetime, timezone
from glob import glob
from pathlib import Path
from typing import Any

from sqlalchemy import exists, select, table
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError

from rehab_coach.adapters.storage import make_engine
from rehab_coach.adapters.storage.db import known_revision, schema_revision

FORMAT = "rehab-coach backup 1"
MANIFEST = "manifest.json"
SUFFIXES = {"sqlite": "sqlite3", "postgresql": "pgdump"}  # a database's kind -> its backup file's suffix
IN_USE = {"app": "patients", "tracker": "events"}  # each database by name: in use when this table has rows


class BackupError(Exception):
    """Why a backup or a restore cannot go ahead, in one line."""


def backup(databases: dict[str, str], folder: Path) -> dict[str, Path]:
    """Copy each database (name -> URL) into `folder`, which must be new; the files written, by name."""
    started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    try:
        folder.mkdir(mode=0o700, parents=True)
    except OSError as error:
        raise BackupError(f"cannot create {folder}: {error.strerror}; back up into a new folder") from None
    try:
        entries = {}
        for name, url in databases.items():
            with _about(name):
                kind = _kind(url)
                path = folder / f"{name}.{SUFFIXES[kind]}"
                if kind == "sqlite":
                    _sqlite_backup(_sqlite_file(url), path)
                else:
                    _postgres("pg_dump", url, "--format=custom", f"--file={path}")
                path.chmod(0o600)
                entries[name] = {"file": path.name, "kind": kind}
        with _about("app"):
            revision = schema_revision(databases["app"])
        manifest = {"format": FORMAT, "created_at": started, "schema_revision": revision, "databases": entries}
        (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        (folder / MANIFEST).chmod(0o600)
    except BaseException:
        shutil.rmtree(folder)  # no half backup to mistake for a whole one
        raise
    return {name: folder / entry["file"] for name, entry in entries.items()}


def restore(folder: Path, databases: dict[str, str], force: bool) -> dict[str, Any]:
    """Bring the backup in `folder` back into the databases (name -> URL); its manifest.

    Everything is checked before anything is written: the manifest, that each file is of the database's
    kind (and, for SQLite, sound), and that no database already holds records unless `force`.
    """
    manifest = _read_manifest(folder)
    entries = manifest["databases"]
    for name, entry in entries.items():
        with _about(name):
            url, path = databases[name], folder / entry["file"]
            if entry["kind"] != _kind(url):
                raise BackupError(f"the backup is of {entry['kind']}, the database is {_kind(url)}")
            if entry["kind"] == "sqlite":
                _sqlite_check(path)
            elif not path.is_file():
                raise FileNotFoundError(f"{path} is missing")
            if not force and _holds_records(url, IN_USE[name]):
                raise BackupError(f"{make_url(url).render_as_string()} already holds {IN_USE[name]}; restore into "
                                  "an empty database, or replace it with --force")
    for name, entry in entries.items():
        with _about(name):
            if entry["kind"] == "sqlite":
                _sqlite_restore(folder / entry["file"], _sqlite_file(databases[name]))
            else:
                _postgres("pg_restore", databases[name], "--clean", "--if-exists", "--no-owner",
                          "--single-transaction", str(folder / entry["file"]))
    return manifest


def _read_manifest(folder: Path) -> dict[str, Any]:
    """The manifest of the backup in `folder`, checked: this format, known databases and a known schema."""
    if not folder.is_dir():
        raise BackupError(f"{folder}: not a folder")
    path = folder / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        entries = manifest["databases"]
        valid = manifest["format"] == FORMAT and bool(entries) and set(entries) <= set(IN_USE) and all(
            entry["kind"] in SUFFIXES and entry["file"] == Path(entry["file"]).name for entry in entries.values())
        known = known_revision(manifest["schema_revision"])
    except FileNotFoundError:
        raise BackupError(f"{folder}: no {MANIFEST} (not a backup, or one that did not finish)") from None
    except (OSError, ValueError, LookupError, TypeError, AttributeError):
        valid = False
    if not valid:
        raise BackupError(f"{path}: not a Rehab Coach backup manifest")
    if not known:
        raise BackupError(f"{folder}: schema revision {manifest['schema_revision']!r} is newer than this code's")
    return manifest


@contextmanager
def _about(name: str) -> Iterator[None]:
    """The failures of the database `name` as one-line BackupErrors naming it."""
    try:
        yield
    except (BackupError, OSError, sqlite3.Error, SQLAlchemyError) as error:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        raise BackupError(f"{name}: {reason}") from None


def _kind(url: str) -> str:
    kind = make_url(url).get_backend_name()
    if kind not in SUFFIXES:
        raise BackupError(f"a {kind} database cannot be backed up (SQLite and PostgreSQL can)")
    return kind


def _sqlite_file(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory database has no file to back up or restore")
    return Path(database)


def _read_only(path: Path) -> sqlite3.Connection:
    if not path.is_file():
        raise FileNotFoundError(f"no SQLite database at {path}")
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=10)


def _sqlite_backup(database: Path, path: Path) -> None:
    with closing(_read_only(database)) as source, closing(sqlite3.connect(path)) as copy:
        source.backup(copy)  # all pages in one step: one read transaction, so one moment's database
        copy.execute("PRAGMA journal_mode = DELETE")  # one self-contained file, whatever the source's mode


def _sqlite_check(path: Path) -> None:
    with closing(_read_only(path)) as copy:
        if copy.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise BackupError(f"{path} is damaged")


def _sqlite_restore(path: Path, database: Path) -> None:
    database.parent.mkdir(parents=True, exist_ok=True)
    with closing(_read_only(path)) as copy, closing(sqlite3.connect(database, timeout=10)) as live:
        copy.backup(live)  # waits for the servers' writes, then replaces every page in one transaction


def _holds_records(url: str, name: str) -> bool:
    if _kind(url) == "sqlite" and not _sqlite_file(url).exists():
        return False  # rather than create it before everything is checked
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return engine.dialect.has_table(connection, name) and bool(
                connection.execute(select(exists().select_from(table(name)))).scalar())
    finally:
        engine.dispose()


def _postgres(program: str, url: str, *args: str) -> None:
    """Run a PostgreSQL client on the database at `url`: its address as an argument, its password in the
    child's environment."""
    parsed = make_url(url)
    address = URL.create("postgresql", parsed.username, None, parsed.host, parsed.port, parsed.database, parsed.query)
    environment = {**os.environ, "PGPASSWORD": parsed.password} if parsed.password else None
    done = subprocess.run([_client(program), f"--dbname={address.render_as_string()}", *args],
                          env=environment, capture_output=True, text=True)
    if done.returncode:
        reason = (done.stderr.strip() or f"exit status {done.returncode}").splitlines()[0]
        raise BackupError(f"{program} failed: {reason}")


def _client(program: str) -> str:
    """A PostgreSQL client program: on the PATH, else the newest under /usr/lib/postgresql (Debian, Ubuntu)."""
    found = shutil.which(program) or max(glob(f"/usr/lib/postgresql/[0-9]*/bin/{program}"), default=None,
                                         key=lambda path: float(Path(path).parts[4]))
    if not found:
        raise BackupError(f"{program} not found: install PostgreSQL's client programs (e.g. postgresql-client)")
    return found
