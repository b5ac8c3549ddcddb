"""The one check of the listeners that take a shared secret as `Authorization: Bearer <token>`: the REST channel
and the action server (a module of its own: the action server does not load Rasa's channels)."""

from __future__ import annotations

import hmac

from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse


def refusal(request: Request, token: str) -> HTTPResponse | None:
    """None when the request carries `token` as its bearer (compared in constant time), else a 401 saying so."""
    given = request.headers.get("Authorization", "").encode()
    if hmac.compare_digest(given, f"Bearer {token}".encode()):
        return None
    return response.json({"error": "a valid Authorization: Bearer token is required"}, status=401)
