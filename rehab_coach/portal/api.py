"""The JSON API under /api: the same records as the pages, described by OpenAPI at /api/openapi.json."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, FastAPI, Query
from fastapi.responses import JSONResponse, Response, StreamingResponse

from rehab_coach.portal import auth
from rehab_coach.portal.auth import ApiSession
from rehab_coach.portal.exports import csv_chunks, json_chunks
from rehab_coach.portal.pages import send_message
from rehab_coach.portal.present import notification_status, speaker
from rehab_coach.portal.schemas import (
    CSRF_REFUSED,
    MAX_ID,
    NOT_FOUND,
    Acknowledged,
    AuditOut,
    ChatMessage,
    CheckInOut,
    Enrolled,
    Enrolment,
    EscalationId,
    ExportKind,
    MessageIn,
    MessageSent,
    NotificationOut,
    PatientDetail,
    PatientId,
    PatientPage,
    Problem,
    SessionOut,
    escalation_out,
    patient_out,
    plan_out,
)
from rehab_coach.services.clinic import ClinicService, fhir_json
from rehab_coach.services.clinician_messages import CLINIC

FHIR_JSON, FHIR_NDJSON = "application/fhir+json", "application/fhir+ndjson"


def api_routes(clinic: ClinicService, app: FastAPI) -> APIRouter:
    router = APIRouter()
    writes = [Depends(auth.api_csrf)]

    @router.get("/openapi.json", include_in_schema=False)
    def openapi() -> JSONResponse:
        return JSONResponse(app.openapi())

    @router.get("/session", response_model=SessionOut, summary="Who is logged in, and the CSRF token for writes")
    def current(session: ApiSession) -> SessionOut:
        return SessionOut(clinician=session.clinician.username, csrf_token=session.csrf_token,
                          expires_at=session.expires_at)

    @router.get("/patients", response_model=PatientPage, summary="Patients, most urgent first, 50 a page")
    def patients(page: Annotated[int, Query(ge=1, le=MAX_ID)] = 1) -> PatientPage:
        summaries, total, pages = clinic.patients(page)
        return PatientPage(patients=[patient_out(s) for s in summaries], total=total, page=page, pages=pages)

    @router.post("/patients", response_model=Enrolled, status_code=201, dependencies=writes,
                 responses={**CSRF_REFUSED, 400: {"model": Problem, "description": "The body is not JSON"}},
                 summary="Enrol a web-chat patient; returns their personal chat link")
    def enrol(session: ApiSession, body: Enrolment) -> Enrolled:
        patient, link = clinic.enrol(session.clinician.id, body.label)
        return Enrolled(patient_id=patient.id, chat_link=link)

    @router.get("/patients/{patient_id}", response_model=PatientDetail, responses=NOT_FOUND,
                summary="One patient: profile, check-ins, plans and escalations")
    def patient(session: ApiSession, patient_id: PatientId) -> PatientDetail:
        found = clinic.patient_file(session.clinician.id, patient_id, detail="api")
        record = found.patient
        return PatientDetail(
            id=record.id, label=record.label, channel=record.channel, enrolled_on=record.profile.enrolled,
            phase_number=record.phase_number, side=record.profile.side, sport=record.profile.sport,
            diagnosed=record.profile.diagnosed,
            checkins=[CheckInOut(day=c.day, **c.values()) for c in found.checkins],
            plans=[plan_out(p) for p in found.plans],
            escalations=[escalation_out(e) for e in found.escalations],
        )

    @router.get("/patients/{patient_id}/transcript", response_model=list[ChatMessage], responses=NOT_FOUND,
                summary="The whole conversation, oldest first, from Rasa's tracker store")
    def transcript(session: ApiSession, patient_id: PatientId) -> list[ChatMessage]:
        _, messages = clinic.transcript(session.clinician.id, patient_id, "api")
        return [ChatMessage(**{**message, "sender": speaker(message)}) for message in messages]

    @router.post("/patients/{patient_id}/messages", response_model=MessageSent, status_code=201, dependencies=writes,
                 responses={**NOT_FOUND, **CSRF_REFUSED,
                            400: {"model": Problem, "description": "The message is empty or too long, or not JSON"},
                            502: {"model": Problem, "description": "The coach's server did not take it: not sent"}},
                 summary="Send the patient a message: the coach says it on the channel they last wrote on (audited, "
                         "without the text)")
    def message(session: ApiSession, patient_id: PatientId, body: MessageIn) -> MessageSent:
        send_message(clinic, session, patient_id, body.text)
        return MessageSent(patient_id=patient_id, signed=CLINIC)

    @router.get("/patients/{patient_id}/fhir", response_class=Response, responses={
        200: {"content": {FHIR_JSON: {}}, "description": "A FHIR R4 Bundle (collection)"}, **NOT_FOUND},
                summary="One patient's record as a FHIR R4 Bundle")
    def patient_fhir(session: ApiSession, patient_id: PatientId) -> Response:
        bundle = clinic.fhir(session.clinician.id, patient_id)
        return Response(fhir_json(bundle), media_type=FHIR_JSON, headers={
            "Content-Disposition": f'attachment; filename="patient-{patient_id}.fhir.json"'})

    @router.post("/escalations/{escalation_id}/acknowledge", response_model=Acknowledged, dependencies=writes,
                 responses={**NOT_FOUND, **CSRF_REFUSED},
                 summary="Record that you have seen an escalation (who and when)")
    def acknowledge(session: ApiSession, escalation_id: EscalationId) -> Acknowledged:
        done, record = clinic.acknowledge(session.clinician.id, session.clinician.username, escalation_id)
        return Acknowledged(acknowledged=done, escalation=escalation_out(record))

    @router.get("/exports/fhir", response_class=StreamingResponse,
                responses={200: {"content": {FHIR_NDJSON: {}}, "description": "A FHIR R4 Bundle a line"}},
                summary="Every patient's record as FHIR R4: a Bundle a line (NDJSON), streamed")
    def export_fhir(session: ApiSession) -> StreamingResponse:
        return StreamingResponse(clinic.fhir_all(session.clinician.id), media_type=FHIR_NDJSON,
                                 headers={"Content-Disposition": 'attachment; filename="fhir-all.ndjson"'})

    @router.get("/exports/{kind}", response_class=StreamingResponse,
                summary="Everyone's (or one patient's) check-ins, plans or escalations as CSV or JSON",
                responses={200: {"content": {"text/csv": {}, "application/json": {}}}, **NOT_FOUND})
    def export(session: ApiSession, kind: ExportKind, format: Literal["csv", "json"] = "csv",
               patient_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None) -> StreamingResponse:
        found = clinic.export(session.clinician.id, kind, format, patient_id)
        chunks = csv_chunks(found.rows, found.fields) if format == "csv" else json_chunks(found.rows)
        media = "text/csv; charset=utf-8" if format == "csv" else "application/json"
        return StreamingResponse(chunks, media_type=media,
                                 headers={"Content-Disposition": f'attachment; filename="{found.name}"'})

    @router.get("/notifications/undelivered", response_model=list[NotificationOut],
                summary="The clinic's notices of emergency and urgent escalations that could not be delivered")
    def undelivered() -> list[NotificationOut]:
        return [NotificationOut(**{**vars(notice), "delivered_by": list(notice.delivered_by),
                                   "status": notification_status(notice)})
                for notice in clinic.undelivered_notifications()]

    @router.get("/audit", response_model=list[AuditOut], summary="Who viewed or exported what, newest first")
    def audit(limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> list[AuditOut]:
        return [AuditOut(**vars(event)) for event in clinic.audit(limit)]

    return router
