"""The portal's pages, rendered on the server (Jinja2, no JavaScript): login, patients, a patient's record,
transcript and printable summary, messages to the patient, the patient's own copy of their record, erasure,
enrolment, exports and the audit log."""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader

from rehab_coach import settings
from rehab_coach.core.model import SERIOUS, URGENCIES
from rehab_coach.portal import auth
from rehab_coach.portal.auth import PageSession
from rehab_coach.portal.charts import pain_chart, phase_changes
from rehab_coach.portal.present import (
    SPEAKERS,
    answer,
    describe,
    dose_text,
    exercise_line,
    notification_status,
    other_days,
    speaker,
)
from rehab_coach.portal.schemas import MAX_ID, EscalationId, PatientId
from rehab_coach.services import messaging
from rehab_coach.services.accounts import LOCKOUT, MAX_FAILED_LOGINS, ClinicianSession
from rehab_coach.services.clinic import EXPORT_FIELDS, ClinicService, record_json
from rehab_coach.services.clinician_messages import CLINIC, MAX_LENGTH, SEEN, NotSent
from rehab_coach.services.reminders import STOPPED

WRONG_LOGIN = (f"Wrong name or password. After {MAX_FAILED_LOGINS} wrong passwords in a row a name is locked "
               f"for {LOCKOUT.seconds // 60} minutes.")

templates = Environment(loader=FileSystemLoader(Path(__file__).with_name("templates")), autoescape=True,
                        trim_blocks=True, lstrip_blocks=True)
templates.filters.update(
    when=lambda moment: "" if moment is None else moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    percent=lambda share: "" if share is None else f"{share:.0%}",
    dose=dose_text,
    exercise=exercise_line,
    other_days=other_days,
    answer=answer,
    describe=describe,
    speaker=speaker,
    notification=notification_status,
    channel=lambda name: messaging.NAMES.get(name, name),
)
templates.globals.update(urgencies=URGENCIES, serious=SERIOUS, speakers=SPEAKERS, message_max_length=MAX_LENGTH,
                         message_from=CLINIC, seen_message=SEEN)


def render(request: Request, name: str, session: ClinicianSession | None, status: int = 200,
           **context: Any) -> HTMLResponse:
    html = templates.get_template(name).render(request=request, session=session, status=status, **context)
    return HTMLResponse(html, status_code=status)


def public_routes() -> APIRouter:
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
        clinician = auth.accounts(request).authenticate(username, password)
        if clinician is None:
            return _login_form(request, error=WRONG_LOGIN, username=username, status=401)
        response = RedirectResponse("/", status_code=303)
        auth.open_session(request, clinician, response)
        return response

    return router


def _login_form(request: Request, error: str | None = None, username: str = "", status: int = 200) -> Response:
    token = auth.new_login_token()
    response = render(request, "login.html", None, status=status, error=error, username=username, login_token=token)
    auth.set_login_cookie(request, response, token)
    return response


