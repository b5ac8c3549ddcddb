"""Check-in answers belong to the day they were given: kept in the slots with that day, never carried over."""

from __future__ import annotations

from datetime import date

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet

from actions import _deps
from actions._context import CHECKIN_SLOTS, active_loop
from rehab_coach.adapters.clock import Clock, current_time


def stale_checkin(tracker: Tracker, today: date) -> list[EventType]:
    """Answers kept from a check-in begun on an earlier day: emptied, so they are never recorded for today."""
    started = tracker.get_slot("checkin_day")
    if started in (None, today.isoformat()) or all(tracker.get_slot(name) is None for name in CHECKIN_SLOTS):
        return []
    return [SlotSet(name, None) for name in (*CHECKIN_SLOTS, "checkin_day")]


def kept_answers(tracker: Tracker, text: str, clock: Clock) -> list[EventType]:
    """The check-in answers in a message that interrupts the check-in (the safety questions come first)."""
    requested = tracker.get_slot("requested_slot")
    if active_loop(tracker) != "checkin_form" or requested not in CHECKIN_SLOTS:
        return []
    values = {k: v for k, v in _deps.answers()(text, requested).values.items() if k in CHECKIN_SLOTS}
    if not values:
        return []
    today = current_time(tracker.latest_message.get("metadata"), clock).date()
    return [*(SlotSet(k, v) for k, v in values.items()), SlotSet("checkin_day", today.isoformat())]
