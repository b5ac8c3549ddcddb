"""The JSON API's request and response bodies (its OpenAPI description is built from them)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import Path as PathParam
from pydantic import BaseModel, Field, StrictStr

from rehab_coach.services.clinic import EscalationRecord, PatientSummary, PlanRecord
from rehab_coach.services.clinician_messages import MAX_LENGTH

MAX_ID = 2**31 - 1  # the databases' INTEGER; larger ids cannot exist
PatientId = Annotated[int, PathParam(ge=1, le=MAX_ID)]
EscalationId = Annotated[int, PathParam(ge=1, le=MAX_ID)]
ExportKind = Literal["checkins", "plans", "escalations", "monitoring_days"]


class ApiModel(BaseModel):
    """A response or request body whose optional fields the OpenAPI description marks as nullable."""

    class Config:
        @staticmethod
        def schema_extra(schema: dict[str, Any], model: type[BaseModel]) -> None:
            # pydantic 1 (Rasa's pin) leaves `null` out of an Optional field's JSON Schema.
            properties = schema.get("properties", {})
            for field in model.__fields__.values():
                if field.allow_none and field.alias in properties:
                    described = properties[field.alias]
                    outer = {key: described.pop(key) for key in ("title", "description") if key in described}
                    properties[field.alias] = {**outer, "anyOf": [described, {"type": "null"}]}


class AlertOut(ApiModel):
    rule: str = Field(description="the rule of knowledge/rules.yml clinician_alerts: silent, stalled_phase, ...")
    reason: str


class PatientOut(ApiModel):
    id: int
    label: str | None
    channel: str
    enrolled_on: date
    phase_number: int
    last_checkin: date | None
    days_since: int | None
    adherence: float | None = Field(description="share of the plan done over the latest 7 check-ins")
    open_escalations: dict[str, int] = Field(description="urgency -> unacknowledged escalations")
    top_urgency: str | None
    monitoring_days: int = Field(description="days with check-in data this calendar month")
    alerts: list[AlertOut]


class PatientPage(ApiModel):
    patients: list[PatientOut]
    total: int
    page: int
    pages: int


class CheckInOut(ApiModel):
    day: date
    pain_rest: int
    pain_exercise: int
    pain_morning: int
    swelling: str
    mechanical: str
    adherence: str


class PlanOut(ApiModel):
    day: date
    phase_number: int
    status: str
    payload: dict[str, Any]


class EscalationOut(ApiModel):
    id: int
    created_at: datetime
    urgency: str
    reasons: list[str]
    triggers: list[str]
    message: str | None = Field(description="the patient's message that raised it")
    acknowledged_by: str | None
    acknowledged_at: datetime | None


class PatientDetail(ApiModel):
    id: int
    label: str | None
    channel: str
    enrolled_on: date
    phase_number: int
    side: str | None
    sport: str | None
    diagnosed: bool | None
    checkins: list[CheckInOut]
    plans: list[PlanOut]
    escalations: list[EscalationOut]


class ChatMessage(ApiModel):
    sender: Literal["user", "bot", "clinician"] = Field(
        description="the patient, the coach, or a clinician (a message from the portal the coach delivered)")
    text: str | None
    custom: dict[str, Any] | None = None
    timestamp: str
    channel: str | None = None  # the channel the patient last wrote on (Rasa's name: socketio, telegram, whatsapp...)


class Enrolment(ApiModel):
    label: StrictStr | None = Field(None, max_length=64,
                                    description="the clinic's own reference (initials, record no.)")


class Enrolled(ApiModel):
    patient_id: int
    chat_link: str = Field(description="the patient's personal chat link; shown only this once")


class MessageIn(ApiModel):
    text: StrictStr = Field(description=f"what the patient reads: not empty, at most {MAX_LENGTH} characters")


class MessageSent(ApiModel):
    patient_id: int
    signed: str = Field(description="who the patient reads it is from")


class Acknowledged(ApiModel):
    acknowledged: bool = Field(description="false when someone had already acknowledged it (theirs is kept)")
    escalation: EscalationOut


class NotificationOut(ApiModel):
    """The clinic's notice of an emergency or urgent escalation, as the scheduler left it."""

    id: int
    patient_id: int
    label: str | None = Field(description="the clinic's own reference for the patient")
    escalation_id: int
    urgency: str
    created_at: datetime
    attempts: int
    next_attempt_at: datetime | None = Field(description="the next attempt; null: delivered, or given up")
    delivered_by: list[str] = Field(description="the channels that took it: slack, email")
    delivered_at: datetime | None
    last_error: str | None = Field(description="the last failure's kind")
    status: str = Field(description="the same, in words")


class AuditOut(ApiModel):
    id: int
    at: datetime
    clinician: str
    action: str
    patient_id: int | None
    detail: str | None


class Problem(ApiModel):
    detail: Any


NOT_LOGGED_IN: dict[int | str, dict[str, Any]] = {401: {"model": Problem, "description": "Not logged in"}}
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": Problem, "description": "No such record"}}
CSRF_REFUSED: dict[int | str, dict[str, Any]] = {403: {"model": Problem, "description": "Missing or wrong CSRF token"}}


class SessionOut(ApiModel):
    clinician: str
    csrf_token: str
    expires_at: datetime


def patient_out(summary: PatientSummary) -> PatientOut:
    return PatientOut(**{**vars(summary), "alerts": [AlertOut(**vars(alert)) for alert in summary.alerts]})


def plan_out(plan: PlanRecord) -> PlanOut:
    return PlanOut(day=plan.day, phase_number=plan.phase_number, status=plan.status, payload=plan.payload)


def escalation_out(record: EscalationRecord) -> EscalationOut:
    return EscalationOut(id=record.id, created_at=record.created_at, urgency=record.escalation.urgency,
                         reasons=list(record.escalation.reasons), triggers=list(record.escalation.triggers),
                         message=record.message, acknowledged_by=record.acknowledged_by,
                         acknowledged_at=record.acknowledged_at)
