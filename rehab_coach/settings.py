"""Secrets: generated on first use into var/secrets.env (mode 600), or taken from the environment.

Never a default value, never committed. A deployment sets them as environment variables (same names),
so several machines share one value; on one machine the generated file is enough.
"""

from __future__ import annotations

import os
import secrets

from rehab_coach.paths import VAR_DIR

SECRETS_FILE = VAR_DIR / "secrets.env"
RASA_TOKEN = "RASA_AUTH_TOKEN"  # the Rasa HTTP API's token


def secret(name: str) -> str:
    """The secret `name`: the environment variable if set, else the file's value, generated if missing."""
    if os.environ.get(name):
        return os.environ[name]
    values = {}
    if SECRETS_FILE.exists():
        values = dict(line.split("=", 1) for line in SECRETS_FILE.read_text().splitlines() if "=" in line)
    if name not in values:
        values[name] = secrets.token_urlsafe(32)
        SECRETS_FILE.parent.mkdir(parents=True, exist_ok=True)
        SECRETS_FILE.touch(mode=0o600)
        SECRETS_FILE.write_text("".join(f"{key}={value}\n" for key, value in values.items()))
    return values[name]
