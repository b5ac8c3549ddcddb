"""The coach's Rasa server process: Rasa's own command line (`rasa run ...`), after the settings are checked and
the speed-ups applied. The interface is the settings' host; the HTTP API's token and the action server's key
(which endpoints.yml reads as ${ACTION_SERVER_TOKEN}) come from the environment or var/secrets.env, so that
neither shows on a command line. The channels are credentials.yml's, and Telegram's when the settings name a
bot (TELEGRAM_BOT_USERNAME; its token is then required)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import yaml
from rasa.__main__ import main as rasa_main

from rehab_coach import settings
from rehab_coach.paths import PROJECT_ROOT, VAR_DIR
from rehab_coach.rasa import speedups

TELEGRAM_CHANNEL = "rehab_coach.rasa.telegram.CoachTelegramInput"


def main() -> None:
    configured = settings.load()
    speedups.apply()
    os.environ[settings.ACTIONS_TOKEN] = settings.secret(settings.ACTIONS_TOKEN)
    sys.argv += ["--interface", str(configured.coach_host), f"--auth-token={settings.secret(settings.RASA_TOKEN)}"]
    if configured.telegram:
        settings.telegram_token()  # missing or malformed: the server stops here, with one line
        sys.argv += ["--credentials", str(with_telegram())]  # the last --credentials is the one Rasa reads
    rasa_main()


def with_telegram() -> Path:
    """credentials.yml with the Telegram channel added, as a file for Rasa (written whole, then moved in)."""
    channels = yaml.safe_load((PROJECT_ROOT / "credentials.yml").read_text(encoding="utf-8")) or {}
    path, draft = VAR_DIR / "credentials-telegram.yml", VAR_DIR / f"credentials-telegram.{os.getpid()}.tmp"
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    draft.write_text(yaml.safe_dump({**channels, TELEGRAM_CHANNEL: None}), encoding="utf-8")
    return draft.replace(path)


if __name__ == "__main__":
    main()
