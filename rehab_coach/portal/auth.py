"""Clinician accounts: argon2 passwords, server-side sessions behind an HttpOnly cookie, CSRF tokens.

The cookie carries a random token; the database keeps only its SHA-256, so a leaked database opens no
session. Every session has its own CSRF token: forms send it as a hidden field, API calls as the
`X-CSRF-Token` header. The login form, before any session exists, is protected by a double-submit
cookie (a random value both in a SameSite=Strict cookie and in the form).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Annotated

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import Depends, HTTPException, Request, Response
from fastapi.security import APIKeyCookie, APIKeyHeader

from rehab_coach.adapters.storage.clinic import Clinic, Clinician, ClinicianSession

SESSION_COOKIE = "rc_session"
LOGIN_COOKIE = "rc_login"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SESSION_LIFETIME = timedelta(hours=8)  # a working day; then log in again
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024  # argon2 takes any length; this only bounds the work one request can ask for
MAX_USERNAME_LENGTH = 64
MAX_FAILED_LOGINS = 5  # in a row, for one name
LOCKOUT = timedelta(minutes=15)

hasher = PasswordHasher()
# For the OpenAPI description: how API clients authenticate (the checks themselves are below).
session_cookie = APIKeyCookie(name=SESSION_COOKIE, auto_error=False, scheme_name="session",
                              description="The session cookie that logging in at /login sets.")
csrf_header = APIKeyHeader(name=CSRF_HEADER, auto_error=False, scheme_name="csrf",
                           description="The session's CSRF token (GET /api/session); needed by every POST.")


class LoginRequired(Exception):
    """A page was asked for without a live session: the app answers with a redirect to /login."""


def password_problem(password: str) -> str | None:
    """Why a new password is refused, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"the password must have at least {MIN_PASSWORD_LENGTH} characters"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"the password must have at most {MAX_PASSWORD_LENGTH} characters"
    return None


def username_problem(username: str) -> str | None:
    """Why a new clinician name is refused, or None."""
    if not username.strip() or username != username.strip():
        return "the name must not be blank or start or end with spaces"
    if len(username) > MAX_USERNAME_LENGTH:
        return f"the name must have at most {MAX_USERNAME_LENGTH} characters"
    if not username.isprintable():
        return "the name must be printable"
    return None


def hash_password(password: str) -> str:
    return hasher.hash(password)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@lru_cache(maxsize=1)
def _decoy_hash() -> str:
    """A hash to verify against when the name is unknown, so a wrong name takes as long as a wrong password."""
    return hasher.hash(secrets.token_urlsafe(16))


def authenticate(clinic: Clinic, username: str, password: str, now: datetime | None = None) -> Clinician | None:
    """The clinician if the name and password match and the name is not locked; rehashes an outdated hash.

    MAX_FAILED_LOGINS wrong passwords in a row lock the name for LOCKOUT (guessing costs an attacker
    hours, not seconds); the answer is the same as for a wrong password, so a lock says nothing more.
    """
    now = now or datetime.now(timezone.utc)
    found = clinic.login_record(username) if len(password) <= MAX_PASSWORD_LENGTH else None
    try:
        hasher.verify(found.password_hash if found else _decoy_hash(), password)
    except (VerificationError, InvalidHashError):  # a mismatch is a VerificationError too
        if found is not None and not _locked(found.locked_until, now):
            clinic.login_failed(found.clinician.id, now, MAX_FAILED_LOGINS, LOCKOUT)
        return None
    if found is None or _locked(found.locked_until, now):
        return None
    clinic.login_succeeded(found.clinician.id)
    if hasher.check_needs_rehash(found.password_hash):
        clinic.set_password_hash(found.clinician.id, hasher.hash(password))
    return found.clinician


def _locked(until: datetime | None, now: datetime) -> bool:
    return until is not None and until > now


def open_session(clinic: Clinic, clinician: Clinician, response: Response, secure: bool) -> None:
    """Log in: a new session row and its cookie on `response`."""
    token = secrets.token_urlsafe(32)
    expires = datetime.now(timezone.utc) + SESSION_LIFETIME
    clinic.open_session(clinician.id, token_hash(token), secrets.token_urlsafe(32), expires)
    response.set_cookie(SESSION_COOKIE, token, max_age=int(SESSION_LIFETIME.total_seconds()), path="/",
                        httponly=True, samesite="strict", secure=secure)
    response.delete_cookie(LOGIN_COOKIE, path="/login")


def close_session(clinic: Clinic, request: Request, response: Response) -> None:
    """Log out: forget the session server-side and clear the cookie."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        clinic.close_session(token_hash(token))
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")


def current_session(request: Request) -> ClinicianSession | None:
    """The live session the request's cookie names, or None."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    clinic: Clinic = request.app.state.clinic
    return clinic.session(token_hash(token), datetime.now(timezone.utc))


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


def set_login_cookie(response: Response, token: str, secure: bool) -> None:
    response.set_cookie(LOGIN_COOKIE, token, max_age=3600, path="/login", httponly=True, samesite="strict",
                        secure=secure)


def check_login_csrf(request: Request, submitted: str | None) -> None:
    """403 unless the login form's token matches its cookie."""
    cookie = request.cookies.get(LOGIN_COOKIE)
    if not cookie or not submitted or not secrets.compare_digest(cookie.encode(), submitted.encode()):
        raise HTTPException(status_code=403, detail="the login form expired; reload the page and try again")
