"""The coach's Rasa server process: Rasa's own command line (`rasa run ...`), after the settings are checked and
the speed-ups applied. The interface is the settings' host; the HTTP API's token and the action server's key
(which endpoints.yml reads as ${ACTION_SERVER_TOKEN}) come from the environment or var/secrets.env, so that
neither shows on a command line.

The channels are credentials.yml's (the REST webhook and the web chat) and each messaging channel whose settings
switch it on: Telegram with TELEGRAM_BOT_USERNAME, WhatsApp with TWILIO_WHATSAPP_NUMBER, SMS with TWILIO_SMS_NUMBER.
A channel switched on without the rest of its settings stops the server at start with one line naming the missing
one (its `from_credentials`)."""

from __future__ import annotations

import os
import sys
import tempfile

import yaml
from rasa.__main__ import main as rasa_main

from rehab_coach import settings
from rehab_coach.paths import PROJECT_ROOT
from rehab_coach.rasa import speedups, unreachable

CHANNELS = {settings.TELEGRAM: "rehab_coach.rasa.telegram.CoachTelegramInput",
            settings.WHATSAPP: "rehab_coach.rasa.twilio.WhatsAppInput",
            settings.SMS: "rehab_coach.rasa.twilio.SmsInput"}


def main() -> None:
    configured = settings.load()
    speedups.apply()
    unreachable.apply()
    os.environ[settings.ACTIONS_TOKEN] = settings.secret(settings.ACTIONS_TOKEN)
    # Rasa's SQL tracker store sizes its pool by these (50 and 100 unless set: more than PostgreSQL allows in all)
    os.environ.update(SQL_POOL_SIZE=str(configured.db_pool_size), SQL_MAX_OVERFLOW=str(configured.db_max_overflow))
    base = yaml.safe_load((PROJECT_ROOT / "credentials.yml").read_text(encoding="utf-8")) or {}
    with tempfile.NamedTemporaryFile("w", suffix=".yml", prefix="credentials-") as credentials:
        yaml.safe_dump({**base, **dict.fromkeys(CHANNELS[name] for name in configured.messaging_channels)}, credentials)
        credentials.flush()
        sys.argv += ["--interface", str(configured.coach_host), f"--auth-token={settings.secret(settings.RASA_TOKEN)}",
                     "--credentials", credentials.name]
        rasa_main()


if __name__ == "__main__":
    main()
