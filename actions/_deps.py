"""Lazy factories for what the actions need: nothing is built at import, everything once on first use."""

from __future__ import annotations

import threading

from rehab_coach import bootstrap
from rehab_coach.adapters.nlp import read
from rehab_coach.core.answers import AnswerReader, reader_for
from rehab_coach.core.knowledge import default_knowledge
from rehab_coach.core.model import Knowledge
from rehab_coach.services.coach import Coach

_lock = threading.Lock()
_coach: Coach | None = None


def coach() -> Coach:
    """The process's Coach on DATABASE_URL (default: the project's SQLite file), schema brought up to date."""
    global _coach
    # Actions run in worker threads (see _base.CoachAction.run): build the engine exactly once.
    with _lock:
        if _coach is None:
            _coach = bootstrap.coach()
        return _coach


def knowledge() -> Knowledge:
    """The project's knowledge, loaded once per process."""
    return default_knowledge()


def answers() -> AnswerReader:
    """The answer reader on the project's reader, built on first use."""
    return reader_for(default_knowledge(), read)
