"""Conversations as people read them, from the events Rasa persisted (its SQL tracker store).

One reading of "what was said" serves both the patient's web chat history and the clinicians'
transcripts. The portal reads the tracker store's `events` table directly: Rasa already writes
every event there, so no event broker or extra process is needed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, delete, select
from sqlalchemy.engine import URL

from rehab_coach import settings
from rehab_coach.paths import PROJECT_ROOT

# Rasa marks a turn that the server started (a check-in reminder) with this text prefix.
EXTERNAL_PREFIX = "EXTERNAL: "
# The tracker store's table, as rasa.core.tracker_store.SQLTrackerStore creates it.
EVENTS = Table(
    "events", MetaData(),
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False, index=True),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)


def tracker_database_url(endpoints: Path = PROJECT_ROOT / "endpoints.yml") -> str:
    """TRACKER_DATABASE_URL, else the database of the tracker store that `endpoints` gives the Rasa server."""
    configured = settings.load().tracker_database_url
    if configured:
        return configured
    store = yaml.safe_load(endpoints.read_text(encoding="utf-8"))["tracker_store"]
    dialect, database = store.get("dialect", "sqlite"), store.get("db", "rasa.db")
    if dialect == "sqlite":  # Rasa opens a relative path from its working folder, the project's
        return f"sqlite:///{PROJECT_ROOT / database}"
    return URL.create(dialect, store.get("username"), store.get("password"), store.get("url"), store.get("port"),
                      database).render_as_string(hide_password=False)


def utc_iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, timezone.utc).isoformat(timespec="seconds")


def conversation(events: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Both sides' messages from serialised Rasa events, oldest first: {sender, text, custom?, timestamp, channel?}.

    A message's channel is the one the patient last wrote on (Rasa records it with their messages only): the coach
    answers there, and a turn it starts (a reminder) goes out there too.
    """
    messages: list[dict[str, Any]] = []
    channel = None
    for event in events:
        kind, text = event.get("event"), event.get("text")
        message: dict[str, Any] | None = None
        if kind == "user":
            channel = event.get("input_channel") or channel
            if text and not str(text).startswith(EXTERNAL_PREFIX):
                message = {"sender": "user", "text": text}
        elif kind == "bot":
            custom = (event.get("data") or {}).get("custom")
            if text or custom:
                message = {"sender": "bot", "text": text, **({"custom": custom} if custom else {})}
        if message is not None:
            message["timestamp"] = utc_iso(event["timestamp"])
            messages.append({**message, "channel": channel} if channel else message)
    return messages


class Transcripts:
    """Reads conversations from a tracker-store database, and erases them."""

    def __init__(self, url: str) -> None:
        from rehab_coach.adapters.storage import make_engine

        self.engine = make_engine(url)

    def messages(self, sender_id: str) -> list[dict[str, Any]]:
        """The whole conversation with `sender_id`; empty when there is none (or no table yet)."""
        query = (select(EVENTS.c.data).where(EVENTS.c.sender_id == sender_id, EVENTS.c.type_name.in_(("user", "bot")))
                 .order_by(EVENTS.c.timestamp, EVENTS.c.id))
        with self.engine.connect() as connection:
            if not self.engine.dialect.has_table(connection, "events"):
                return []
            return conversation(json.loads(data) for data in connection.execute(query).scalars())

    def erase(self, sender_id: str) -> None:
        """Delete every event of the conversation with `sender_id` (no table yet: nothing to delete)."""
        with self.engine.begin() as connection:
            if self.engine.dialect.has_table(connection, "events"):
                connection.execute(delete(EVENTS).where(EVENTS.c.sender_id == sender_id))
