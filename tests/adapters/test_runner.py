"""The runner keeps the newest models only, and never generates a secret twice."""

from __future__ import annotations

import os

from rehab_coach import runner


def test_only_the_newest_models_are_kept(tmp_path):
    for age, name in enumerate(["c", "b", "a", "d", "e"]):
        path = tmp_path / f"{name}.tar.gz"
        path.write_text(name)
        os.utime(path, (1000 + age, 1000 + age))
    runner.prune_models(tmp_path, keep=3)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.tar.gz", "d.tar.gz", "e.tar.gz"]
    assert runner.newest_model(tmp_path).name == "e.tar.gz"


def test_a_secret_is_generated_once_random_and_private(tmp_path, monkeypatch):
    monkeypatch.setattr(runner, "SECRETS_FILE", tmp_path / "secrets.env")
    first = runner.secret("RASA_AUTH_TOKEN")
    assert len(first) >= 32 and runner.secret("RASA_AUTH_TOKEN") == first
    assert runner.secret("OTHER") != first
    assert (tmp_path / "secrets.env").stat().st_mode & 0o077 == 0
