"""The clinicians' use cases (portal and command line): the patient list, a patient's record and transcript,
enrolment and chat links, acknowledging escalations, messages to a patient, exports, a patient's own copy of their
record, erasure and the audit log. Every view, export, acknowledgement, message, enrolment and erasure by a clinician
is audited here, in one place."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime, timedelta, timezone
from typing import Any

from rehab_coach import settings
from rehab_coach.adapters import fhir
from rehab_coach.adapters.rasa_api import RasaApi
from rehab_coach.adapters.storage import EscalationRecord, PatientRecord, Store, UnknownRecord
from rehab_coach.adapters.storage.clinic import EXPORT_FIELDS, AuditEvent, Clinic, PatientSummary, PlanRecord
from rehab_coach.adapters.storage.notifications import ClinicNotification, NotificationStore
from rehab_coach.adapters.transcripts import Transcripts
from rehab_coach.core import outcomes
from rehab_coach.core.alerts import Standing, alerts
from rehab_coach.core.knowledge import default_knowledge
from rehab_coach.core.model import CheckIn, OutcomeMeasure
from rehab_coach.services import chat_links, clinician_messages, messaging
from rehab_coach.services.reminders import SILENCE, pause_reminders, set_reminder_channel, set_reminder_time

__all__ = ["EXPORT_FIELDS", "AuditEvent", "ClinicNotification", "ClinicService", "EscalationRecord", "Export",
           "NotFound", "PatientFile", "PatientRecord", "PatientSummary", "PlanRecord"]

PAGE_SIZE = 50
# A notice goes out within a minute of its escalation: one older than this and not delivered is late (is the
# scheduler running?), even before any attempt failed.
NOTICE_LATE = timedelta(minutes=2)


class NotFound(LookupError):
    """No such patient or escalation; the message says which."""


@dataclass(frozen=True)
class PatientFile:
    """Everything the clinic holds on one patient."""

    patient: PatientRecord
    checkins: list[CheckIn]
    plans: list[PlanRecord]
    escalations: list[EscalationRecord]
    notifications: dict[int, ClinicNotification]  # the clinic's notice of each serious escalation, by its id
    functions: list[FunctionTrend]  # each outcome measure, with the patient's answers marked against baseline


@dataclass(frozen=True)
class FunctionTrend:
    measure: OutcomeMeasure
    configured: bool  # asked in the chat: PSFS, or a licensed one whose text the clinic supplied
    points: list[outcomes.Point]


@dataclass(frozen=True)
class Export:
    name: str  # the file name to offer
    fields: tuple[str, ...]
    rows: Iterator[dict[str, Any]]  # streamed from the database


def record_json(record: dict[str, Any]) -> str:
    """A patient's record (`ClinicService.patient_record`) as JSON text, dates in ISO 8601."""
    return json.dumps(record, indent=2, ensure_ascii=False, default=lambda moment: moment.isoformat())


def fhir_json(resource: dict[str, Any]) -> str:
    """A FHIR resource as compact JSON text, on one line."""
    return json.dumps(resource, ensure_ascii=False, separators=(",", ":"))


