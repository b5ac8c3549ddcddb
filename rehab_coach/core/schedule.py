"""A reminder schedule as people give it (settings, the portal): a time of day as HH:MM and an IANA time zone."""

from __future__ import annotations

import re
from datetime import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

HH_MM = re.compile(r"([01]\d|2[0-3]):[0-5]\d")


def time_of_day(text: str) -> time:
    """'07:30' as a time; ValueError unless it is HH:MM on the 24-hour clock."""
    if not isinstance(text, str) or not HH_MM.fullmatch(text):
        raise ValueError(f"{text!r} is not a time of day as HH:MM (24-hour clock), e.g. 07:30")
    return time.fromisoformat(text)


def time_zone(name: str) -> ZoneInfo:
    """The IANA time zone of that name ('Europe/London'); ValueError if there is none."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValueError(f"{name!r} is not an IANA time zone name, e.g. Europe/London") from None
