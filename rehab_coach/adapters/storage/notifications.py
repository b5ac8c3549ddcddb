"""The clinic's notices of emergency and urgent escalations (table clinic_notifications): written with the escalation
(Store.save_escalation), claimed and sent by the scheduler, shown in the portal when they could not be delivered."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from rehab_coach.adapters.storage.db import session_factory
from rehab_coach.adapters.storage.tables import ClinicNotificationRow, EscalationRow, PatientRow


@dataclass(frozen=True)
class ClinicNotification:
    id: int
    patient_id: int
    escalation_id: int
    urgency: str
    created_at: datetime
    attempts: int
    next_attempt_at: datetime | None  # None: delivered, or given up after the last retry
    delivered_by: tuple[str, ...]  # the channels that took it
    delivered_at: datetime | None  # every channel took it
    last_error: str | None  # the kind of the last failure
    label: str | None = None  # the clinic's own reference for the patient (portal only)


class NotificationStore:
    """One short transaction per call, like Store."""

    def __init__(self, engine: Engine) -> None:
        self._sessions = session_factory(engine)

    def due(self, now: datetime, limit: int) -> list[ClinicNotification]:
        """Undelivered notices whose next attempt is due at `now`: first attempts first (retries to a provider that
        hangs must not hold back news of an emergency), then the longest waiting."""
        return self._select(ClinicNotificationRow.delivered_at.is_(None), ClinicNotificationRow.next_attempt_at <= now,
                            order=(ClinicNotificationRow.attempts > 0, ClinicNotificationRow.next_attempt_at,
                                   ClinicNotificationRow.id), limit=limit)

    def claim(self, notice: ClinicNotification, at: datetime, next_attempt_at: datetime | None) -> bool:
        """Take the next attempt at `notice` by compare-and-set on its attempts counted and a next attempt that is
        due at `at`; the claim lapses at `next_attempt_at` (None: this is the last attempt). False: another
        scheduler claimed it first."""
        statement = (
            update(ClinicNotificationRow)
            .where(ClinicNotificationRow.id == notice.id, ClinicNotificationRow.attempts == notice.attempts,
                   ClinicNotificationRow.delivered_at.is_(None), ClinicNotificationRow.next_attempt_at <= at)
            .values(attempts=notice.attempts + 1, next_attempt_at=next_attempt_at)
        )
        with self._sessions.begin() as session:
            return bool(session.execute(statement).rowcount == 1)

    def attempted(self, notice: ClinicNotification, delivered_by: Sequence[str], error: str | None,
                  delivered_at: datetime | None) -> None:
        """What the claimed attempt did: the channels that have taken it so far, the last failure's kind (no personal
        data), and when every channel had (None: not yet; the next attempt stays as its claim set it)."""
        values: dict[str, object] = {"delivered_by": list(delivered_by), "last_error": error and error[:100]}
        if delivered_at is not None:
            values.update(delivered_at=delivered_at, next_attempt_at=None)
        with self._sessions.begin() as session:
            session.execute(update(ClinicNotificationRow).where(ClinicNotificationRow.id == notice.id).values(**values))

    def no_channel(self, now: datetime, error: str) -> None:
        """Mark the notices due at `now` as waiting for a channel (`error`); they go out once one is configured."""
        statement = (update(ClinicNotificationRow)
                     .where(ClinicNotificationRow.delivered_at.is_(None), ClinicNotificationRow.next_attempt_at <= now,
                            ClinicNotificationRow.last_error.is_(None))
                     .values(last_error=error))
        with self._sessions.begin() as session:
            session.execute(statement)

    def undelivered(self, created_before: datetime, limit: int) -> list[ClinicNotification]:
        """Notices not delivered that failed, or were created before `created_before`, of escalations nobody has
        acknowledged yet; the newest first."""
        acknowledged = (select(EscalationRow.id).where(EscalationRow.id == ClinicNotificationRow.escalation_id,
                                                       EscalationRow.acknowledged_at.is_not(None)).exists())
        return self._select(ClinicNotificationRow.delivered_at.is_(None), ~acknowledged,
                            ClinicNotificationRow.last_error.is_not(None)
                            | (ClinicNotificationRow.created_at < created_before),
                            order=(ClinicNotificationRow.created_at.desc(), ClinicNotificationRow.id.desc()),
                            limit=limit)

    def of_patient(self, patient_id: int) -> list[ClinicNotification]:
        return self._select(ClinicNotificationRow.patient_id == patient_id, order=(ClinicNotificationRow.id,))

    def _select(self, *where: object, order: tuple[object, ...], limit: int | None = None) -> list[ClinicNotification]:
        query = (select(ClinicNotificationRow, PatientRow.label)
                 .join(PatientRow, PatientRow.id == ClinicNotificationRow.patient_id)
                 .where(*where).order_by(*order).limit(limit))
        with self._sessions.begin() as session:
            return [_notice(row, label) for row, label in session.execute(query)]


def _notice(row: ClinicNotificationRow, label: str | None) -> ClinicNotification:
    return ClinicNotification(row.id, row.patient_id, row.escalation_id, row.urgency, row.created_at, row.attempts,
                              row.next_attempt_at, tuple(row.delivered_by), row.delivered_at, row.last_error, label)
