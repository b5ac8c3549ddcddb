"""Every setting of every process, in one place: `load()` reads them from the environment (nothing else
reads os.environ), and each process calls it at start, so a wrong value stops it with one line naming the
variable.

Secrets have no default and never appear on a command line: a deployment sets them as environment
variables (the same names), so several machines share one value; on one machine they are generated on
first use into var/secrets.env (mode 600, never committed).
"""

from __future__ import annotations

import fcntl
import os
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from ipaddress import IPv4Address, IPv6Address
from typing import Literal, Optional, Union

from pydantic import AnyHttpUrl, BaseSettings, DirectoryPath, ValidationError, conint, constr, validator

from rehab_coach.core.schedule import time_of_day, time_zone
from rehab_coach.paths import VAR_DIR

SECRETS_FILE = VAR_DIR / "secrets.env"
RASA_TOKEN = "RASA_AUTH_TOKEN"  # the Rasa HTTP API's token
ACTIONS_TOKEN = "ACTION_SERVER_TOKEN"  # the Rasa server's key to the action server (endpoints.yml sends it)
REST_TOKEN = "REST_CHANNEL_TOKEN"  # the REST channel's bearer token (not needed in demo mode)
DEMO_ENV = "REHAB_CHAT_DEMO"  # the demo switch, as `./coach run --demo` passes it to the servers
TELEGRAM_TOKEN = "TELEGRAM_TOKEN"  # the bot's token from BotFather (never generated)
TELEGRAM_WEBHOOK_SECRET = "TELEGRAM_WEBHOOK_SECRET"  # Telegram signs the updates it posts with it
TWILIO_TOKEN = "TWILIO_AUTH_TOKEN"  # Twilio's auth token (WhatsApp and SMS): given by Twilio, never generated
PHONE_NUMBER = r"\+[1-9][0-9]{6,14}"  # E.164
TELEGRAM, WHATSAPP, SMS = "telegram", "whatsapp", "sms"  # the messaging channels' names, as Rasa records them
SLACK_WEBHOOK = "CLINIC_SLACK_WEBHOOK_URL"  # the clinic's Slack incoming webhook: its URL is its key (given by Slack)
SMTP_PASSWORD = "SMTP_PASSWORD"  # the clinic's email account's password (never generated)
REDIS_PASSWORD = "REDIS_PASSWORD"  # Redis's (several servers: README: Several servers)
EMAIL = r"[^@\s,<>]+@[^@\s,<>]+"