def page_routes(clinic: ClinicService) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.post("/logout")
    def logout(request: Request, session: PageSession, csrf_token: Annotated[str, Form()] = "") -> Response:
        auth.require_csrf(session, csrf_token)
        response = RedirectResponse("/login", status_code=303)
        auth.close_session(request, response)
        return response

    @router.get("/", response_class=HTMLResponse)
    def patient_list(request: Request, session: PageSession, page: Annotated[int, Query(ge=1, le=MAX_ID)] = 1,
                     erased: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
                     unconfirmed: bool = False) -> Response:
        summaries, total, pages = clinic.patients(page)
        return render(request, "patients.html", session, patients=summaries, total=total, page=page, pages=pages,
                      erased=erased, unconfirmed=unconfirmed, chat_url=clinic.chat_base_url,
                      undelivered=clinic.undelivered_notifications(),
                      monitoring_threshold=settings.load().monitoring_days_threshold)

    @router.get("/patients/new", response_class=HTMLResponse)
    def enrol_form(request: Request, session: PageSession) -> Response:
        return render(request, "enrol.html", session)

    @router.post("/patients", response_class=HTMLResponse)
    def enrol(request: Request, session: PageSession, csrf_token: Annotated[str, Form()] = "",
              label: Annotated[str, Form(max_length=64)] = "") -> Response:
        auth.require_csrf(session, csrf_token)
        patient, link = clinic.enrol(session.clinician.id, label)
        return render(request, "enrolled.html", session, patient=patient, label=label.strip(), link=link)

    @router.get("/patients/{patient_id}", response_class=HTMLResponse)
    def patient_page(request: Request, session: PageSession, patient_id: PatientId, sent: bool = False) -> Response:
        context = _patient_context(clinic, session, patient_id)
        telegram = clinic.telegram_link(patient_id) if clinic.telegram_bot else None
        return render(request, "patient.html", session, telegram_link=telegram, sent=sent, **context)

    @router.post("/patients/{patient_id}/escalations/{escalation_id}/acknowledge")
    def acknowledge(session: PageSession, patient_id: PatientId, escalation_id: EscalationId,
                    csrf_token: Annotated[str, Form()] = "", tell_patient: Annotated[bool, Form()] = False) -> Response:
        auth.require_csrf(session, csrf_token)
        clinic.acknowledge(session.clinician.id, session.clinician.username, escalation_id, patient_id)
        if tell_patient:
            send_message(clinic, session, patient_id, SEEN, f"escalation {escalation_id}",
                         "The escalation is acknowledged. ")
        return RedirectResponse(f"/patients/{patient_id}{'?sent=1' if tell_patient else ''}#escalation-{escalation_id}",
                                status_code=303)

    @router.post("/patients/{patient_id}/messages")
    def message(session: PageSession, patient_id: PatientId, csrf_token: Annotated[str, Form()] = "",
                text: Annotated[str, Form()] = "") -> Response:
        auth.require_csrf(session, csrf_token)
        send_message(clinic, session, patient_id, text)
        return RedirectResponse(f"/patients/{patient_id}?sent=1#message", status_code=303)

    @router.post("/patients/{patient_id}/discharge")
    def discharge(session: PageSession, patient_id: PatientId, csrf_token: Annotated[str, Form()] = "",
                  discharged: Annotated[bool, Form()] = True) -> Response:
        auth.require_csrf(session, csrf_token)
        clinic.discharge(session.clinician.id, patient_id, discharged)
        return RedirectResponse(f"/patients/{patient_id}", status_code=303)

    @router.post("/patients/{patient_id}/reminders")
    def reminders(session: PageSession, patient_id: PatientId, csrf_token: Annotated[str, Form()] = "",
                  reminder_time: Annotated[str, Form(max_length=5)] = "",
                  zone: Annotated[str, Form(max_length=64)] = "",
                  paused_until: Annotated[date | None, Form()] = None,
                  stopped: Annotated[bool, Form()] = False,
                  channel: Annotated[str, Form(max_length=32)] = "") -> Response:
        auth.require_csrf(session, csrf_token)
        try:
            clinic.set_reminders(session.clinician.id, patient_id, reminder_time.strip() or None,
                                 zone.strip() or None, STOPPED if stopped else paused_until, channel or None)
        except ValueError as error:
            raise HTTPException(400, str(error)) from None
        return RedirectResponse(f"/patients/{patient_id}#reminders", status_code=303)

    @router.get("/patients/{patient_id}/record.json")
    def record(session: PageSession, patient_id: PatientId) -> Response:
        text = record_json(clinic.patient_record(session.clinician.id, patient_id))
        return PlainTextResponse(text, media_type="application/json", headers={
            "Content-Disposition": f'attachment; filename="patient-{patient_id}-record.json"'})

    @router.get("/patients/{patient_id}/record", response_class=HTMLResponse)
    def readable_record(request: Request, session: PageSession, patient_id: PatientId) -> Response:
        return render(request, "record.html", None, record=clinic.patient_record(session.clinician.id, patient_id))

    @router.get("/patients/{patient_id}/erase", response_class=HTMLResponse)
    def erase_form(request: Request, session: PageSession, patient_id: PatientId) -> Response:
        return render(request, "erase.html", session, patient=clinic.patient(patient_id))

    @router.post("/patients/{patient_id}/erase", response_class=HTMLResponse)
    def erase(request: Request, session: PageSession, patient_id: PatientId, csrf_token: Annotated[str, Form()] = "",
              confirm: Annotated[str, Form(max_length=20)] = "") -> Response:
        auth.require_csrf(session, csrf_token)
        if confirm.strip() != str(patient_id):
            return render(request, "erase.html", session, status=400, patient=clinic.patient(patient_id),
                          error=f"Type {patient_id} to confirm; nothing was erased.")
        forgotten = clinic.erase(session.clinician.id, patient_id)
        return RedirectResponse(f"/?erased={patient_id}{'' if forgotten else '&unconfirmed=1'}", status_code=303)

    @router.get("/patients/{patient_id}/transcript", response_class=HTMLResponse)
    def transcript(request: Request, session: PageSession, patient_id: PatientId) -> Response:
        patient, messages = clinic.transcript(session.clinician.id, patient_id)
        return render(request, "transcript.html", session, patient=patient, label=patient.label,
                      messages=messages)

    @router.get("/patients/{patient_id}/summary", response_class=HTMLResponse)
    def summary(request: Request, session: PageSession, patient_id: PatientId) -> Response:
        context = _patient_context(clinic, session, patient_id, "view_summary")
        return render(request, "summary.html", session, now=datetime.now(timezone.utc), **context)

    @router.get("/exports", response_class=HTMLResponse)
    def exports(request: Request, session: PageSession) -> Response:
        return render(request, "exports.html", session, kinds=list(EXPORT_FIELDS))

    @router.get("/audit", response_class=HTMLResponse)
    def audit(request: Request, session: PageSession) -> Response:
        return render(request, "audit.html", session, events=clinic.audit(500))

    return router


