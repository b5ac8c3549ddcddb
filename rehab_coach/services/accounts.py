"""Clinician accounts: argon2 passwords, lockout after wrong passwords, server-side sessions.

A session is a random token; the database keeps only its SHA-256, so a leaked database opens no session.
Every session has its own CSRF token. (The portal carries the token in a cookie: portal/auth.py.)
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta, timezone
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from rehab_coach.adapters.storage.clinic import Clinic, Clinician, ClinicianSession

__all__ = ["Accounts", "Clinician", "ClinicianSession"]

SESSION_LIFETIME = timedelta(hours=8)  # a working day; then log in again
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024  # argon2 takes any length; this only bounds the work one request can ask for
MAX_USERNAME_LENGTH = 64
MAX_FAILED_LOGINS = 5  # in a row, for one name
LOCKOUT = timedelta(minutes=15)

hasher = PasswordHasher()


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


def _locked(until: datetime | None, now: datetime) -> bool:
    return until is not None and until > now


class Accounts:
    """Clinicians and their sessions, on the app database."""

    def __init__(self, clinic: Clinic) -> None:
        self.clinic = clinic

    def create(self, username: str, password: str) -> Clinician:
        """A new clinician; ValueError (the reason) for a refused name or password, or a name already taken."""
        problem = username_problem(username) or password_problem(password)
        if problem:
            raise ValueError(problem)
        return self.clinic.add_clinician(username, hash_password(password))

    def named(self, username: str) -> Clinician:
        """The clinician with this name (who acts at the command line); LookupError if there is none."""
        found = self.clinic.login_record(username)
        if found is None:
            raise LookupError(f"there is no clinician {username!r} (./coach create-clinician NAME)")
        return found.clinician

    def authenticate(self, username: str, password: str, now: datetime | None = None) -> Clinician | None:
        """The clinician if the name and password match and the name is not locked; rehashes an outdated hash.

        MAX_FAILED_LOGINS wrong passwords in a row lock the name for LOCKOUT (guessing costs an attacker
        hours, not seconds); the answer is the same as for a wrong password, so a lock says nothing more.
        """
        now = now or datetime.now(timezone.utc)
        found = self.clinic.login_record(username) if len(password) <= MAX_PASSWORD_LENGTH else None
        try:
            hasher.verify(found.password_hash if found else _decoy_hash(), password)
        except (VerificationError, InvalidHashError):  # a mismatch is a VerificationError too
            if found is not None and not _locked(found.locked_until, now):
                self.clinic.login_failed(found.clinician.id, now, MAX_FAILED_LOGINS, LOCKOUT)
            return None
        if found is None or _locked(found.locked_until, now):
            return None
        self.clinic.login_succeeded(found.clinician.id)
        if hasher.check_needs_rehash(found.password_hash):
            self.clinic.set_password_hash(found.clinician.id, hasher.hash(password))
        return found.clinician

    def open_session(self, clinician: Clinician) -> str:
        """Log in: a new session; its token (only its hash is stored)."""
        token = secrets.token_urlsafe(32)
        self.clinic.open_session(clinician.id, token_hash(token), secrets.token_urlsafe(32),
                                 datetime.now(timezone.utc) + SESSION_LIFETIME)
        return token

    def close_session(self, token: str) -> None:
        """Log out: forget the session."""
        self.clinic.close_session(token_hash(token))

    def session(self, token: str) -> ClinicianSession | None:
        """The live session behind a token, or None."""
        return self.clinic.session(token_hash(token), datetime.now(timezone.utc))
