"""Proactive check-in reminders: Rasa's trigger_intent for every patient who has not checked in today.

Run it from a scheduler (cron, a systemd timer) once a day: `./coach remind`. On socket.io the
reminder reaches an open chat at once; on every channel the check-in is waiting at the next message.
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from datetime import date

from rehab_coach.adapters.storage import Store

REMINDER_INTENT = "EXTERNAL_checkin_reminder"


def send_reminders(store: Store, rasa_url: str, token: str, today: date) -> int:
    """Trigger the check-in for each onboarded patient without today's check-in; how many were sent."""
    sent = 0
    for patient in store.due_for_checkin(today):
        sender = urllib.parse.quote(patient.sender_id, safe="")
        query = urllib.parse.urlencode({"output_channel": "latest", "token": token})
        request = urllib.request.Request(
            f"{rasa_url}/conversations/{sender}/trigger_intent?{query}",
            data=json.dumps({"name": REMINDER_INTENT}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30):
            sent += 1
    return sent