class Settings(BaseSettings):
    """Field names are the environment variables' names, lower-cased."""

    # The interface every listener binds to; "0.0.0.0" (behind a TLS-terminating proxy) widens it.
    coach_host: Union[IPv4Address, IPv6Address] = IPv4Address("127.0.0.1")  # noqa: UP007
    database_url: str = f"sqlite:///{VAR_DIR / 'rehab_coach.sqlite3'}"  # the app database
    tracker_database_url: Optional[str] = None  # Rasa's tracker store; default: the one endpoints.yml names  # noqa: UP045
    # Conversations whose latest tracker each Rasa server keeps in memory (adapters/tracker_store.py); 0: none.
    tracker_cache_size: conint(ge=0, le=1_000_000) = 2000  # type: ignore[valid-type]
    # Each process's connections to PostgreSQL, per database: kept open, and more at a peak. Every process of every
    # host together must stay under PostgreSQL's max_connections (README: Several servers).
    db_pool_size: conint(ge=1, le=100) = 4  # type: ignore[valid-type]
    db_max_overflow: conint(ge=0, le=100) = 4  # type: ignore[valid-type]
    # Redis, for several Rasa servers: the conversation lock and the web chat's rooms (README: Several servers).
    redis_url: Optional[constr(regex=r"^redis://[^@/\s]+(/[0-9]+)?$")] = None  # type: ignore[valid-type]  # noqa: UP045
    rehab_chat_demo: Literal["0", "1"] = "0"  # "1": anyone may chat anonymously (./coach run --demo)
    coach_simulated_clock: Literal["0", "1"] = "0"  # "1": a message's metadata.now is the turn's time (tests)
    # Days after discharge when a patient's conversation is erased (`./coach retention`); unset: kept.
    transcript_retention_days: Optional[conint(ge=1, le=36500)] = None  # type: ignore[valid-type]  # noqa: UP045
    # The Telegram bot's username (its deep links are t.me/<username>): the Telegram channel is on when it is set.
    telegram_bot_username: Optional[  # noqa: UP045
        constr(regex=r"^[A-Za-z][A-Za-z0-9_]{4,31}$")] = None  # type: ignore[valid-type]
    # Telegram's Bot API; tests point it at a fake.
    telegram_api_url: constr(  # type: ignore[valid-type]
        regex=r"^https?://[^/\s]+(/\S*)?$") = "https://api.telegram.org"
    # WhatsApp and SMS through Twilio (README: WhatsApp and SMS): each channel is on when its number is set.
    twilio_account_sid: Optional[constr(regex=r"AC[0-9a-f]{32}")] = None  # type: ignore[valid-type]  # noqa: UP045
    twilio_whatsapp_number: Optional[constr(regex=PHONE_NUMBER)] = None  # type: ignore[valid-type]  # noqa: UP045
    twilio_sms_number: Optional[constr(regex=PHONE_NUMBER)] = None  # type: ignore[valid-type]  # noqa: UP045
    # The public URL Twilio calls, before /webhooks/...: what it signs, whatever the proxy in front rewrites.
    twilio_webhook_base_url: Optional[AnyHttpUrl] = None  # noqa: UP045
    # The approved WhatsApp template a reminder goes as outside the 24-hour window.
    twilio_reminder_content_sid: Optional[constr(regex=r"HX[0-9a-f]{32}")] = None  # type: ignore[valid-type]  # noqa: UP045
    twilio_api_base_url: Optional[AnyHttpUrl] = None  # tests: a fake Twilio API; default: Twilio's  # noqa: UP045
    # The folder of the licensed questionnaire texts the clinic supplies (knowledge/README.md), when it keeps them
    # outside the project; unset: knowledge/questionnaires.
    questionnaires_dir: Optional[DirectoryPath] = None  # noqa: UP045
    # Remote therapeutic monitoring: the days with check-in data in a calendar month that the clinic's payer asks
    # for (16 for the US codes 98975-98977); the patient list and the monitoring_days export mark who reached it.
    monitoring_days_threshold: conint(ge=1, le=31) = 16  # type: ignore[valid-type]
    reminder_default_time: str = "09:00"  # HH:MM: a patient's daily reminder unless they chose another time
    clinic_timezone: str = "UTC"  # IANA name: the time zone of patients who have not given theirs
    # The clinic's notice of a serious escalation (README: Clinic notifications): by Slack (CLINIC_SLACK_WEBHOOK_URL,
    # a secret) and by email through SMTP_HOST from CLINIC_NOTIFY_FROM to CLINIC_NOTIFY_TO (separated by commas).
    smtp_host: Optional[constr(regex=r"^[A-Za-z0-9.:-]+$")] = None  # type: ignore[valid-type]  # noqa: UP045
    smtp_port: conint(ge=1, le=65535) = 587  # type: ignore[valid-type]
    smtp_starttls: Literal["0", "1"] = "1"  # "0": plain SMTP (a relay on a trusted network; tests)
    smtp_username: Optional[constr(min_length=1)] = None  # type: ignore[valid-type]  # noqa: UP045
    clinic_notify_from: Optional[constr(regex=rf"^{EMAIL}$")] = None  # type: ignore[valid-type]  # noqa: UP045
    clinic_notify_to: Optional[constr(regex=rf"^{EMAIL}(\s*,\s*{EMAIL})*$")] = None  # type: ignore[valid-type]  # noqa: UP045
    # The portal's address as clinicians open it, for a notice's link; default: this machine's (addresses.py).
    portal_public_url: Optional[AnyHttpUrl] = None  # noqa: UP045

    @validator("reminder_default_time")
    def _time_of_day(cls, value: str) -> str:
        time_of_day(value)
        return value

    @validator("clinic_timezone")
    def _time_zone(cls, value: str) -> str:
        time_zone(value)
        return value

    @property
    def demo(self) -> bool:
        return self.rehab_chat_demo == "1"

    @property
    def simulated_clock(self) -> bool:
        return self.coach_simulated_clock == "1"

    @property
    def telegram(self) -> bool:
        return self.telegram_bot_username is not None

    @property
    def messaging_channels(self) -> list[str]:
        """The messaging channels switched on: Telegram by its bot's username, WhatsApp and SMS by their numbers."""
        return [name for name, on in ((TELEGRAM, self.telegram), (WHATSAPP, self.twilio_whatsapp_number),
                                      (SMS, self.twilio_sms_number)) if on]

    @property
    def starttls(self) -> bool:
        return self.smtp_starttls == "1"


class SettingError(SystemExit):
    """A setting the process cannot start with: one line naming the variable."""


def load() -> Settings:
    """The settings the environment gives now; read once per distinct environment, since a turn asks often."""
    return _load(tuple(os.environ.get(name.upper()) for name in Settings.__fields__))


@lru_cache(maxsize=8)
def _load(environment: tuple[str | None, ...]) -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        first = error.errors()[0]
        raise SettingError(f"setting {str(first['loc'][0]).upper()}: {first['msg']}") from None


def _stored() -> dict[str, str]:
    if not SECRETS_FILE.exists():
        return {}
    return dict(line.split("=", 1) for line in SECRETS_FILE.read_text().splitlines() if "=" in line)


