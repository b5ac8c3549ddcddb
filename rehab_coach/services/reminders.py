"""Daily check-in reminders: each due patient's once a day, at the time they chose in their time zone.

The scheduler inside `./coach run` (rehab_coach/scheduler.py) calls `Scheduler.run_round` every 30 s; `./coach
remind` runs one round by hand. A round finds the due patients in a few batched queries, then for each one claims
the patient-day in the database (inserting its row; a retry by compare-and-set on its attempts), sends the reminder
through Rasa's trigger_intent and marks it sent. The claim already sets when the next attempt is due, so a failed
send and a scheduler killed mid-send are both retried after the rules' backoff, and two schedulers never send the
same patient-day twice. One patient's failure never stops the others. A reminder missed while the service was down
goes out when it is back, if it is still the patient's same day. On socket.io the reminder reaches an open chat at
once; on every channel the check-in is waiting at the next message.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from threading import Event

from rehab_coach.adapters.rasa_api import RasaApi
from rehab_coach.adapters.storage import Store
from rehab_coach.adapters.storage.reminders import ReminderCandidate, ReminderSend, ReminderStore
from rehab_coach.core.model import Escalation, ReminderRules
from rehab_coach.core.schedule import time_of_day, time_zone

REMINDER_INTENT = "EXTERNAL_checkin_reminder"
REMINDER_KIND = "reminder"  # the entity that tells action_start_checkin which reminder it is: daily or gentle
SILENCE = "no_checkin"  # the trigger of the clinic's alert about a silent patient
STOPPED = date.max  # paused for good ("stop reminders")
# Every local date a time zone can have at one UTC moment (UTC-12 to UTC+14) is within a day of the UTC date.
_ZONE_SPREAD = timedelta(hours=14)

log = logging.getLogger(__name__)  # patient ids and error kinds only


@dataclass
class RoundReport:
    sent: int = 0
    failed: int = 0
    alerts: int = 0  # clinic alerts about patients who have gone quiet


@dataclass(frozen=True)
class _Due:
    patient_id: int
    sender_id: str
    day: date  # the patient's local date
    kind: str
    silent_days: int  # days without a check-in, up to yesterday
    alert: bool  # the clinic has not been alerted to this silent stretch yet
    send: ReminderSend | None  # an earlier attempt today, when this is a retry


class Scheduler:
    def __init__(self, reminders: ReminderStore, rasa: RasaApi, rules: ReminderRules, default_time: str,
                 default_zone: str) -> None:
        self.reminders = reminders
        self.rasa = rasa
        self.rules = rules
        self.default_time = time_of_day(default_time)
        self.default_zone = time_zone(default_zone)

    def run_round(self, now: datetime, stop: Event | None = None) -> RoundReport:
        """Send every reminder due at `now` (timezone-aware); `stop` set ends the round between two patients."""
        report = RoundReport()
        for due in self._due(now):
            if stop is not None and stop.is_set():
                break
            send_id = self._claim(due, now, report)
            if send_id is None:
                continue
            try:
                self.rasa.trigger_intent(due.sender_id, REMINDER_INTENT, {REMINDER_KIND: due.kind})
            except Exception as error:  # whatever one send does, the others go out
                kind = " ".join(str(part) for part in (type(error).__name__, getattr(error, "code", "")) if part)
                log.warning("reminder for patient %s failed: %s", due.patient_id, kind)
                self.reminders.failed(send_id, kind)
                report.failed += 1
            else:
                self.reminders.sent(send_id, now)
                report.sent += 1
        return report

    def _due(self, now: datetime) -> Iterator[_Due]:
        days = {(now + offset).date() for offset in (-_ZONE_SPREAD, timedelta(0), _ZONE_SPREAD)}
        for candidate in self.reminders.candidates(days):
            local = now.astimezone(time_zone(candidate.timezone) if candidate.timezone else self.default_zone)
            today = local.date()
            at = time_of_day(candidate.reminder_time) if candidate.reminder_time else self.default_time
            if (local.time() < at or (candidate.paused_until or date.min) >= today
                    or (candidate.last_checkin or date.min) >= today):
                continue
            send = candidate.sends.get(today)
            if send is not None and (send.next_attempt_at is None or send.next_attempt_at > now):
                continue  # sent, given up for today, or its retry is not due yet
            yield self._reminder(candidate, today, send)

    def _reminder(self, candidate: ReminderCandidate, today: date, send: ReminderSend | None) -> _Due:
        quiet_since = candidate.last_checkin or candidate.enrolled_on - timedelta(days=1)
        silent = (today - quiet_since).days - 1
        kind = send.kind if send else "gentle" if silent >= self.rules.gentle_after_days else "daily"
        alerted = candidate.last_alert is not None and candidate.last_alert > quiet_since
        alert = silent >= self.rules.alert_clinician_after_days and not alerted
        return _Due(candidate.patient_id, candidate.sender_id, today, kind, silent, alert, send)

    def _claim(self, due: _Due, now: datetime, report: RoundReport) -> int | None:
        """The send's id once this scheduler holds this attempt; the attempt after it is due at the next wait."""
        attempt = due.send.attempts + 1 if due.send else 1
        waits = self.rules.retry_minutes
        retry_at = now + timedelta(minutes=waits[attempt - 1]) if attempt <= len(waits) else None
        if due.send is not None:
            return due.send.id if self.reminders.reclaim(due.send, now, retry_at) else None
        alert = Escalation("routine", (f"no check-in for {due.silent_days} days",), (SILENCE,)) if due.alert else None
        send_id = self.reminders.claim(due.patient_id, due.day, due.kind, retry_at, alert, now)
        report.alerts += send_id is not None and alert is not None
        return send_id


def set_reminder_time(store: Store, patient_id: int, at: str | None, zone: str | None) -> None:
    """The patient's daily reminder at `at` (HH:MM) in time zone `zone` (IANA name); None: the clinic's default.
    ValueError for a time or zone that is neither."""
    if at is not None:
        time_of_day(at)
    if zone is not None:
        time_zone(zone)
    store.set_reminder_time(patient_id, at, zone)


def pause_reminders(store: Store, patient_id: int, until: date | None) -> None:
    """No reminders up to and including `until` (STOPPED: none at all); None: reminders again."""
    store.pause_reminders(patient_id, until)
