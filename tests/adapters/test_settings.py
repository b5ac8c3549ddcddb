"""One Settings object: read from the environment, a wrong value refused at start with one line naming it."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from rehab_coach import settings
from rehab_coach.paths import VAR_DIR


def test_defaults_are_the_one_machine_setup(monkeypatch):
    for name in ("DATABASE_URL", "TRACKER_DATABASE_URL", "REHAB_CHAT_DEMO", "COACH_SIMULATED_CLOCK"):
        monkeypatch.delenv(name, raising=False)
    loaded = settings.load()
    assert loaded.database_url == f"sqlite:///{VAR_DIR / 'rehab_coach.sqlite3'}"
    assert loaded.tracker_database_url is None and not loaded.demo and not loaded.simulated_clock


def test_the_environment_sets_them(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg2://coach@db/rehab")
    monkeypatch.setenv(settings.DEMO_ENV, "1")
    loaded = settings.load()
    assert loaded.database_url == "postgresql+psycopg2://coach@db/rehab" and loaded.demo


@pytest.mark.parametrize("command", [["-m", "rehab_coach.cli", "check-knowledge"], ["-m", "rehab_coach.portal"]])
def test_a_process_with_a_wrong_setting_stops_at_start_with_one_line_naming_it(command):
    env = {"PATH": "", "REHAB_CHAT_DEMO": "yes"}
    result = subprocess.run([sys.executable, *command], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == ["setting REHAB_CHAT_DEMO: unexpected value; permitted: '0', '1'"]


def test_the_reminder_defaults_and_their_checks(monkeypatch):
    monkeypatch.delenv("REMINDER_DEFAULT_TIME", raising=False)
    monkeypatch.delenv("CLINIC_TIMEZONE", raising=False)
    assert (settings.load().reminder_default_time, settings.load().clinic_timezone) == ("09:00", "UTC")
    monkeypatch.setenv("REMINDER_DEFAULT_TIME", "19:30")
    monkeypatch.setenv("CLINIC_TIMEZONE", "Europe/London")
    assert (settings.load().reminder_default_time, settings.load().clinic_timezone) == ("19:30", "Europe/London")
    for name, wrong in (("REMINDER_DEFAULT_TIME", "7pm"), ("REMINDER_DEFAULT_TIME", "24:00"),
                        ("CLINIC_TIMEZONE", "Europe/Londn"), ("CLINIC_TIMEZONE", "../etc/passwd")):
        monkeypatch.setenv(name, wrong)
        with pytest.raises(settings.SettingError, match=f"^setting {name}: '{re.escape(wrong)}' is not "):
            settings.load()
        monkeypatch.setenv(name, "09:00" if name == "REMINDER_DEFAULT_TIME" else "UTC")


@pytest.mark.parametrize(("given", "channels"), [
    ({}, []),
    ({"TELEGRAM_BOT_USERNAME": "CoachTestBot"}, ["telegram"]),
    ({"TWILIO_SMS_NUMBER": "+447700900000"}, ["sms"]),
    ({"TWILIO_WHATSAPP_NUMBER": "+14155238886", "TELEGRAM_BOT_USERNAME": "CoachTestBot"}, ["telegram", "whatsapp"]),
])
def test_each_messaging_channel_is_switched_on_by_its_own_setting(monkeypatch, given, channels):
    for name in ("TELEGRAM_BOT_USERNAME", "TWILIO_WHATSAPP_NUMBER", "TWILIO_SMS_NUMBER"):
        monkeypatch.delenv(name, raising=False)
    for name, value in given.items():
        monkeypatch.setenv(name, value)
    assert settings.load().messaging_channels == channels