class ClinicService:
    def __init__(self, store: Store, clinic: Clinic, notifications: NotificationStore, transcripts: Transcripts,
                 rasa: RasaApi, chat_base_url: str, telegram_bot: str | None = None) -> None:
        self.store = store
        self.clinic = clinic
        self.notifications = notifications
        self.transcripts = transcripts
        self.rasa = rasa
        self.chat_base_url = chat_base_url
        self.telegram_bot = telegram_bot  # the Telegram bot's username; None: no Telegram channel

    def patient(self, patient_id: int) -> PatientRecord:
        try:
            return self.store.patient_by_id(patient_id)
        except UnknownRecord:
            raise NotFound(f"there is no patient {patient_id}") from None

    def patients(self, page: int) -> tuple[list[PatientSummary], int, int]:
        """One page of the patient list (urgent first), each with its alerts; the total; the number of pages."""
        knowledge, today = default_knowledge(), date.today()
        summaries, total = self.clinic.patients(today, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE,
                                                recent_days=knowledge.rules.alerts.pain_worsening.window_days)
        alerted = [replace(summary, alerts=tuple(alerts(
            Standing(summary.enrolled_on, summary.last_checkin, summary.phase_number, summary.phase_since,
                     summary.adherence, summary.recent, summary.scores), today, knowledge.rules,
            knowledge.last_phase, knowledge.measures)))
                   for summary in summaries]
        return alerted, total, max(1, -(-total // PAGE_SIZE))

    def undelivered_notifications(self, limit: int = 100) -> list[ClinicNotification]:
        """The clinic's notices of serious escalations that could not be delivered (failed, or late), newest first."""
        return self.notifications.undelivered(datetime.now(timezone.utc) - NOTICE_LATE, limit)

    def patient_file(self, clinician_id: int, patient_id: int, action: str = "view_patient",
                     detail: str | None = None) -> PatientFile:
        """A patient's profile, check-ins, plans and escalations (audited as `action`)."""
        responses, knowledge = self.store.responses(patient_id), default_knowledge()
        asked = outcomes.asked_in_chat(knowledge)
        found = PatientFile(self.patient(patient_id), self.store.checkins(patient_id), self.clinic.plans(patient_id),
                            self.store.escalations(patient_id),
                            {n.escalation_id: n for n in self.notifications.of_patient(patient_id)},
                            [FunctionTrend(m, m in asked, outcomes.trend(m, responses))
                             for m in knowledge.measures.values()])
        self.clinic.record(clinician_id, action, patient_id, detail)
        return found

    def patient_record(self, clinician_id: int, patient_id: int) -> dict[str, Any]:
        """Everything held on the patient, for the patient (right of access): profile, check-ins, plans,
        escalations and the whole conversation (audited)."""
        found = self.patient_file(clinician_id, patient_id, "export_record")
        return {"exported_at": datetime.now(timezone.utc), "patient": asdict(found.patient),
                "checkins": [asdict(c) for c in found.checkins], "plans": [asdict(p) for p in found.plans],
                "escalations": [asdict(e) for e in found.escalations],
                "transcript": self.transcripts.messages(found.patient.sender_id)}

    def erase(self, clinician_id: int, patient_id: int) -> bool:
        """Erase the patient (right to erasure): their conversation, then their record with its check-ins, plans
        and escalations; their chat links stop opening the chat. The audit log keeps who, when and the number.
        Returns whether the Rasa server confirmed it dropped its in-memory copy of the conversation (False: it was
        not running, or not reachable; if it runs, restart it)."""
        patient = self.patient(patient_id)
        self.transcripts.erase(patient.sender_id)
        forgotten = self.rasa.forget(patient.sender_id)
        self.store.erase(patient_id)
        self.clinic.record(clinician_id, "erase", patient_id)
        return forgotten

    def discharge(self, clinician_id: int, patient_id: int, discharged: bool) -> None:
        """Discharge the patient today (no more reminders; the retention rule may erase their conversation), or
        take them back into the programme (audited)."""
        self.patient(patient_id)
        self.store.discharge(patient_id, date.today() if discharged else None)
        self.clinic.record(clinician_id, "discharge" if discharged else "readmit", patient_id)

    def set_reminders(self, clinician_id: int, patient_id: int, at: str | None, zone: str | None,
                      paused_until: date | None, channel: str | None = None) -> None:
        """The patient's daily reminder time (HH:MM) and time zone (IANA; None: the clinic's default for either),
        no reminders up to and including `paused_until` (reminders.STOPPED: none at all), and the channel they go
        by (None: where the patient last wrote); ValueError for a time, zone or channel that is none (audited)."""
        patient = self.patient(patient_id)
        set_reminder_time(self.store, patient_id, at, zone)
        set_reminder_channel(self.store, patient_id, channel, self.reminder_channels(patient))
        pause_reminders(self.store, patient_id, paused_until)
        self.clinic.record(clinician_id, "reminders", patient_id)

    def reminder_channels(self, patient: PatientRecord) -> list[str]:
        """The channels the patient's reminders can be sent by."""
        return messaging.reachable(self.store, patient)

    def apply_retention(self, today: date, days: int) -> int:
        """Erase the conversations of patients discharged `days` or more days ago; how many were erased. Their
        clinical record (check-ins, plans, escalations) stays."""
        due = self.store.transcripts_to_erase(today - timedelta(days=days))
        for patient in due:
            self.transcripts.erase(patient.sender_id)
            self.rasa.forget(patient.sender_id)
            self.store.transcript_erased(patient.id, today)
        return len(due)

    def transcript(self, clinician_id: int, patient_id: int, detail: str | None = None
                   ) -> tuple[PatientRecord, list[dict[str, Any]]]:
        """The patient and their whole conversation, oldest first (audited)."""
        patient = self.patient(patient_id)
        messages = self.transcripts.messages(patient.sender_id)
        self.clinic.record(clinician_id, "view_transcript", patient_id, detail)
        return patient, messages

    def enrol(self, clinician_id: int | None, label: str | None = None, chat_base_url: str | None = None,
              valid_for: timedelta = chat_links.DEFAULT_VALIDITY) -> tuple[PatientRecord, str]:
        """A new web-chat patient and their personal chat link (audited when a clinician enrols)."""
        patient = chat_links.enrol(self.store, date.today())
        if label and label.strip():
            self.clinic.set_label(patient.id, label)
        if clinician_id is not None:
            self.clinic.record(clinician_id, "enrol", patient.id)
        return patient, self.chat_link(patient.id, chat_base_url, valid_for)

    def chat_link(self, patient_id: int, chat_base_url: str | None = None,
                  valid_for: timedelta = chat_links.DEFAULT_VALIDITY) -> str:
        """A new personal chat link for a patient; ValueError for a patient who does not use the web chat."""
        return chat_links.chat_link(self.patient(patient_id), chat_base_url or self.chat_base_url,
                                    datetime.now(timezone.utc), valid_for)

    def telegram_link(self, patient_id: int, valid_for: timedelta = chat_links.BIND_VALIDITY) -> str:
        """The patient's Telegram link: opening it binds their Telegram chat to them; ValueError without a bot."""
        if self.telegram_bot is None:
            raise ValueError("Telegram is not configured: set TELEGRAM_BOT_USERNAME (README, Telegram)")
        return messaging.telegram_link(self.patient(patient_id), self.telegram_bot, date.today(), valid_for)

    def acknowledge(self, clinician_id: int, username: str, escalation_id: int,
                    patient_id: int | None = None) -> tuple[bool, EscalationRecord]:
        """Acknowledge an escalation (of `patient_id`, when given): whether it was news, and the escalation."""
        try:
            owner = self.store.escalation(escalation_id).patient_id
            if patient_id is not None and owner != patient_id:
                raise UnknownRecord(escalation_id)
            done = self.store.acknowledge(escalation_id, username, datetime.now(timezone.utc))
        except UnknownRecord:
            raise NotFound(f"there is no escalation {escalation_id}") from None
        note = "" if done else " (already acknowledged)"
        self.clinic.record(clinician_id, "acknowledge", owner, f"escalation {escalation_id}{note}")
        return done, self.store.escalation(escalation_id)

    def message_patient(self, clinician_id: int, patient_id: int, text: str, about: str | None = None) -> None:
        """Send the patient a clinician's message (clinician_messages.py) on the channel they last wrote on; audited
        with who, to whom and `about` (what it answers), never the text. ValueError for an empty or too long message;
        clinician_messages.NotSent when the Rasa server did not take it (audited too)."""
        patient = self.patient(patient_id)
        try:
            clinician_messages.send(self.rasa, patient.sender_id, text)
        except clinician_messages.NotSent as error:
            self.clinic.record(clinician_id, "message", patient_id, f"not delivered ({error.kind})")
            raise
        self.clinic.record(clinician_id, "message", patient_id, about)

    def export(self, clinician_id: int, kind: str, fmt: str, patient_id: int | None) -> Export:
        """One patient's or everyone's check-ins, plans, escalations or monitoring days, streamed (audited)."""
        if patient_id is not None:
            self.patient(patient_id)
        name = f"{kind}-{'patient-' + str(patient_id) if patient_id else 'all'}.{fmt}"
        self.clinic.record(clinician_id, "export", patient_id, name)
        rows = self.clinic.export_rows(kind, patient_id)
        if kind == "monitoring_days":  # and whether the month reached the payer's threshold (a setting)
            threshold = settings.load().monitoring_days_threshold
            return Export(name, (*EXPORT_FIELDS[kind], "reached"),
                          ({**row, "reached": row["days"] >= threshold} for row in rows))
        return Export(name, EXPORT_FIELDS[kind], rows)

    def fhir(self, clinician_id: int, patient_id: int) -> dict[str, Any]:
        """A patient's record as a FHIR R4 Bundle (audited)."""
        patient = self.patient(patient_id)
        self.clinic.record(clinician_id, "export", patient_id, "fhir")
        return self._bundle(patient)

    def fhir_all(self, clinician_id: int) -> Iterator[str]:
        """Every patient's Bundle, a line of NDJSON each, built one patient at a time (audited once)."""
        self.clinic.record(clinician_id, "export", None, "fhir-all.ndjson")
        for patient_id in self.store.patient_ids():
            yield fhir_json(self._bundle(self.store.patient_by_id(patient_id))) + "\n"

    def _bundle(self, patient: PatientRecord) -> dict[str, Any]:
        knowledge = default_knowledge()
        return fhir.bundle(patient, self.store.checkins(patient.id), self.clinic.plans(patient.id),
                           self.store.escalations(patient.id), knowledge.urgencies, datetime.now(timezone.utc),
                           untold=(SILENCE,), responses=self.store.responses(patient.id), measures=knowledge.measures)

    def audit(self, limit: int) -> list[AuditEvent]:
        return self.clinic.audit_events(limit)
