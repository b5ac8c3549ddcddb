"""The coach's action server, callable only by the Rasa server: `python -m rehab_coach.rasa.action_server`.

rasa_sdk 3.6 listens on 0.0.0.0, takes any caller, runs any tracker it is given (2 KB of text with newlines
makes a patient record as well as a real id), and answers a crash with the request echoed back. Here:

- it binds to the settings' host (127.0.0.1 unless COACH_HOST widens it);
- every route but /health needs `Authorization: Bearer <ACTION_SERVER_TOKEN>`, which the Rasa server sends
  from endpoints.yml; compared in constant time; anything else gets 401;
- a call whose tracker is malformed (sender id, events, slots) gets 400 with a reason before any action runs;
- a crash answers 500 with no request body and logs no patient data.
"""

from __future__ import annotations

import argparse
import json
import logging
import zlib
from typing import Any

from rasa_sdk.endpoint import create_app
from rasa_sdk.utils import number_of_sanic_workers
from sanic import Sanic, response
from sanic.exceptions import SanicException
from sanic.request import Request
from sanic.response import HTTPResponse

from rehab_coach import settings
from rehab_coach.addresses import ACTIONS_PORT
from rehab_coach.rasa import bearer
from rehab_coach.services.chat_links import SENDER_ID

log = logging.getLogger(__name__)
OPEN = frozenset({"/health"})


def problem_with(call: Any) -> str | None:
    """Why this action call cannot be run, or None when it can."""
    if not isinstance(call, dict):
        return "the body must be a JSON object with next_action and tracker"
    if not isinstance(call.get("next_action"), str):
        return "\"next_action\" must be a text"
    tracker = call.get("tracker")
    if not isinstance(tracker, dict):
        return "\"tracker\" must be a JSON object"
    sender = tracker.get("sender_id")
    if not isinstance(sender, str) or not SENDER_ID.fullmatch(sender):
        return f"\"tracker.sender_id\" must match {SENDER_ID.pattern}"
    events = tracker.get("events")
    if not isinstance(events, list) or not all(isinstance(e, dict) and isinstance(e.get("event"), str) for e in events):
        return "\"tracker.events\" must be a list of objects, each with an \"event\" name"
    objects = {f"tracker.{key}": (tracker, key) for key in ("slots", "latest_message", "active_loop")}
    for name, (holder, key) in {**objects, "domain": (call, "domain")}.items():
        if key in holder and not isinstance(holder[key], dict):  # rasa_sdk reads a null as the value, not as absent
            return f"\"{name}\" must be a JSON object"
    return None


def _body(request: Request) -> Any:
    """The JSON body (parsed once: rasa_sdk reuses it), inflated as rasa_sdk does when Rasa compresses its calls."""
    try:
        if request.headers.get("Content-Encoding") == "deflate":
            return json.loads(zlib.decompress(request.body))
        return request.json
    except (ValueError, zlib.error, SanicException):
        return None


def secure(app: Sanic, token: str) -> Sanic:
    """Add the token check, the tracker check and a crash answer that echoes nothing to rasa_sdk's app."""
    @app.middleware("request")
    async def check(request: Request) -> HTTPResponse | None:
        if request.path in OPEN:
            return None
        refused = bearer.refusal(request, token)
        if refused:
            return refused
        if request.path == "/webhook" and request.method == "POST":
            problem = problem_with(_body(request))
            if problem:
                return response.json({"error": problem}, status=400)
        return None

    @app.exception(Exception)
    async def crashed(request: Request, error: Exception) -> HTTPResponse:
        log.error("action call failed: %s", type(error).__name__)
        return response.json({"error": "the action failed"}, status=500)

    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m rehab_coach.rasa.action_server", description=__doc__)
    parser.add_argument("--port", type=int, default=ACTIONS_PORT, help="default: %(default)s")
    args = parser.parse_args(argv)
    loaded = settings.load()
    app = secure(create_app("actions", cors_origins=None), settings.secret(settings.ACTIONS_TOKEN))
    log.info("action server on %s:%s", loaded.coach_host, args.port)
    app.run(str(loaded.coach_host), args.port, workers=number_of_sanic_workers(), access_log=False)


if __name__ == "__main__":
    main()
