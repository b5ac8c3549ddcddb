"""The portal's side of clinician accounts (services/accounts.py): the session cookie and CSRF tokens.

The cookie carries the session's random token (HttpOnly, SameSite=Strict, Secure over https). Every
session has its own CSRF token: forms send it as a hidden field, API calls as the `X-CSRF-Token` header.
The login form, before any session exists, is protected by a double-submit cookie (a random value both in
a SameSite=Strict cookie and in the form).
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, HTTPException, Request, Response
from fastapi.security import APIKeyCookie, APIKeyHeader

from rehab_coach.services.accounts import SESSION_LIFETIME, Accounts, Clinician, ClinicianSession

SESSION_COOKIE = "rc_session"
LOGIN_COOKIE = "rc_login"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"

# For the OpenAPI description: how API clients authenticate (the checks themselves are below).
session_cookie = APIKeyCookie(name=SESSION_COOKIE, auto_error=False, scheme_name="session",
                              description="The session cookie that logging in at /login sets.")
csrf_header = APIKeyHeader(name=CSRF_HEADER, auto_error=False, scheme_name="csrf",
                           description="The session's CSRF token (GET /api/session); needed by every POST.")


class LoginRequired(Exception):
    """A page was asked for without a live session: the app answers with a redirect to /login."""


def accounts(request: Request) -> Accounts:
    return request.app.state.accounts


def open_session(request: Request, clinician: Clinician, response: Response) -> None:
    """Log in: a new session and its cookie on `response`."""
    token = accounts(request).open_session(clinician)
    response.set_cookie(SESSION_COOKIE, token, max_age=int(SESSION_LIFETIME.total_seconds()), path="/",
                        httponly=True, samesite="strict", secure=secure(request))
    response.delete_cookie(LOGIN_COOKIE, path="/login")


def close_session(request: Request, response: Response) -> None:
    """Log out: forget the session server-side and clear the cookie."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        accounts(request).close_session(token)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")


def current_session(request: Request) -> ClinicianSession | None:
    """The live session the request's cookie names, or None."""
    token = request.cookies.get(SESSION_COOKIE)
    return accounts(request).session(token) if token else None


def page_session(request: Request) -> ClinicianSession:
    """Dependency for pages: the session, or a redirect to the login page."""
    session = current_session(request)
    if session is None:
        raise LoginRequired
    return session


def api_session(request: Request, cookie: Annotated[str | None, Depends(session_cookie)]) -> ClinicianSession:
    """Dependency for the API: the session, or 401."""
    session = current_session(request)
    if session is None:
        raise HTTPException(status_code=401, detail="log in first")
    return session


def require_csrf(session: ClinicianSession, submitted: str | None) -> None:
    """403 unless `submitted` is the session's CSRF token."""
    if not submitted or not secrets.compare_digest(submitted.encode(), session.csrf_token.encode()):
        raise HTTPException(status_code=403, detail="missing or wrong CSRF token; reload the page and try again")


def api_csrf(session: Annotated[ClinicianSession, Depends(api_session)],
             token: Annotated[str | None, Depends(csrf_header)]) -> None:
    """Dependency for API writes: the X-CSRF-Token header must carry the session's token."""
    require_csrf(session, token)


def new_login_token() -> str:
    """A fresh double-submit token for the login form (see `set_login_cookie`)."""
    return secrets.token_urlsafe(32)


def set_login_cookie(request: Request, response: Response, token: str) -> None:
    response.set_cookie(LOGIN_COOKIE, token, max_age=3600, path="/login", httponly=True, samesite="strict",
                        secure=secure(request))


def check_login_csrf(request: Request, submitted: str | None) -> None:
    """403 unless the login form's token matches its cookie."""
    cookie = request.cookies.get(LOGIN_COOKIE)
    if not cookie or not submitted or not secrets.compare_digest(cookie.encode(), submitted.encode()):
        raise HTTPException(status_code=403, detail="the login form expired; reload the page and try again")


def secure(request: Request) -> bool:
    return request.url.scheme == "https"


PageSession = Annotated[ClinicianSession, Depends(page_session)]
ApiSession = Annotated[ClinicianSession, Depends(api_session)]
