"""The service functions every entry point calls (chat actions, clinician app, CLI): core + storage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from rehab_coach import contract, engine
from rehab_coach.engine import Advice, Classification, Plan
from rehab_coach.model import SERIOUS, CheckIn, Escalation, Knowledge, RedFlag
from rehab_coach.reading import Reader
from rehab_coach.redflags import Detector, Findings, detector_for
from rehab_coach.storage.repository import PatientRecord, Store
from rehab_coach.triage import triage


@dataclass(frozen=True)
class RecordedCheckIn:
    checkin: CheckIn
    classification: Classification
    created: bool  # False when it replaced an earlier check-in of the same day


class Coach:
    """One patient-facing operation per method; each writes in its own short transaction."""

    def __init__(self, store: Store, knowledge: Knowledge, read: Reader) -> None:
        self.store = store
        self.knowledge = knowledge
        self.read = read

    @property
    def detector(self) -> Detector:
        return detector_for(self.knowledge, self.read)

    def red_flags(self, text: str, today: date) -> Findings:
        """What the message says about red flags (fired, partial evidence, asked about)."""
        return self.detector.find_text(text, today)

    def record_checkin(self, patient: PatientRecord, values: dict, today: date) -> RecordedCheckIn:
        """Validate (InvalidCheckIn lists every problem, nothing written), classify and save today's answers.

        The check-in is committed before anything else happens, so a later failure cannot lose it.
        """
        checkin = CheckIn.validated(today, today=today, **values)
        history = self.store.checkins(patient.id, until=today)
        classification = engine.classify_day(checkin, history, self.knowledge)
        created = self.store.save_checkin(patient.id, checkin, classification.day_class)
        return RecordedCheckIn(checkin, classification, created)

    def plan_for_today(self, patient: PatientRecord, today: date) -> Plan:
        """Today's plan from the patient's whole history; stored as given (one per day, latest wins)."""
        plan = engine.plan_for_today(patient.profile, self.store.checkins(patient.id, until=today), today,
                                     self.knowledge)
        self.store.save_plan(patient.id, today, plan.phase.number, plan.status, contract.plan(plan))
        return plan

    def advise_activity(self, patient: PatientRecord, activity_id: str, today: date) -> Advice:
        history = self.store.checkins(patient.id, until=today)
        return engine.advise_activity(activity_id, patient.profile, history, today, self.knowledge)

    def triage(self, patient: PatientRecord, at: datetime, text: str | None = None,
               include_course: bool = False) -> Escalation | None:
        """Red flags in `text` (and, if asked, referral rules on the course) at time `at`; stored for clinicians."""
        history = self.store.checkins(patient.id, until=at.date()) if include_course else []
        said = self.red_flags(text, at.date()) if text else None
        escalation = triage(said, history=history, knowledge=self.knowledge)
        if escalation is not None:
            self.escalate(patient, escalation, text, at)
        return escalation

    def escalate(self, patient: PatientRecord, escalation: Escalation, text: str | None, at: datetime) -> bool:
        """Store an escalation for clinicians; the same one (same triggers) is stored once a day. True if stored."""
        if any(record.escalation.triggers == escalation.triggers and record.created_at.date() == at.date()
               for record in self.store.escalations(patient.id)):
            return False
        self.store.save_escalation(patient.id, escalation, text, at)
        return True

    def warning_signs(self) -> list[RedFlag]:
        """The signs that need emergency or same-day care, most urgent first, for a patient who asks."""
        return [flag for flag in self.knowledge.red_flags if flag.urgency in SERIOUS and flag.triggers]
