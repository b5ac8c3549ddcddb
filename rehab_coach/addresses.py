"""Where `./coach run` puts its processes on this machine (each can be moved with a flag or parameter)."""

import socket

from rehab_coach import settings

RASA_PORT, ACTIONS_PORT, PORTAL_PORT = 5005, 5055, 5100  # endpoints.yml names the actions port too
RASA_URL = f"http://127.0.0.1:{RASA_PORT}"


def free_port() -> int:
    """A port nobody listens on now, on the loopback interface (tests, benchmarks, evaluations)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def local_url(port: int) -> str:
    """How this machine reaches its own listener on `port`: the settings' host, or loopback for all interfaces."""
    host = settings.load().coach_host
    shown = "127.0.0.1" if host.is_unspecified else f"[{host}]" if host.version == 6 else str(host)
    return f"http://{shown}:{port}"
