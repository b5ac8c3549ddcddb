"""The coach's Rasa server process: Rasa's own command line (`rasa run ...`), after the settings are checked and
the speed-ups applied. The interface is the settings' host; the HTTP API's token and the action server's key
(which endpoints.yml reads as ${ACTION_SERVER_TOKEN}) come from the environment or var/secrets.env, so that
neither shows on a command line."""

from __future__ import annotations

import os
import sys

from rasa.__main__ import main as rasa_main

from rehab_coach import settings
from rehab_coach.rasa import speedups


def main() -> None:
    host = settings.load().coach_host
    speedups.apply()
    os.environ[settings.ACTIONS_TOKEN] = settings.secret(settings.ACTIONS_TOKEN)
    sys.argv += ["--interface", str(host), f"--auth-token={settings.secret(settings.RASA_TOKEN)}"]
    rasa_main()


if __name__ == "__main__":
    main()
