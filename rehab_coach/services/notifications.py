"""The clinic hears of each emergency or urgent escalation within a minute, by Slack, email or both.

The notice is written with the escalation, in its transaction (Coach.escalate: an outbox), so a patient's turn
makes no network call and a notice is never lost. The scheduler (rehab_coach/scheduler.py) calls
`ClinicNotifier.run_round` every 30 s: each due notice is claimed by compare-and-set on its attempts, which also sets
when the next attempt is due and the claim lapses (the rules' waits, knowledge/rules.yml clinic_notifications), then
sent on every channel that has not taken it yet. So two schedulers never send one twice, a channel that took it is
not sent it again when another failed, one notice's failure never stops the others, and after the last retry the
notice stays undelivered, for the portal to show. A notice says only which patient needs attention, how urgently, and
where in the portal: no symptoms, no names, no conversation ids.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from threading import Event
from typing import Protocol

from rehab_coach.adapters.clinic_channels import DeliveryError
from rehab_coach.adapters.storage.notifications import ClinicNotification, NotificationStore
from rehab_coach.core.model import NotificationRules

BATCH = 100  # notices read per round; more wait for the next one
NO_CHANNEL = "no notification channel configured"

log = logging.getLogger(__name__)  # patient ids and error kinds only


class Channel(Protocol):
    name: str

    def send(self, subject: str, text: str) -> None:
        """One attempt; DeliveryError (or any error) when the channel did not take it."""


@dataclass
class NotifyReport:
    delivered: int = 0
    failed: int = 0


def notice(patient_id: int, urgency: str, portal_url: str) -> tuple[str, str]:
    """A notice's subject and text: the patient's number, the urgency and the link to their page, nothing else."""
    subject = f"Patient {patient_id} needs attention ({urgency})"
    return subject, f"{subject}. Open: {portal_url.rstrip('/')}/patients/{patient_id}"


class ClinicNotifier:
    def __init__(self, store: NotificationStore, channels: Sequence[Channel], rules: NotificationRules,
                 portal_url: str) -> None:
        self.store = store
        self.channels = tuple(channels)
        self.rules = rules
        self.portal_url = portal_url

    def run_round(self, now: datetime, stop: Event | None = None) -> NotifyReport:
        """Send every notice due at `now` (timezone-aware); `stop` set ends the round after the notice under way.
        With no channel configured, the due notices are marked so (the portal shows them) and kept."""
        report = NotifyReport()
        if not self.channels:
            self.store.no_channel(now, NO_CHANNEL)
            return report
        started = time.monotonic()
        for due in self.store.due(now, BATCH):
            if stop is not None and stop.is_set():
                break
            # Claimed when it is made (in whole seconds: a test's `now` stays exact), however long the ones before
            # took. A claim holds a minute at least, and a send at most TIMEOUT per channel: it never outlasts it.
            at = now + timedelta(seconds=int(time.monotonic() - started))
            if self.store.claim(due, at, self.rules.retry_at(at, due.attempts + 1)):
                self._send(due, at, report)
        return report

    def _send(self, due: ClinicNotification, at: datetime, report: NotifyReport) -> None:
        subject, text = notice(due.patient_id, due.urgency, self.portal_url)
        delivered_by, errors = list(due.delivered_by), []
        for channel in self.channels:
            if channel.name in delivered_by:
                continue
            try:
                channel.send(subject, text)
            except Exception as failure:  # whatever one channel does, the others and the other notices go out
                kind = failure.kind if isinstance(failure, DeliveryError) else type(failure).__name__
                errors.append(f"{channel.name}: {kind}")
                log.warning("clinic notification for patient %s failed: %s", due.patient_id, errors[-1])
            else:
                delivered_by.append(channel.name)
        self.store.attempted(due, delivered_by, "; ".join(errors) or None, None if errors else at)
        if errors:
            report.failed += 1
        else:
            report.delivered += 1
