"""The runner keeps the newest models only, shows each step in one line with the raw output in its log; secrets
are generated once, or come from the environment."""

from __future__ import annotations

import os
import secrets
import sys
import time
from pathlib import Path

import pytest

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


def fake_rasa(monkeypatch, tmp_path, code: str) -> Path:
    """`rasa train` replaced by a script; the logs and models go to tmp_path."""
    monkeypatch.setattr(runner, "rasa", lambda *args: [sys.executable, "-c", code])
    monkeypatch.setattr(runner, "LOG_DIR", tmp_path / "log")
    monkeypatch.setattr(runner, "TRAINING_TIME", tmp_path / "log" / "training-seconds")
    return tmp_path / "models"


def test_training_output_goes_to_its_log_and_the_terminal_gets_one_line(monkeypatch, tmp_path, capsys):
    models = fake_rasa(monkeypatch, tmp_path, "import pathlib, sys; print('epoch 1/60 loss 3.2'); "
                                              f"pathlib.Path({str(tmp_path / 'models')!r}).mkdir(); "
                                              f"pathlib.Path({str(tmp_path / 'models' / 'm.tar.gz')!r}).touch()")
    assert runner.train(out=models) == models / "m.tar.gz"
    shown = capsys.readouterr().out
    assert "model ... done" in shown and "epoch" not in shown
    assert "epoch 1/60" in (tmp_path / "log" / "train.log").read_text()


def test_a_failed_training_prints_the_logs_last_lines_and_its_path(monkeypatch, tmp_path, capsys):
    models = fake_rasa(monkeypatch, tmp_path, "import sys; print('\\n'.join(f'line {i}' for i in range(50))); "
                                              "print('InvalidDomain: no such intent'); sys.exit(1)")
    with pytest.raises(runner.StepFailed):
        runner.train(out=models)
    error = capsys.readouterr().err
    assert "InvalidDomain: no such intent" in error and "line 5\n" not in error
    assert str(tmp_path / "log" / "train.log") in error


def _first_use(name: str, results) -> None:
    results.put(settings.secret(name))


def test_servers_starting_together_on_a_new_machine_share_one_secret(tmp_path, monkeypatch):
    import multiprocessing

    monkeypatch.setattr(settings, "SECRETS_FILE", tmp_path / "secrets.env")
    monkeypatch.delenv("ACTION_SERVER_TOKEN", raising=False)
    make = secrets.token_urlsafe
    monkeypatch.setattr(secrets, "token_urlsafe", lambda n: time.sleep(0.3) or make(n))  # widen the race
    context = multiprocessing.get_context("fork")  # the children see the file moved to tmp_path
    results = context.Queue()
    processes = [context.Process(target=_first_use, args=("ACTION_SERVER_TOKEN", results)) for _ in range(8)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(30)
    values = {results.get(timeout=5) for _ in processes}
    assert len(values) == 1 and values == {settings.secret("ACTION_SERVER_TOKEN")}
    assert (tmp_path / "secrets.env").stat().st_mode & 0o077 == 0
