"""Proactive check-in reminders: Rasa's trigger_intent for every patient who has not checked in today.

Run it from a scheduler (cron, a systemd timer) once a day: `./coach remind`. On socket.io the
reminder reaches an open chat at once; on every channel the check-in is waiting at the next message.
"""

from __future__ import annotations

from datetime import date

from rehab_coach.adapters.rasa_api import RasaApi
from rehab_coach.adapters.storage import Store

REMINDER_INTENT = "EXTERNAL_checkin_reminder"


def send_reminders(store: Store, rasa: RasaApi, today: date) -> int:
    """Trigger the check-in for each onboarded patient without today's check-in; how many were sent."""
    sent = 0
    for patient in store.due_for_checkin(today):
        rasa.trigger_intent(patient.sender_id, REMINDER_INTENT)
        sent += 1
    return sent
