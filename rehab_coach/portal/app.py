"""The clinician portal: server-rendered pages under /, the JSON API under /api, both behind a login."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Form, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response, StreamingResponse
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader
from pydantic import BaseModel, Field, StrictStr
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rehab_coach.adapters.storage import EscalationRecord, PatientRecord, Store, UnknownRecord, make_engine
from rehab_coach.adapters.storage.clinic import EXPORT_FIELDS, Clinic, ClinicianSession, PatientSummary, PlanRecord
from rehab_coach.adapters.transcripts import Transcripts
from rehab_coach.core.model import URGENCIES
from rehab_coach.portal import auth
from rehab_coach.portal.charts import pain_chart, phase_changes
from rehab_coach.portal.exports import csv_chunks, json_chunks
from rehab_coach.portal.present import describe, dose_text, exercise_line, other_days
from rehab_coach.services import chat_links

PAGE_SIZE = 50
WRONG_LOGIN = (f"Wrong name or password. After {auth.MAX_FAILED_LOGINS} wrong passwords in a row a name is locked "
               f"for {auth.LOCKOUT.seconds // 60} minutes.")
CHANNEL_NAMES = {chat_links.WEB_CHAT: "web chat", "rest": "REST"}
MAX_ID = 2**31 - 1  # the databases' INTEGER; larger ids cannot exist
TEMPLATES = Path(__file__).with_name("templates")
SECURITY_HEADERS = [
    (b"content-security-policy",
     b"default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),  # every page holds personal data: no copies in caches
]

PageSession = Annotated[ClinicianSession, Depends(auth.page_session)]
ApiSession = Annotated[ClinicianSession, Depends(auth.api_session)]
PatientId = Annotated[int, PathParam(ge=1, le=MAX_ID)]
EscalationId = Annotated[int, PathParam(ge=1, le=MAX_ID)]
ExportKind = Literal["checkins", "plans", "escalations"]


# -- API models ---------------------------------------------------------------------------------------

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
    sender: Literal["user", "bot"]
    text: str | None
    custom: dict[str, Any] | None = None
    timestamp: str


class Enrolment(ApiModel):
    label: StrictStr | None = Field(None, max_length=64,
                                    description="the clinic's own reference (initials, record no.)")


class Enrolled(ApiModel):
    patient_id: int
    chat_link: str = Field(description="the patient's personal chat link; shown only this once")


class Acknowledged(ApiModel):
    acknowledged: bool = Field(description="false when someone had already acknowledged it (theirs is kept)")
    escalation: EscalationOut


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


# -- the application ---------------------------------------------------------------------------------

class Portal:
    """What the routes share: the stores, the transcripts and the chat server's address."""

    def __init__(self, database_url: str, tracker_url: str, chat_base_url: str) -> None:
        engine = make_engine(database_url)
        self.store = Store(engine)
        self.clinic = Clinic(engine)
        self.transcripts = Transcripts(tracker_url)
        self.chat_base_url = chat_base_url

    def patient(self, patient_id: int) -> PatientRecord:
        try:
            return self.store.patient_by_id(patient_id)
        except UnknownRecord:
            raise HTTPException(status_code=404, detail=f"there is no patient {patient_id}") from None

    def patients(self, page: int) -> tuple[list[PatientSummary], int, int]:
        """One page of the patient list (urgent first), the total and the number of pages."""
        summaries, total = self.clinic.patients(date.today(), offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
        return summaries, total, max(1, -(-total // PAGE_SIZE))

    def enrol(self, clinician_id: int, label: str | None) -> tuple[PatientRecord, str]:
        """A new web-chat patient and their personal chat link (audited)."""
        patient = chat_links.enrol(self.store, date.today())
        if label and label.strip():
            self.clinic.set_label(patient.id, label)
        link = chat_links.chat_link(patient, self.chat_base_url, datetime.now(timezone.utc))
        self.clinic.record(clinician_id, "enrol", patient.id)
        return patient, link

    def acknowledge(self, session: ClinicianSession, escalation_id: int, patient_id: int | None) -> tuple[bool, int]:
        """Acknowledge an escalation (of `patient_id`, when given); whether it was news, and its patient."""
        try:
            owner = self.store.escalation(escalation_id).patient_id
            if patient_id is not None and owner != patient_id:
                raise UnknownRecord(escalation_id)
            done = self.store.acknowledge(escalation_id, session.clinician.username, datetime.now(timezone.utc))
        except UnknownRecord:
            raise HTTPException(status_code=404, detail=f"there is no escalation {escalation_id}") from None
        note = "" if done else " (already acknowledged)"
        self.clinic.record(session.clinician.id, "acknowledge", owner, f"escalation {escalation_id}{note}")
        return done, owner

    def export(self, session: ClinicianSession, kind: str, fmt: str, patient_id: int | None) -> StreamingResponse:
        """A streamed CSV or JSON download of one patient's or everyone's records (audited)."""
        if patient_id is not None:
            self.patient(patient_id)
        name = f"{kind}-{'patient-' + str(patient_id) if patient_id else 'all'}.{fmt}"
        self.clinic.record(session.clinician.id, "export", patient_id, name)
        rows = self.clinic.export_rows(kind, patient_id)
        chunks: Iterator[str] = csv_chunks(rows, EXPORT_FIELDS[kind]) if fmt == "csv" else json_chunks(rows)
        media = "text/csv; charset=utf-8" if fmt == "csv" else "application/json"
        return StreamingResponse(chunks, media_type=media,
                                 headers={"Content-Disposition": f'attachment; filename="{name}"'})


def create_app(database_url: str, tracker_url: str, chat_base_url: str) -> FastAPI:
    """The portal on these databases; chat links point at the Rasa server at `chat_base_url`."""
    app = FastAPI(title="Rehab Coach clinician portal", version="1", openapi_url=None, docs_url=None,
                  redoc_url=None)
    portal = Portal(database_url, tracker_url, chat_base_url)
    app.state.portal, app.state.clinic = portal, portal.clinic
    app.add_middleware(SecurityHeaders)
    app.add_exception_handler(auth.LoginRequired, _to_login)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.include_router(_public_routes())
    app.include_router(_page_routes(portal), dependencies=[Depends(auth.page_session)])
    app.include_router(_api_routes(portal, app), prefix="/api", dependencies=[Depends(auth.api_session)],
                       responses=NOT_LOGGED_IN)
    return app


class SecurityHeaders:
    """Adds the security headers to every response, streamed ones included."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(name, value) for name, value in SECURITY_HEADERS if name not in names]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, with_headers)


# -- pages --------------------------------------------------------------------------------------------

templates = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, trim_blocks=True, lstrip_blocks=True)
templates.filters.update(
    when=lambda moment: "" if moment is None else moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    percent=lambda share: "" if share is None else f"{share:.0%}",
    dose=dose_text,
    exercise=exercise_line,
    other_days=other_days,
    describe=describe,
    channel=lambda name: CHANNEL_NAMES.get(name, name),
)
templates.globals["urgencies"] = URGENCIES


def render(request: Request, name: str, session: ClinicianSession | None, status: int = 200,
           **context: Any) -> HTMLResponse:
    html = templates.get_template(name).render(request=request, session=session, status=status, **context)
    return HTMLResponse(html, status_code=status)


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _public_routes() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/login", response_class=HTMLResponse)
    def login_page(request: Request) -> Response:
        if auth.current_session(request) is not None:
            return RedirectResponse("/", status_code=303)
        return _login_form(request)

    @router.post("/login", response_class=HTMLResponse)
    def login(request: Request, username: Annotated[str, Form()] = "", password: Annotated[str, Form()] = "",
              csrf_token: Annotated[str, Form()] = "") -> Response:
        auth.check_login_csrf(request, csrf_token)
        clinician = auth.authenticate(request.app.state.clinic, username, password)
        if clinician is None:
            return _login_form(request, error=WRONG_LOGIN, username=username, status=401)
        response = RedirectResponse("/", status_code=303)
        auth.open_session(request.app.state.clinic, clinician, response, _secure(request))
        return response

    return router


def _login_form(request: Request, error: str | None = None, username: str = "", status: int = 200) -> Response:
    token = auth.new_login_token()
    response = render(request, "login.html", None, status=status, error=error, username=username, login_token=token)
    auth.set_login_cookie(response, token, _secure(request))
    return response


def _page_routes(portal: Portal) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.post("/logout")
    def logout(request: Request, session: PageSession, csrf_token: Annotated[str, Form()] = "") -> Response:
        auth.require_csrf(session, csrf_token)
        response = RedirectResponse("/login", status_code=303)
        auth.close_session(portal.clinic, request, response)
        return response

    @router.get("/", response_class=HTMLResponse)
    def patient_list(request: Request, session: PageSession,
                     page: Annotated[int, Query(ge=1, le=MAX_ID)] = 1) -> Response:
        summaries, total, pages = portal.patients(page)
        return render(request, "patients.html", session, patients=summaries, total=total, page=page, pages=pages)

    @router.get("/patients/new", response_class=HTMLResponse)
    def enrol_form(request: Request, session: PageSession) -> Response:
        return render(request, "enrol.html", session)

    @router.post("/patients", response_class=HTMLResponse)
    def enrol(request: Request, session: PageSession, csrf_token: Annotated[str, Form()] = "",
              label: Annotated[str, Form(max_length=64)] = "") -> Response:
        auth.require_csrf(session, csrf_token)
        patient, link = portal.enrol(session.clinician.id, label)
        return render(request, "enrolled.html", session, patient=patient, label=label.strip(), link=link)

    @router.get("/patients/{patient_id}", response_class=HTMLResponse)
    def patient_page(request: Request, session: PageSession, patient_id: PatientId) -> Response:
        context = _patient_context(portal, patient_id)
        portal.clinic.record(session.clinician.id, "view_patient", patient_id)
        return render(request, "patient.html", session, **context)

    @router.post("/patients/{patient_id}/escalations/{escalation_id}/acknowledge")
    def acknowledge(session: PageSession, patient_id: PatientId, escalation_id: EscalationId,
                    csrf_token: Annotated[str, Form()] = "") -> Response:
        auth.require_csrf(session, csrf_token)
        portal.acknowledge(session, escalation_id, patient_id)
        return RedirectResponse(f"/patients/{patient_id}#escalation-{escalation_id}", status_code=303)

    @router.get("/patients/{patient_id}/transcript", response_class=HTMLResponse)
    def transcript(request: Request, session: PageSession, patient_id: PatientId) -> Response:
        patient = portal.patient(patient_id)
        messages = portal.transcripts.messages(patient.sender_id)
        portal.clinic.record(session.clinician.id, "view_transcript", patient_id)
        return render(request, "transcript.html", session, patient=patient, label=patient.label,
                      messages=messages)

    @router.get("/patients/{patient_id}/summary", response_class=HTMLResponse)
    def summary(request: Request, session: PageSession, patient_id: PatientId) -> Response:
        context = _patient_context(portal, patient_id)
        portal.clinic.record(session.clinician.id, "view_summary", patient_id)
        return render(request, "summary.html", session, now=datetime.now(timezone.utc), **context)

    @router.get("/exports", response_class=HTMLResponse)
    def exports(request: Request, session: PageSession) -> Response:
        return render(request, "exports.html", session, kinds=list(EXPORT_FIELDS))

    @router.get("/audit", response_class=HTMLResponse)
    def audit(request: Request, session: PageSession) -> Response:
        return render(request, "audit.html", session, events=portal.clinic.audit_events(500))

    return router


def _patient_context(portal: Portal, patient_id: int) -> dict[str, Any]:
    patient = portal.patient(patient_id)
    checkins = portal.store.checkins(patient_id)
    plans = portal.clinic.plans(patient_id)
    escalations = portal.store.escalations(patient_id)
    changes = phase_changes((plan.day, plan.phase_number) for plan in plans)
    return dict(patient=patient, label=patient.label, checkins=checkins, plans=plans,
                escalations=escalations, open_escalations=[e for e in escalations if not e.acknowledged],
                chart=pain_chart(checkins, changes, title=f"Pain over time, patient {patient_id}"),
                kinds=list(EXPORT_FIELDS))


# -- API ----------------------------------------------------------------------------------------------

def _api_routes(portal: Portal, app: FastAPI) -> APIRouter:
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
        summaries, total, pages = portal.patients(page)
        return PatientPage(patients=[_patient_out(s) for s in summaries], total=total, page=page, pages=pages)

    @router.post("/patients", response_model=Enrolled, status_code=201, dependencies=writes,
                 responses={**CSRF_REFUSED, 400: {"model": Problem, "description": "The body is not JSON"}},
                 summary="Enrol a web-chat patient; returns their personal chat link")
    def enrol(session: ApiSession, body: Enrolment) -> Enrolled:
        patient, link = portal.enrol(session.clinician.id, body.label)
        return Enrolled(patient_id=patient.id, chat_link=link)

    @router.get("/patients/{patient_id}", response_model=PatientDetail, responses=NOT_FOUND,
                summary="One patient: profile, check-ins, plans and escalations")
    def patient(session: ApiSession, patient_id: PatientId) -> PatientDetail:
        record = portal.patient(patient_id)
        detail = PatientDetail(
            id=record.id, label=record.label, channel=record.channel, enrolled_on=record.profile.enrolled,
            phase_number=record.phase_number, side=record.profile.side, sport=record.profile.sport,
            diagnosed=record.profile.diagnosed,
            checkins=[CheckInOut(day=c.day, **c.values()) for c in portal.store.checkins(patient_id)],
            plans=[_plan_out(p) for p in portal.clinic.plans(patient_id)],
            escalations=[_escalation_out(e) for e in portal.store.escalations(patient_id)],
        )
        portal.clinic.record(session.clinician.id, "view_patient", patient_id, "api")
        return detail

    @router.get("/patients/{patient_id}/transcript", response_model=list[ChatMessage], responses=NOT_FOUND,
                summary="The whole conversation, oldest first, from Rasa's tracker store")
    def transcript(session: ApiSession, patient_id: PatientId) -> list[ChatMessage]:
        messages = portal.transcripts.messages(portal.patient(patient_id).sender_id)
        portal.clinic.record(session.clinician.id, "view_transcript", patient_id, "api")
        return [ChatMessage(**message) for message in messages]

    @router.post("/escalations/{escalation_id}/acknowledge", response_model=Acknowledged, dependencies=writes,
                 responses={**NOT_FOUND, **CSRF_REFUSED},
                 summary="Record that you have seen an escalation (who and when)")
    def acknowledge(session: ApiSession, escalation_id: EscalationId) -> Acknowledged:
        done, _ = portal.acknowledge(session, escalation_id, None)
        return Acknowledged(acknowledged=done, escalation=_escalation_out(portal.store.escalation(escalation_id)))

    @router.get("/exports/{kind}", response_class=StreamingResponse,
                summary="Everyone's (or one patient's) check-ins, plans or escalations as CSV or JSON",
                responses={200: {"content": {"text/csv": {}, "application/json": {}}}, **NOT_FOUND})
    def export(session: ApiSession, kind: ExportKind, format: Literal["csv", "json"] = "csv",
               patient_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None) -> StreamingResponse:
        return portal.export(session, kind, format, patient_id)

    @router.get("/audit", response_model=list[AuditOut], summary="Who viewed or exported what, newest first")
    def audit(limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> list[AuditOut]:
        return [AuditOut(**vars(event)) for event in portal.clinic.audit_events(limit)]

    return router


def _patient_out(summary: PatientSummary) -> PatientOut:
    return PatientOut(**vars(summary))


def _plan_out(plan: PlanRecord) -> PlanOut:
    return PlanOut(day=plan.day, phase_number=plan.phase_number, status=plan.status, payload=plan.payload)


def _escalation_out(record: EscalationRecord) -> EscalationOut:
    return EscalationOut(id=record.id, created_at=record.created_at, urgency=record.escalation.urgency,
                         reasons=list(record.escalation.reasons), triggers=list(record.escalation.triggers),
                         message=record.message, acknowledged_by=record.acknowledged_by,
                         acknowledged_at=record.acknowledged_at)


# -- errors -------------------------------------------------------------------------------------------

def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/api"


async def _to_login(request: Request, error: Exception) -> Response:
    return RedirectResponse("/login", status_code=303)


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)
    if error.status_code == 405:  # Starlette names only the first route's methods; a path may have several
        error.headers = {"Allow": ", ".join(sorted(_allowed_methods(request)))}
    if _is_api(request):
        return await http_exception_handler(request, error)
    return render(request, "error.html", auth.current_session(request), status=error.status_code,
                  detail=error.detail)


def _allowed_methods(request: Request) -> set[str]:
    allowed: set[str] = set()
    for route in request.app.routes:
        if isinstance(route, APIRoute) and route.matches(request.scope)[0] != Match.NONE:
            allowed |= route.methods
    return allowed


async def _validation_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    if _is_api(request):
        return await request_validation_exception_handler(request, error)
    problems = "; ".join(str(problem.get("msg")) for problem in jsonable_encoder(error.errors()))
    return render(request, "error.html", auth.current_session(request), status=422, detail=problems)
