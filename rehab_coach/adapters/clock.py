"""What time it is for a turn: the real clock, or a message's simulated `metadata.now` (tests and demos)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any

from rehab_coach import settings
from rehab_coach.core.schedule import time_zone

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def local_now() -> datetime:
    """The real time in the clinic's time zone (CLINIC_TIMEZONE), so that a check-in counts for the day on which the
    reminder scheduler reckons the patient's day (for patients who have not given a zone of their own)."""
    return datetime.now(time_zone(settings.load().clinic_timezone))


def current_time(metadata: Mapping[str, Any] | None, clock: Clock = local_now) -> datetime:
    """Timezone-aware now: the message's `metadata.now` when COACH_SIMULATED_CLOCK=1, else the real clock.

    A naive simulated time is taken as UTC. The simulated clock is for tests and demos only, so it is
    ignored unless the server was started with it switched on.
    """
    simulated = (metadata or {}).get("now") if settings.load().simulated_clock else None
    if isinstance(simulated, str):
        try:
            moment = datetime.fromisoformat(simulated)
        except ValueError:
            log.warning("ignoring a simulated clock value that is not an ISO date-time")
        else:
            return moment if moment.utcoffset() is not None else moment.replace(tzinfo=timezone.utc)
    now = clock()
    return now if now.utcoffset() is not None else now.astimezone()