def send_message(clinic: ClinicService, session: ClinicianSession, patient_id: int, text: str,
                 about: str | None = None, done: str = "") -> None:
    """Send the clinician's message (pages and API); 400 with the reason for one that cannot be sent, 502 when the
    Rasa server did not take it (`done`: what happened before, which stands)."""
    try:
        clinic.message_patient(session.clinician.id, patient_id, text, about)
    except ValueError as error:
        raise HTTPException(400, f"{done}{error}. Nothing was sent.") from None
    except NotSent as error:
        raise HTTPException(502, f"{done}The message could not be delivered ({error.kind}): the coach's server is not "
                                 "running, or the patient's channel could not send it (WhatsApp takes one only within "
                                 "24 hours of the patient's last message). Try again later.") from None


def _patient_context(clinic: ClinicService, session: ClinicianSession, patient_id: int,
                     action: str = "view_patient") -> dict[str, Any]:
    found = clinic.patient_file(session.clinician.id, patient_id, action)
    changes = phase_changes((plan.day, plan.phase_number) for plan in found.plans)
    return dict(patient=found.patient, label=found.patient.label, checkins=found.checkins, plans=found.plans,
                escalations=found.escalations, open_escalations=[e for e in found.escalations if not e.acknowledged],
                notifications=found.notifications, functions=found.functions,
                chart=pain_chart(found.checkins, changes, title=f"Pain over time, patient {patient_id}"),
                kinds=list(EXPORT_FIELDS), invite=messaging.phone_invite(found.patient, date.today()),
                reminders_stopped=found.patient.reminders_paused_until == STOPPED, clinic_reminders=settings.load(),
                reminder_channels=clinic.reminder_channels(found.patient))
