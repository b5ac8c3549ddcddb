"""Compact builders for check-ins in tests."""

from __future__ import annotations

from datetime import date, timedelta

from rehab_coach.core.model import CheckIn

START = date(2026, 3, 2)


def on(n: int) -> date:
    """The date of day n of a course that starts on START (day 0)."""
    return START + timedelta(days=n)


def day(n: int, rest: int = 0, exercise: int = 2, morning: int = 1, swelling: str = "none",
        mechanical: str = "none", adherence: str = "all") -> CheckIn:
    """Check-in on day n of the course; a quiet green day unless told otherwise."""
    return CheckIn(on(n), rest, exercise, morning, swelling, mechanical, adherence)


def days(first: int, count: int, **values: object) -> list[CheckIn]:
    """`count` identical check-ins on consecutive days from day `first`."""
    return [day(first + i, **values) for i in range(count)]  # type: ignore[arg-type]
