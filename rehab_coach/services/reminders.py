"""Daily check-in reminders: each due patient's once a day, at the time they chose in their time zone.

The scheduler inside `./coach run` (rehab_coach/scheduler.py) calls `Scheduler.run_round` every 30 s; `./coach
remind` runs one round by hand. A round finds the due patients in one query and takes them a batch at a time: one
transaction claims the batch's patient-days (a first attempt by inserting its row, a retry by compare-and-set on its
attempts), then each reminder goes out through Rasa's trigger_intent and is recorded as sent, or failed, at once.
A claim sets when the next attempt is due, which is also when it lapses: a failed send, and one that a killed
scheduler never made, are retried after the rules' backoff, and no send starts that could end after its claim
lapsed, so two schedulers never send the same patient-day twice (a scheduler killed mid-send can send that one
reminder again, at most). One patient's failure never stops the others. A reminder missed while the service was
down goes out when it is back, if it is still the patient's same day. On socket.io the reminder reaches an open
chat at once; on every channel the check-in is waiting at the next message.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from threading import Event

from rehab_coach.adapters.rasa_api import TIMEOUT, RasaApi
from rehab_coach.adapters.storage import Store
from rehab_coach.adapters.storage.reminders import ReminderCandidate, ReminderClaim, ReminderStore
from rehab_coach.core.model import Escalation, ReminderRules
from rehab_coach.core.schedule import time_of_day, time_zone

REMINDER_INTENT = "EXTERNAL_checkin_reminder"
REMINDER_KIND = "reminder"  # the entity that tells action_start_checkin which reminder it is: daily or gentle
SILENCE = "no_checkin"  # the trigger of the clinic's alert about a silent patient
STOPPED = date.max  # paused for good ("stop reminders")
# Every local date a time zone can have at one UTC moment (UTC-12 to UTC+14) is within a day of the UTC date.
_ZONE_SPREAD = timedelta(hours=14)

BATCH = 100  # patient-days claimed in one transaction

log = logging.getLogger(__name__)  # patient ids and error kinds only


@dataclass
class RoundReport:
    sent: int = 0
    failed: int = 0
    alerts: int = 0  # clinic alerts about patients who have gone quiet


class Scheduler:
    def __init__(self, reminders: ReminderStore, rasa: RasaApi, rules: ReminderRules, default_time: str,
                 default_zone: str) -> None:
        self.reminders = reminders
        self.rasa = rasa
        self.rules = rules
        self.default_time = time_of_day(default_time)
        self.default_zone = time_zone(default_zone)

    def run_round(self, now: datetime, stop: Event | None = None) -> RoundReport:
        """Send every reminder due at `now` (timezone-aware), a batch at a time; `stop` set ends the round after the
        batch under way."""
        report = RoundReport()
        due = list(self._due(now))
        for start in range(0, len(due), BATCH):
            if stop is not None and stop.is_set():
                break
            self._send(due[start:start + BATCH], now, report)
        return report

    def _send(self, batch: list[tuple[str, ReminderClaim]], now: datetime, report: RoundReport) -> None:
        mine = self.reminders.claim([claim for _, claim in batch], now)
        claimed = [pair for pair, ok in zip(batch, mine, strict=True) if ok]
        report.alerts += sum(claim.alert is not None for _, claim in claimed)
        # A claim lapses when its next attempt is due; a send that might end after that is left to the retry.
        lapses = min((claim.next_attempt_at for _, claim in claimed if claim.next_attempt_at), default=None)
        send_until = time.monotonic() + ((lapses - now).total_seconds() - TIMEOUT if lapses else math.inf)
        for sender_id, claim in claimed:
            if time.monotonic() > send_until:
                break
            try:
                self.rasa.trigger_intent(sender_id, REMINDER_INTENT, {REMINDER_KIND: claim.kind})
            except Exception as error:  # whatever one send does, the others go out
                kind = " ".join(str(part) for part in (type(error).__name__, getattr(error, "code", "")) if part)
                log.warning("reminder for patient %s failed: %s", claim.patient_id, kind)
                self.reminders.failed(claim, kind)
                report.failed += 1
            else:
                self.reminders.sent(claim, now)  # at once: a scheduler killed now sends this one again at most
                report.sent += 1

    def _due(self, now: datetime) -> Iterator[tuple[str, ReminderClaim]]:
        """(conversation id, the attempt to claim) for each patient whose reminder is due at `now`."""
        days = {(now + offset).date() for offset in (-_ZONE_SPREAD, timedelta(0), _ZONE_SPREAD)}
        for candidate in self.reminders.candidates(days):
            local = now.astimezone(time_zone(candidate.timezone) if candidate.timezone else self.default_zone)
            today = local.date()
            at = time_of_day(candidate.reminder_time) if candidate.reminder_time else self.default_time
            if (local.time() < at or (candidate.paused_until or date.min) >= today
                    or (candidate.last_checkin or date.min) >= today):
                continue
            send = candidate.sends.get(today)
            if send is None:
                yield candidate.sender_id, self._first(candidate, today, now)
            elif send.next_attempt_at is not None and send.next_attempt_at <= now:  # not sent nor given up: a retry
                yield candidate.sender_id, ReminderClaim(candidate.patient_id, today, send.kind,
                                                         self._retry_at(now, send.attempts + 1), send=send)

    def _first(self, candidate: ReminderCandidate, today: date, now: datetime) -> ReminderClaim:
        """Today's first attempt: the gentle reminder after the rules' silent days; with the clinic's alert after
        theirs, once per silent stretch."""
        quiet_since = candidate.last_checkin or candidate.enrolled_on - timedelta(days=1)
        silent = (today - quiet_since).days - 1
        kind = "gentle" if silent >= self.rules.gentle_after_days else "daily"
        alerted = candidate.last_alert is not None and candidate.last_alert > quiet_since
        alert = (Escalation("routine", (f"no check-in for {silent} days",), (SILENCE,))
                 if silent >= self.rules.alert_clinician_after_days and not alerted else None)
        return ReminderClaim(candidate.patient_id, today, kind, self._retry_at(now, 1), alert)

    def _retry_at(self, now: datetime, attempt: int) -> datetime | None:
        """When the attempt after `attempt` is due: the rules' wait after it; None after the last wait."""
        waits = self.rules.retry_minutes
        return now + timedelta(minutes=waits[attempt - 1]) if attempt <= len(waits) else None


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
