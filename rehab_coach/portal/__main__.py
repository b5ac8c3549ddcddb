"""Run the clinician portal: `python -m rehab_coach.portal` (also `./coach portal`)."""

from __future__ import annotations

import argparse
import sys

from rehab_coach import settings
from rehab_coach.addresses import PORTAL_PORT, RASA_URL, local_url


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=PORTAL_PORT, help="default: %(default)s")
    parser.add_argument("--chat-url", default=RASA_URL,
                        help="the Rasa server that patients' chat links open (default: %(default)s)")


def serve(args: argparse.Namespace) -> int:
    """Serve the portal with uvicorn until stopped (the app database is migrated first; a wrong setting stops it)."""
    import uvicorn

    from rehab_coach.portal.app import create_app

    loaded = settings.load()
    app = create_app(loaded.database_url, loaded.tracker_database_url, args.chat_url)
    print(f"Clinician portal: {local_url(args.port)}/ (listening on {loaded.coach_host})", flush=True)
    # proxy_headers: behind a TLS-terminating proxy on this machine, https is seen (and cookies marked Secure).
    # ws="none": the portal has no websockets, and Rasa's pinned `websockets` is older than uvicorn's support.
    uvicorn.run(app, host=str(loaded.coach_host), port=args.port, proxy_headers=True, forwarded_allow_ips="127.0.0.1",
                ws="none", access_log=False, log_level="warning")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rehab_coach.portal", description=__doc__)
    add_arguments(parser)
    return serve(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
