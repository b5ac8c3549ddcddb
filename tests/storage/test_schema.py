"""The migrations build exactly the ORM's schema, and the database itself refuses bad rows."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from rehab_coach.adapters.storage import (
    PatientRecord,
    Store,
    alembic_config,
    default_database_url,
    make_engine,
    upgrade,
)
from rehab_coach.adapters.storage.db import schema_revision
from rehab_coach.adapters.storage.tables import CheckinRow, metadata
from rehab_coach.paths import PROJECT_ROOT, VAR_DIR

NOW = datetime(2025, 3, 14, 9, 0, tzinfo=timezone.utc)


def _schema_differences(engine: Engine) -> list[Any]:
    options = {"compare_type": True, "compare_server_default": True}
    with engine.connect() as connection:
        return list(compare_metadata(MigrationContext.configure(connection, opts=options), metadata))


def _constraints(engine: Engine) -> dict[str, Any]:
    """What alembic's comparison does not look at: CHECKs and foreign-key options, per table."""
    inspector = inspect(engine)
    return {
        table: {
            "checks": sorted((c["name"], c["sqltext"]) for c in inspector.get_check_constraints(table)),
            "foreign_keys": sorted(
                (
                    fk["name"],
                    tuple(fk["constrained_columns"]),
                    fk["referred_table"],
                    fk["options"].get("ondelete"),
                )
                for fk in inspector.get_foreign_keys(table)
            ),
        }
        for table in metadata.tables
    }


def _raw_checkin(patient_id: int, **overrides: Any) -> dict[str, Any]:
    row = dict(
        patient_id=patient_id,
        day=date(2025, 3, 14),
        pain_rest=1,
        pain_exercise=2,
        pain_morning=1,
        swelling="none",
        mechanical="none",
        adherence="all",
        created_at=NOW,
        updated_at=NOW,
    )
    return {**row, **overrides}


def test_migrated_schema_matches_the_orm_metadata(engine: Engine) -> None:
    assert _schema_differences(engine) == []


def test_migrations_create_the_same_checks_and_foreign_keys_as_the_tables(
    engine: Engine, wipe: Callable[[], None]
) -> None:
    migrated = _constraints(engine)
    wipe()
    metadata.create_all(engine)
    assert _constraints(engine) == migrated
    assert migrated["checkins"]["checks"], "CHECK constraints should be reflected"


def test_upgrade_twice_is_harmless(database_url: str) -> None:
    upgrade(database_url)
    upgrade(database_url)
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            head = ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()
            assert connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [head]
        assert _schema_differences(engine) == []
    finally:
        engine.dispose()


def test_schema_revision_is_none_before_the_first_migration_and_the_head_after(database_url: str) -> None:
    assert schema_revision(database_url) is None
    upgrade(database_url)
    assert schema_revision(database_url) == ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()


def test_processes_upgrading_at_the_same_time_do_not_collide(database_url: str) -> None:
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def run() -> None:
        start.wait()
        try:
            upgrade(database_url)
        except BaseException as error:  # reported below, a thread cannot fail the test itself
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_default_database_is_an_sqlite_file_in_the_projects_var_folder(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert default_database_url() == f"sqlite:///{VAR_DIR / 'rehab_coach.sqlite3'}"
    assert VAR_DIR.is_absolute() and VAR_DIR == PROJECT_ROOT / "var"
    assert (PROJECT_ROOT / "pyproject.toml").is_file()


def test_database_url_from_the_environment_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg2://coach@db/rehab")
    assert default_database_url() == "postgresql+psycopg2://coach@db/rehab"


def test_importing_storage_builds_no_engine_and_touches_no_files(tmp_path: Path) -> None:
    folder = tmp_path / "not-yet"
    probe = (
        "import gc, rehab_coach.adapters.storage, rehab_coach.adapters.storage.repository\n"
        "from sqlalchemy.engine import Engine\n"
        "assert not [o for o in gc.get_objects() if isinstance(o, Engine)]\n"
    )
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{folder / 'coach.sqlite3'}"}
    subprocess.run([sys.executable, "-c", probe], check=True, env=env, cwd=tmp_path)
    assert not folder.exists()


def test_making_an_sqlite_engine_creates_its_folder(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'a' / 'b' / 'coach.sqlite3'}")
    engine.dispose()
    assert (tmp_path / "a" / "b").is_dir()


def test_sqlite_connections_enforce_foreign_keys(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'coach.sqlite3'}")
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar_one() > 0
    finally:
        engine.dispose()


def test_database_refuses_a_checkin_for_a_missing_patient(engine: Engine) -> None:
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(CheckinRow.__table__.insert().values(**_raw_checkin(patient_id=999)))


@pytest.mark.parametrize(
    "bad",
    [
        {"pain_rest": 11},
        {"pain_exercise": -1},
        {"pain_morning": 12},
        {"swelling": "huge"},
        {"mechanical": "clicking"},
        {"adherence": "most"},
        {"day_class": "purple"},
    ],
    ids=lambda bad: "-".join(f"{k}={v}" for k, v in bad.items()),
)
def test_database_refuses_out_of_range_values_inserted_raw(
    engine: Engine, patient: PatientRecord, bad: dict[str, Any]
) -> None:
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(CheckinRow.__table__.insert().values(**_raw_checkin(patient.id, **bad)))
    with engine.connect() as connection:
        assert connection.execute(select(CheckinRow.id)).all() == []


def test_database_refuses_a_second_raw_checkin_for_the_same_day(
    engine: Engine, patient: PatientRecord
) -> None:
    with engine.begin() as connection:
        connection.execute(CheckinRow.__table__.insert().values(**_raw_checkin(patient.id)))
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(CheckinRow.__table__.insert().values(**_raw_checkin(patient.id, pain_rest=5)))


def test_erasing_a_patient_erases_everything_recorded_about_them(
    engine: Engine, patient: PatientRecord
) -> None:
    with engine.begin() as connection:
        connection.execute(CheckinRow.__table__.insert().values(**_raw_checkin(patient.id)))
        connection.execute(text("DELETE FROM patients WHERE id = :id"), {"id": patient.id})
    with engine.connect() as connection:
        assert connection.execute(select(CheckinRow.id)).all() == []


def test_upgrade_accepts_an_engine_so_an_in_memory_database_can_be_migrated_and_used() -> None:
    engine = make_engine("sqlite://")
    try:
        upgrade(engine)
        assert _schema_differences(engine) == []
        assert Store(engine).patient("rest", "anna", date(2025, 3, 14)).id == 1
    finally:
        engine.dispose()
