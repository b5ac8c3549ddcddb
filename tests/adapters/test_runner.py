"""The runner keeps the newest models only; secrets are generated once, or come from the environment."""

from __future__ import annotations

import os

from rehab_coach import runner, settings


def test_only_the_newest_models_are_kept(tmp_path):
    for age, name in enumerate(["c", "b", "a", "d", "e"]):
        path = tmp_path / f"{name}.tar.gz"
        path.write_text(name)
        os.utime(path, (1000 + age, 1000 + age))
    runner.prune_models(tmp_path, keep=3)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.tar.gz", "d.tar.gz", "e.tar.gz"]
    assert runner.newest_model(tmp_path).name == "e.tar.gz"


def test_a_secret_is_generated_once_random_and_private(tmp_path, monkeypatch):
    monkeypatch.setattr(settings, "SECRETS_FILE", tmp_path / "secrets.env")
    monkeypatch.delenv("RASA_AUTH_TOKEN", raising=False)
    first = settings.secret("RASA_AUTH_TOKEN")
    assert len(first) >= 32 and settings.secret("RASA_AUTH_TOKEN") == first
    assert settings.secret("OTHER") != first
    assert (tmp_path / "secrets.env").stat().st_mode & 0o077 == 0


def test_a_secret_set_in_the_environment_wins_and_is_not_written(tmp_path, monkeypatch):
    monkeypatch.setattr(settings, "SECRETS_FILE", tmp_path / "secrets.env")
    monkeypatch.setenv("CHAT_TOKEN_KEY", "from-the-deployment")
    assert settings.secret("CHAT_TOKEN_KEY") == "from-the-deployment"
    assert not (tmp_path / "secrets.env").exists()
