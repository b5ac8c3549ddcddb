"""Wiring: the services a process uses, built on the adapters its settings name. The one place that knows
which database, tracker store and reader stand behind the services; every database is migrated first."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from rehab_coach import settings
from rehab_coach.adapters import backup as backups
from rehab_coach.adapters.rasa_api import RasaApi
from rehab_coach.adapters.storage import Store, default_database_url, make_engine, upgrade
from rehab_coach.adapters.storage.clinic import Clinic
from rehab_coach.adapters.storage.notifications import NotificationStore
from rehab_coach.adapters.storage.reminders import ReminderStore
from rehab_coach.adapters.transcripts import Transcripts, tracker_database_url
from rehab_coach.addresses import PORTAL_PORT, local_url
from rehab_coach.services import messaging
from rehab_coach.services.accounts import Accounts
from rehab_coach.services.clinic import ClinicService
from rehab_coach.services.notifications import Channel, ClinicNotifier
from rehab_coach.services.reminders import ReminderDefaults, Scheduler

if TYPE_CHECKING:
    from rehab_coach.services.coach import Coach


def _engine(database_url: str | None):  # an Engine (only the adapters and services name SQLAlchemy)
    engine = make_engine(database_url)  # default: the settings' DATABASE_URL
    upgrade(engine)  # idempotent, and serialised against other processes doing the same
    return engine


def migrate(database_url: str | None = None) -> None:
    """Create or upgrade the app database's schema."""
    _engine(database_url).dispose()


def coach(database_url: str | None = None) -> Coach:
    """The patient-facing services (the spaCy pipeline is loaded here, not at import)."""
    from rehab_coach.adapters.nlp import read
    from rehab_coach.core.knowledge import default_knowledge
    from rehab_coach.services.coach import Coach

    return Coach(Store(_engine(database_url)), default_knowledge(), read, reminder_defaults())


def reminder_defaults() -> ReminderDefaults:
    """The clinic's reminder time and time zone (settings)."""
    config = settings.load()
    return ReminderDefaults(config.reminder_default_time, config.clinic_timezone)


def clinic(chat_base_url: str, database_url: str | None = None, tracker_url: str | None = None
           ) -> tuple[ClinicService, Accounts]:
    """The clinicians' services and their accounts, on one database."""
    engine = _engine(database_url)
    records = Clinic(engine)
    transcripts = Transcripts(tracker_url or tracker_database_url())
    return ClinicService(Store(engine), records, NotificationStore(engine), transcripts, rasa_api(chat_base_url),
                         chat_base_url, settings.load().telegram_bot_username), Accounts(records)


def rasa_api(url: str) -> RasaApi:
    """The HTTP API of the Rasa server at `url`, with the settings' token."""
    return RasaApi(url, settings.secret(settings.RASA_TOKEN))


def store(database_url: str | None = None) -> Store:
    """The patients' records, for the channels."""
    return Store(_engine(database_url))


def reminders(rasa_url: str, database_url: str | None = None) -> Scheduler:
    """The reminder scheduler: the app database, the Rasa server at `rasa_url`, knowledge/'s rules and the clinic's
    default time and zone (settings)."""
    from rehab_coach.core.knowledge import default_knowledge

    defaults = reminder_defaults()
    return Scheduler(ReminderStore(_engine(database_url)), rasa_api(rasa_url), default_knowledge().rules.reminders,
                     defaults.time, defaults.zone, messaging.channels_on())


def clinic_notifier(database_url: str | None = None) -> ClinicNotifier:
    """The clinic's notices of serious escalations, by the channels the settings configure (a half-configured one
    stops the process here), linking to the portal at PORTAL_PUBLIC_URL (default: this machine's)."""
    from rehab_coach.adapters.clinic_channels import Email, SlackWebhook
    from rehab_coach.core.knowledge import default_knowledge

    slack, email = settings.slack_webhook_url(), settings.clinic_email()
    channels: list[Channel] = [*([SlackWebhook(slack)] if slack else []), *([Email(email)] if email else [])]
    portal = str(settings.load().portal_public_url or local_url(PORTAL_PORT))
    return ClinicNotifier(NotificationStore(_engine(database_url)), channels, default_knowledge().rules.notifications,
                          portal)


def _databases() -> dict[str, str]:
    """Every database the coach keeps, by name: the app's and Rasa's tracker store."""
    return {"app": default_database_url(), "tracker": tracker_database_url()}


def backup(folder: Path) -> dict[str, Path]:
    """A consistent copy of every database into the new `folder`, while the servers run; the files, by name."""
    return backups.backup(_databases(), folder)


def restore(folder: Path, force: bool) -> dict[str, Any]:
    """Every database back from the backup in `folder` (its manifest), the app's migrated to the current schema."""
    manifest = backups.restore(folder, _databases(), force)
    migrate()
    return manifest
