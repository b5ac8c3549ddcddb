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


NOTIFY_SETTINGS = ("CLINIC_SLACK_WEBHOOK_URL", "SMTP_HOST", "SMTP_PORT", "SMTP_STARTTLS", "SMTP_USERNAME",
                   "SMTP_PASSWORD", "CLINIC_NOTIFY_FROM", "CLINIC_NOTIFY_TO", "PORTAL_PUBLIC_URL")


@pytest.fixture
def no_channels(monkeypatch, tmp_path):
    """No notification channel in the environment nor in the secrets file."""
    for name in NOTIFY_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(settings, "SECRETS_FILE", tmp_path / "secrets.env")
    return monkeypatch


def test_the_clinic_channels_are_none_some_or_both_and_email_is_set_up_whole(no_channels):
    assert (settings.slack_webhook_url(), settings.clinic_email()) == (None, None)
    no_channels.setenv("CLINIC_SLACK_WEBHOOK_URL", "https://hooks.slack.com/services/T0/B0/abc")
    assert settings.slack_webhook_url() == "https://hooks.slack.com/services/T0/B0/abc"
    for name, value in (("SMTP_HOST", "smtp.clinic.example"), ("CLINIC_NOTIFY_FROM", "coach@clinic.example"),
                        ("CLINIC_NOTIFY_TO", "physio@clinic.example, lead@clinic.example")):
        no_channels.setenv(name, value)
    assert settings.clinic_email() == settings.ClinicEmail("smtp.clinic.example", 587, True, None, None,
                                                           "coach@clinic.example",
                                                           ("physio@clinic.example", "lead@clinic.example"))
    no_channels.setenv("SMTP_USERNAME", "coach")
    no_channels.setenv("SMTP_PASSWORD", "s3cret-pw")
    no_channels.setenv("SMTP_STARTTLS", "0")
    found = settings.clinic_email()
    assert found is not None and (found.username, found.password, found.starttls) == ("coach", "s3cret-pw", False)
    assert "s3cret-pw" not in repr(found)


@pytest.mark.parametrize(("given", "error"), [
    ({"SMTP_HOST": "smtp.clinic.example", "CLINIC_NOTIFY_FROM": "coach@clinic.example"},
     "setting CLINIC_NOTIFY_TO: missing"),
    ({"CLINIC_NOTIFY_TO": "physio@clinic.example"}, "setting SMTP_HOST: missing"),
    ({"SMTP_HOST": "smtp.clinic.example", "CLINIC_NOTIFY_FROM": "coach@clinic.example",
      "CLINIC_NOTIFY_TO": "physio@clinic.example", "SMTP_USERNAME": "coach"}, "setting SMTP_PASSWORD: missing"),
    ({"SMTP_PASSWORD": "s3cret-pw"}, "setting SMTP_HOST: missing"),
    ({"CLINIC_SLACK_WEBHOOK_URL": "hooks.slack.com/services/s3cret"}, "setting CLINIC_SLACK_WEBHOOK_URL: not a URL"),
    ({"CLINIC_NOTIFY_TO": "physio at clinic"}, "setting CLINIC_NOTIFY_TO: string does not match"),
    ({"PORTAL_PUBLIC_URL": "portal.clinic.example"}, "setting PORTAL_PUBLIC_URL: invalid or missing URL scheme"),
])
def test_a_half_configured_channel_is_refused_naming_the_setting_and_never_its_secret(no_channels, given, error):
    for name, value in given.items():
        no_channels.setenv(name, value)
    with pytest.raises(settings.SettingError) as refused:
        settings.slack_webhook_url()
        settings.clinic_email()
    assert str(refused.value).startswith(error) and "s3cret" not in str(refused.value)


def test_the_scheduler_stops_at_start_on_a_half_configured_channel_with_one_line_naming_it(tmp_path):
    env = {"PATH": "", "DATABASE_URL": f"sqlite:///{tmp_path / 'app.sqlite3'}", "SMTP_HOST": "smtp.clinic.example",
           "CLINIC_NOTIFY_FROM": "coach@clinic.example"}
    result = subprocess.run([sys.executable, "-m", "rehab_coach.scheduler"], capture_output=True, text=True, env=env,
                            timeout=120)
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "setting CLINIC_NOTIFY_TO: missing (email to the clinic needs SMTP_HOST, CLINIC_NOTIFY_FROM and "
        "CLINIC_NOTIFY_TO, and SMTP_USERNAME with SMTP_PASSWORD or neither)"]
