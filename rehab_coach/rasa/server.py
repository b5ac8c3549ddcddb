"""The coach's Rasa server process: Rasa's own command line (`rasa run ...`), with the speed-ups applied first
and the HTTP API's token taken from the environment (settings.RASA_TOKEN), so it never shows on a command line."""

from __future__ import annotations

import os
import sys

from rasa.__main__ import main as rasa_main

from rehab_coach.rasa import speedups
from rehab_coach.settings import RASA_TOKEN


def main() -> None:
    speedups.apply()
    token = os.environ.get(RASA_TOKEN)
    if token:
        sys.argv += ["--auth-token", token]
    rasa_main()


if __name__ == "__main__":
    main()