def _store(values: dict[str, str]) -> None:
    """Write the file whole, then move it in: a process reading meanwhile sees the old file or the new one."""
    draft = SECRETS_FILE.with_name(f"{SECRETS_FILE.name}.{os.getpid()}.tmp")
    draft.unlink(missing_ok=True)
    draft.touch(mode=0o600)
    draft.write_text("".join(f"{key}={value}\n" for key, value in values.items()))
    draft.replace(SECRETS_FILE)


@contextmanager
def _changing() -> Iterator[dict[str, str]]:
    """The stored secrets, for one process at a time to change (the servers start together on a new machine, and
    two that both found a secret missing would each make their own)."""
    SECRETS_FILE.parent.mkdir(parents=True, exist_ok=True)
    with open(SECRETS_FILE.with_name(f"{SECRETS_FILE.name}.lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        yield _stored()


def secret(name: str) -> str:
    """The secret `name`: the environment variable if set, else the file's value, generated if missing."""
    if os.environ.get(name):
        return os.environ[name]
    found = _stored().get(name)
    if found:
        return found
    with _changing() as values:
        if name not in values:
            values[name] = secrets.token_urlsafe(32)
            _store(values)
        return values[name]


def given_secret(name: str) -> str | None:
    """A secret that only its issuer can give (a provider's token), from the environment or the file; never
    generated."""
    return os.environ.get(name) or _stored().get(name)


def previous_secret(name: str, today: date) -> str | None:
    """The value `name` had before `rotate` replaced it, while its grace period lasts (never one from the
    environment: a deployment rotates its own secrets)."""
    values = _stored()
    until = values.get(f"{name}_PREVIOUS_UNTIL")
    if os.environ.get(name) or until is None or today > date.fromisoformat(until):
        return None
    return values.get(f"{name}_PREVIOUS")


def rotate(name: str, keep_previous_until: date | None = None) -> bool:
    """Replace the file's secret `name` with a new random one, keeping the old one for `previous_secret` until
    the given day; False (nothing changed) when the environment sets it."""
    if os.environ.get(name):
        return False
    with _changing() as values:
        old = values.pop(name, None)
        values.pop(f"{name}_PREVIOUS", None)
        values.pop(f"{name}_PREVIOUS_UNTIL", None)
        values[name] = secrets.token_urlsafe(32)
        if old and keep_previous_until:
            values.update({f"{name}_PREVIOUS": old, f"{name}_PREVIOUS_UNTIL": keep_previous_until.isoformat()})
        _store(values)
    return True


def telegram_token() -> str:
    """The Telegram bot's token, checked: `<digits>:<letters>`, as BotFather gives it."""
    token = given_secret(TELEGRAM_TOKEN)
    if token is None:
        raise SettingError(f"setting {TELEGRAM_TOKEN}: missing (set it in the environment or in {SECRETS_FILE})")
    if not re.fullmatch(r"\d+:[A-Za-z0-9_-]+", token):
        raise SettingError(f"setting {TELEGRAM_TOKEN}: not a bot token (BotFather gives one like 123456:ABC-def...)")
    return token


def slack_webhook_url() -> str | None:
    """The clinic's Slack incoming webhook (None: no Slack), checked to be a URL; never logged."""
    url = given_secret(SLACK_WEBHOOK)
    if url is not None and not re.fullmatch(r"https?://[^/\s]+/\S*", url):
        raise SettingError(f"setting {SLACK_WEBHOOK}: not a URL (Slack gives one like https://hooks.slack.com/services/...)")
    return url


@dataclass(frozen=True)
class ClinicEmail:
    """Where and how the clinic's notices go by email."""

    host: str
    port: int
    starttls: bool
    username: str | None
    password: str | None = field(repr=False)
    sender: str
    to: tuple[str, ...]


def clinic_email() -> ClinicEmail | None:
    """The clinic's email settings (None: no email). Email is set up whole or not at all: a half-done setup stops the
    process with one line naming the first setting missing."""
    config, password = load(), given_secret(SMTP_PASSWORD)
    needed = {"SMTP_HOST": config.smtp_host, "CLINIC_NOTIFY_FROM": config.clinic_notify_from,
              "CLINIC_NOTIFY_TO": config.clinic_notify_to}
    if not any(needed.values()) and not config.smtp_username and not password:
        return None
    needed.update({"SMTP_USERNAME": config.smtp_username or not password,
                   SMTP_PASSWORD: password or not config.smtp_username})
    missing = next((name for name, value in needed.items() if not value), None)
    if missing is not None:
        raise SettingError(f"setting {missing}: missing (email to the clinic needs SMTP_HOST, CLINIC_NOTIFY_FROM and "
                           "CLINIC_NOTIFY_TO, and SMTP_USERNAME with SMTP_PASSWORD or neither)")
    to = tuple(address.strip() for address in str(config.clinic_notify_to).split(","))
    return ClinicEmail(str(config.smtp_host), config.smtp_port, config.starttls, config.smtp_username, password,
                       str(config.clinic_notify_from), to)
