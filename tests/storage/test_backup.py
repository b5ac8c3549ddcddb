"""The backup adapter: a consistent copy of each database and the way back."""

from __future__ import annotations

from pathlib import Path

import pytest

from rehab_coach.adapters import backup as backups


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
