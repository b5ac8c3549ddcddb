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
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from threading import Event

from rehab_coach.adapters.rasa_api import TIMEOUT, RasaApi, failure
from rehab_coach.adapters.storage import PatientRecord, Store
from rehab_coach.adapters.storage.reminders import ReminderCandidate, ReminderClaim, ReminderSend, ReminderStore
from rehab_coach.core.model import Escalation, ReminderRules
from rehab_coach.core.reminder_request import ReminderRequest
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


@dataclass(frozen=True)
class _Due:
    """A patient whose reminder is due: today's first attempt (`send` None) or a retry of `send`."""

    sender_id: str
    patient_id: int
    day: date  # the patient's local date
    kind: str
    channel: str | None  # the patient's choice of channel, None: where they last wrote
    alert: Escalation | None = None  # the clinic's alert, raised with a first attempt
    send: ReminderSend | None = None


class Scheduler:
    def __init__(self, reminders: ReminderStore, rasa: RasaApi, rules: ReminderRules, default_time: str,
                 default_zone: str, channels: Collection[str]) -> None:
        self.reminders = reminders
        self.rasa = rasa
        self.rules = rules
        self.default_time = time_of_day(default_time)
        self.default_zone = time_zone(default_zone)
        self.channels = channels  # the channels the Rasa server has: a patient's choice of another is not kept

    def run_round(self, now: datetime, stop: Event | None = None) -> RoundReport:
        """Send every reminder due at `now` (timezone-aware), a batch at a time; `stop` set ends the round after the
        batch under way."""
        report = RoundReport()
        started = time.monotonic()

        def monotonic(moment: datetime) -> float:  # a moment of this round on the monotonic clock
            return started + (moment - now).total_seconds()

        due = list(self._due(now))
        for start in range(0, len(due), BATCH):
            if stop is not None and stop.is_set():
                break
            # Claims are timed from when they are made, however long the batches before took (in whole seconds:
            # a test's `now` stays exact).
            claimed_at = now + timedelta(seconds=int(time.monotonic() - started))
            self._send(due[start:start + BATCH], claimed_at, monotonic, report)
        return report

    def _send(self, batch: list[_Due], now: datetime, monotonic: Callable[[datetime], float],
              report: RoundReport) -> None:
        claims = [ReminderClaim(due.patient_id, due.day, due.kind,
                                self.rules.retry_at(now, due.send.attempts + 1 if due.send else 1), due.alert, due.send)
                  for due in batch]
        claimed = [(due, claim) for due, claim, ok in zip(batch, claims, self.reminders.claim(claims, now),
                                                          strict=True) if ok]
        report.alerts += sum(due.alert is not None for due, _ in claimed)
        # A claim lapses when its next attempt is due; a send that might end after that is left to the retry.
        lapses = min((claim.next_attempt_at for _, claim in claimed if claim.next_attempt_at), default=None)
        send_until = monotonic(lapses) - TIMEOUT if lapses else math.inf
        for due, claim in claimed:
            if time.monotonic() > send_until:
                break
            try:
                self.rasa.trigger_intent(due.sender_id, REMINDER_INTENT, {REMINDER_KIND: due.kind},
                                         due.channel if due.channel in self.channels else None)
            except Exception as error:  # whatever one send does, the others go out
                kind = failure(error)
                log.warning("reminder for patient %s failed: %s", due.patient_id, kind)
                self.reminders.failed(claim, kind)
                report.failed += 1
            else:
                self.reminders.sent(claim, now)  # at once: a scheduler killed now sends this one again at most
                report.sent += 1

    def _due(self, now: datetime) -> Iterator[_Due]:
        """Each patient whose reminder is due at `now`."""
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
                yield self._first(candidate, today)
            elif send.next_attempt_at is not None and send.next_attempt_at <= now:  # not sent nor given up: a retry
                yield _Due(candidate.sender_id, candidate.patient_id, today, send.kind, candidate.channel, send=send)

    def _first(self, candidate: ReminderCandidate, today: date) -> _Due:
        """Today's first attempt: the gentle reminder after the rules' silent days; with the clinic's alert after
        theirs, once per silent stretch."""
        quiet_since = candidate.last_checkin or candidate.enrolled_on - timedelta(days=1)
        silent = (today - quiet_since).days - 1
        kind = "gentle" if silent >= self.rules.gentle_after_days else "daily"
        alerted = candidate.last_alert is not None and candidate.last_alert > quiet_since
        alert = (Escalation("routine", (f"no check-in for {silent} days",), (SILENCE,))
                 if silent >= self.rules.alert_clinician_after_days and not alerted else None)
        return _Due(candidate.sender_id, candidate.patient_id, today, kind, candidate.channel, alert)


@dataclass(frozen=True)
class ReminderDefaults:
    """The clinic's reminder time (HH:MM) and time zone (IANA), for patients who chose none (settings)."""

    time: str
    zone: str


@dataclass(frozen=True)
class ReminderSetting:
    """A patient's daily reminder as it stands on a day."""

    time: str  # HH:MM, theirs or the clinic's
    zone: str  # IANA, theirs or the clinic's
    stopped: bool
    resumes_on: date | None  # paused: the first day with a reminder again

    @classmethod
    def of(cls, patient: PatientRecord, defaults: ReminderDefaults, today: date) -> ReminderSetting:
        until = patient.reminders_paused_until
        paused = until is not None and until != STOPPED and until >= today
        return cls(patient.reminder_time or defaults.time, patient.timezone or defaults.zone, until == STOPPED,
                   until + timedelta(days=1) if paused and until else None)


def change_reminders(store: Store, patient: PatientRecord, request: ReminderRequest, today: date) -> None:
    """Apply a patient's request: a new time or zone (a new time also ends a pause or a stop), stop, pause for
    `days` from today on, or resume; asking, or a request still unclear (no time, no zone, no length), changes
    nothing."""
    if request.action == "set" and (request.time or request.zone):
        set_reminder_time(store, patient.id, request.time or patient.reminder_time, request.zone or patient.timezone)
        if request.time:
            pause_reminders(store, patient.id, None)
    elif request.action == "stop":
        pause_reminders(store, patient.id, STOPPED)
    elif request.action == "pause" and request.days:
        pause_reminders(store, patient.id, today + timedelta(days=request.days - 1))
    elif request.action == "resume":
        pause_reminders(store, patient.id, None)


def set_reminder_time(store: Store, patient_id: int, at: str | None, zone: str | None) -> None:
    """The patient's daily reminder at `at` (HH:MM) in time zone `zone` (IANA name); None: the clinic's default.
    ValueError for a time or zone that is neither."""
    if at is not None:
        time_of_day(at)
    if zone is not None:
        time_zone(zone)
    store.set_reminder_time(patient_id, at, zone)


def set_reminder_channel(store: Store, patient_id: int, channel: str | None, channels: Collection[str]) -> None:
    """The patient's reminders go by `channel`, one of `channels`; None: by the one they last wrote on. ValueError
    for another."""
    if channel is not None and channel not in channels:
        raise ValueError(f"reminders cannot go by {channel}: they can go by {', '.join(channels)}")
    store.set_reminder_channel(patient_id, channel)


def pause_reminders(store: Store, patient_id: int, until: date | None) -> None:
    """No reminders up to and including `until` (STOPPED: none at all); None: reminders again."""
    store.pause_reminders(patient_id, until)
