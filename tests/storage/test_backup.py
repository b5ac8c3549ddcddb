"""`./coach backup` and `./coach restore`: a consistent copy of both databases while check-ins are saved, and
the way back. The app database is SQLite, and PostgreSQL too when TEST_DATABASE_URL is set (conftest);
the tracker store is an SQLite file."""

from __future__ import annotations

import json
import sqlite3
import stat
import threading
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import select
from sqlalchemy.engine import make_url

from rehab_coach import bootstrap, cli
from rehab_coach.adapters import backup as backups
from rehab_coach.adapters.storage import default_database_url, make_engine
from rehab_coach.adapters.storage.db import MIGRATIONS_DIR, schema_revision
from rehab_coach.adapters.transcripts import EVENTS
from tests.storage.conftest import QUIET_DAY, drop_everything

START = date(2025, 1, 1)
HEAD = ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()  # the newest schema


def save_events(url: str, count: int) -> list[int]:
    """`count` rows in the tracker store's events table (created if missing); their ids."""
    engine = make_engine(url)
    try:
        EVENTS.metadata.create_all(engine)
        with engine.begin() as connection:
            return [connection.execute(EVENTS.insert().values(sender_id="patient-1", type_name="user",
                                                              timestamp=time.time())).inserted_primary_key[0]
                    for _ in range(count)]
    finally:
        engine.dispose()


def event_ids(url: str) -> set[int]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return set(connection.execute(select(EVENTS.c.id)).scalars())
    finally:
        engine.dispose()


def checkins(senders: list[str]) -> set[tuple[str, date]]:
    """(sender, day) of every check-in of these web-chat patients in the configured app database."""
    store = bootstrap.store()
    return {(sender, checkin.day) for sender in senders
            for checkin in store.checkins(store.patient("rest", sender, START).id)}


def use_databases(monkeypatch: pytest.MonkeyPatch, app: str, tracker: str) -> None:
    monkeypatch.setenv("DATABASE_URL", app)
    monkeypatch.setenv("TRACKER_DATABASE_URL", tracker)


