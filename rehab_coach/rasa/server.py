"""The coach's Rasa server process: Rasa's own command line (`rasa run ...`), after the settings are checked,
the speed-ups applied, and the HTTP API's token added from the environment or var/secrets.env, so that it
never shows on a command line."""

from __future__ import annotations

import sys

from rasa.__main__ import main as rasa_main

from rehab_coach import settings
from rehab_coach.rasa import speedups


def main() -> None:
    settings.load()
    speedups.apply()
    sys.argv += ["--auth-token", settings.secret(settings.RASA_TOKEN)]
    rasa_main()


if __name__ == "__main__":
    main()