@pytest.fixture
def live(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The configured databases: the app's migrated, the tracker store's with a few events; the tracker's URL."""
    tracker = f"sqlite:///{tmp_path / 'live' / 'tracker.sqlite3'}"
    use_databases(monkeypatch, database_url, tracker)
    bootstrap.migrate()
    save_events(tracker, 3)
    return tracker


@pytest.fixture
def fresh(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[], str]:
    """Switches the configuration to empty databases (a new folder; the PostgreSQL test database wiped);
    the new tracker store's URL."""

    def switch() -> str:
        app = database_url
        if make_url(database_url).get_backend_name() == "sqlite":
            app = f"sqlite:///{tmp_path / 'fresh' / 'app.sqlite3'}"
        else:
            drop_everything(database_url)
        tracker = f"sqlite:///{tmp_path / 'fresh' / 'tracker.sqlite3'}"
        use_databases(monkeypatch, app, tracker)
        return tracker

    return switch


def sound(url: str) -> bool:
    """Whether an SQLite database passes SQLite's integrity check (PostgreSQL: nothing to check here)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return True
    with sqlite3.connect(str(parsed.database)) as connection:
        return connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_a_backup_taken_while_checkins_are_saved_holds_every_one_saved_before_it(
        live: str, fresh: Callable[[], str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    coach = bootstrap.coach()
    senders = [f"patient-{n}" for n in range(4)]
    saved_checkins: list[tuple[str, date]] = []  # each one once its save has returned, so committed
    saved_events: list[int] = [1, 2, 3]
    stop = threading.Event()

    def save_checkins(sender: str) -> None:
        patient, day = coach.patient("rest", sender, START), START
        while not stop.is_set():
            coach.record_checkin(patient, QUIET_DAY, day)
            saved_checkins.append((sender, day))
            day += timedelta(days=1)

    def save_tracker_events() -> None:
        while not stop.is_set():
            saved_events.extend(save_events(live, 1))

    writers = [threading.Thread(target=save_checkins, args=(sender,)) for sender in senders]
    writers.append(threading.Thread(target=save_tracker_events))
    for writer in writers:
        writer.start()
    try:
        while len(saved_checkins) < 200:
            assert all(writer.is_alive() for writer in writers)
            time.sleep(0.01)
        checkins_before, events_before = set(saved_checkins), set(saved_events)
        assert cli.main(["backup", "--to", str(tmp_path / "backup")]) == 0
        assert len(saved_checkins) > len(checkins_before)  # the writers kept saving while it ran
    finally:
        stop.set()
        for writer in writers:
            writer.join()
    printed = capsys.readouterr().out
    assert f"backup written to {tmp_path / 'backup'}" in printed and "NOT in it: the secrets" in printed

    tracker = fresh()
    assert cli.main(["restore", str(tmp_path / "backup")]) == 0
    assert checkins_before <= checkins(senders) and events_before <= event_ids(tracker)
    assert sound(default_database_url()) and sound(tracker)
    assert schema_revision(default_database_url()) == HEAD


def test_restore_refuses_databases_holding_records_unless_forced(
        live: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    coach = bootstrap.coach()
    patient = coach.patient("rest", "patient-1", START)
    coach.record_checkin(patient, QUIET_DAY, START)
    assert cli.main(["backup", "--to", str(tmp_path / "backup")]) == 0
    coach.record_checkin(patient, QUIET_DAY, START + timedelta(days=1))

    assert cli.main(["restore", str(tmp_path / "backup")]) == 1
    assert "already holds patients" in capsys.readouterr().err
    assert checkins(["patient-1"]) == {("patient-1", START), ("patient-1", START + timedelta(days=1))}

    assert cli.main(["restore", str(tmp_path / "backup"), "--force"]) == 0
    assert checkins(["patient-1"]) == {("patient-1", START)}
    assert sound(default_database_url())


@pytest.fixture
def sqlite_backup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A backup of SQLite databases holding a check-in and events; the configuration then names empty ones."""
    use_databases(monkeypatch, f"sqlite:///{tmp_path / 'app.sqlite3'}", f"sqlite:///{tmp_path / 'tracker.sqlite3'}")
    coach = bootstrap.coach()
    coach.record_checkin(coach.patient("rest", "patient-1", START), QUIET_DAY, START)
    save_events(f"sqlite:///{tmp_path / 'tracker.sqlite3'}", 3)
    assert cli.main(["backup", "--to", str(tmp_path / "backup")]) == 0
    use_databases(monkeypatch, f"sqlite:///{tmp_path / 'empty' / 'app.sqlite3'}",
                  f"sqlite:///{tmp_path / 'empty' / 'tracker.sqlite3'}")
    return tmp_path / "backup"


def test_a_backup_is_readable_by_its_owner_alone(sqlite_backup: Path) -> None:
    assert stat.S_IMODE(sqlite_backup.stat().st_mode) == 0o700
    assert {path.name: stat.S_IMODE(path.stat().st_mode) for path in sqlite_backup.iterdir()} == {
        "manifest.json": 0o600, "app.sqlite3": 0o600, "tracker.sqlite3": 0o600}


def test_the_manifest_names_each_database_file_and_the_schema(sqlite_backup: Path) -> None:
    manifest = json.loads((sqlite_backup / "manifest.json").read_text())
    assert manifest["format"] == "rehab-coach backup 1" and manifest["schema_revision"] == HEAD
    assert manifest["databases"] == {"app": {"file": "app.sqlite3", "kind": "sqlite"},
                                     "tracker": {"file": "tracker.sqlite3", "kind": "sqlite"}}


def test_a_backup_that_fails_leaves_no_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    use_databases(monkeypatch, f"sqlite:///{tmp_path / 'app.sqlite3'}", f"sqlite:///{tmp_path / 'none.sqlite3'}")
    bootstrap.migrate()
    assert cli.main(["backup", "--to", str(tmp_path / "backup")]) == 1
    assert capsys.readouterr().err == f"backup: tracker: no SQLite database at {tmp_path / 'none.sqlite3'}\n"
    assert not (tmp_path / "backup").exists()


def test_a_backup_never_writes_into_an_existing_folder(sqlite_backup: Path, capsys: pytest.CaptureFixture[str]
                                                      ) -> None:
    assert cli.main(["backup", "--to", str(sqlite_backup)]) == 1
    assert capsys.readouterr().err == f"backup: cannot create {sqlite_backup}: File exists; back up into a new folder\n"
    assert sorted(path.name for path in sqlite_backup.iterdir()) == ["app.sqlite3", "manifest.json", "tracker.sqlite3"]


def edit_manifest(**changes: object) -> Callable[[Path], Path]:
    def edit(backup: Path) -> Path:
        manifest = json.loads((backup / "manifest.json").read_text())
        (backup / "manifest.json").write_text(json.dumps({**manifest, **changes}))
        return backup

    return edit


def write(name: str, content: bytes) -> Callable[[Path], Path]:
    def replace(backup: Path) -> Path:
        (backup / name).write_bytes(content)
        return backup

    return replace


def remove(name: str) -> Callable[[Path], Path]:
    def unlink(backup: Path) -> Path:
        (backup / name).unlink()
        return backup

    return unlink


@pytest.mark.parametrize("damage, message", [
    (lambda backup: backup / "nowhere", "nowhere: not a folder"),
    (lambda backup: backup / "app.sqlite3", "app.sqlite3: not a folder"),
    (remove("manifest.json"), "backup: no manifest.json (not a backup, or one that did not finish)"),
    (write("manifest.json", b'{"format": "rehab-coach backup 1", "databa'), "not a Rehab Coach backup manifest"),
    (write("manifest.json", b"\xff\xfe"), "not a Rehab Coach backup manifest"),
    (write("manifest.json", b"[1, 2]"), "not a Rehab Coach backup manifest"),
    (edit_manifest(format="something else 2"), "not a Rehab Coach backup manifest"),
    (edit_manifest(databases={"other": {"file": "app.sqlite3", "kind": "sqlite"}}), "not a Rehab Coach backup"),
    (edit_manifest(databases={"app": {"file": "../app.sqlite3", "kind": "sqlite"}}), "not a Rehab Coach backup"),
    (edit_manifest(databases={"app": {"file": "app.sqlite3", "kind": "oracle"}}), "not a Rehab Coach backup"),
    (edit_manifest(schema_revision="9999"), "schema revision '9999' is newer than this code's"),
    (edit_manifest(databases={"app": {"file": "app.sqlite3", "kind": "postgresql"}}),
     "app: the backup is of postgresql, the database is sqlite"),
    (write("app.sqlite3", b"not a database" * 500), "app: file is not a database"),
    (remove("tracker.sqlite3"), "tracker: no SQLite database at"),
], ids=["missing folder", "a file", "no manifest", "corrupt manifest", "not text", "a list", "other format",
        "unknown database", "a path outside", "unknown kind", "newer schema", "wrong kind", "damaged file",
        "missing file"])
def test_a_bad_backup_is_refused_in_one_line_and_nothing_is_restored(
        sqlite_backup: Path, damage: Callable[[Path], Path], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["restore", str(damage(sqlite_backup))]) == 1
    error = capsys.readouterr().err
    assert error.startswith("restore: ") and message in error and error.count("\n") == 1
    assert not any((sqlite_backup.parent / "empty").glob("*.sqlite3"))


def test_postgresql_clients_get_the_password_in_their_environment_never_on_their_command_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []

    def run(command: list[str], env: dict[str, str], **options: object) -> object:
        calls.append((command, env))
        for argument in command:
            if argument.startswith("--file="):
                Path(argument.removeprefix("--file=")).write_bytes(b"PGDMP")
        return type("Done", (), {"returncode": 0})

    monkeypatch.setattr(backups.subprocess, "run", run)
    monkeypatch.setattr(backups.shutil, "which", lambda program: f"/usr/bin/{program}")
    monkeypatch.setattr(backups, "schema_revision", lambda url: "0002")
    url = "postgresql+psycopg2://coach:s3cret@db.example:5433/coach?sslmode=require"
    backups.backup({"app": url}, tmp_path / "backup")
    backups.restore(tmp_path / "backup", {"app": url}, force=True)
    assert [command[0] for command, _ in calls] == ["/usr/bin/pg_dump", "/usr/bin/pg_restore"]
    for command, env in calls:
        assert "--dbname=postgresql://coach@db.example:5433/coach?sslmode=require" in command
        assert not any("s3cret" in argument for argument in command) and env["PGPASSWORD"] == "s3cret"
    assert "--format=custom" in calls[0][0] and {"--clean", "--if-exists", "--single-transaction"} <= set(calls[1][0])
