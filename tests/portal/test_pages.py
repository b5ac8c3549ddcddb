"""The pages and the API behind them: who needs attention first, one patient's course, transcripts, enrolment,
acknowledging escalations and the audit log."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient

from rehab_coach.adapters.storage import Store
from rehab_coach.adapters.storage.clinic import Clinic
from rehab_coach.portal.auth import CSRF_HEADER
from rehab_coach.portal.present import describe, dose_text
from rehab_coach.services import chat_links
from tests.portal.conftest import CHAT_URL, XSS, Seeded

Client = tuple[TestClient, str]


def listed_ids(html: str) -> list[int]:
    return [int(found) for found in re.findall(r'<tr data-patient="(\d+)">', html)]


def audit_actions(clinic: Clinic) -> list[tuple[str, str, int | None]]:
    return [(e.clinician, e.action, e.patient_id) for e in clinic.audit_events()]


def test_the_patient_list_puts_open_escalations_first_then_the_longest_silent(clinician_client: Client,
                                                                               seeded: Seeded):
    client, _ = clinician_client
    ids = {name: patient.id for name, patient in seeded.patients.items()}
    # Ann: urgent; Ben: routine; then no open escalation: Dee never checked in, Eve 5 days ago (her emergency
    # is acknowledged), Cal today.
    expected = [ids["ann"], ids["ben"], ids["dee"], ids["eve"], ids["cal"]]
    page = client.get("/")
    assert listed_ids(page.text) == expected
    api = client.get("/api/patients").json()
    assert [p["id"] for p in api["patients"]] == expected
    assert (api["total"], api["page"], api["pages"]) == (5, 1, 1)
    ann = api["patients"][0]
    assert ann["open_escalations"] == {"urgent": 1, "routine": 1} and ann["top_urgency"] == "urgent"
    assert ann["days_since"] == 0 and ann["phase_number"] == 2
    row = page.text.split(f'<tr data-patient="{ids["ann"]}">')[1].split("</tr>")[0]
    assert row.index("1 urgent") < row.index("1 routine")  # most urgent first within the row too
    assert "79%" in row  # adherence over the last 7 check-ins: 4 all + 3 some


def test_the_patient_list_has_50_patients_a_page(clinician_client: Client, store: Store):
    client, _ = clinician_client
    today = datetime.now().date()
    for n in range(51):
        store.patient("rest", f"bulk-{n}", today)
    first, second = client.get("/"), client.get("/?page=2")
    assert len(listed_ids(first.text)) == 50 and len(listed_ids(second.text)) == 1
    assert "Page 1 of 2" in first.text and 'href="/?page=2"' in first.text
    assert client.get("/api/patients?page=2").json()["patients"][0]["id"] == listed_ids(second.text)[0]
    assert client.get("/?page=0").status_code == 422


def test_the_patient_page_shows_check_ins_chart_plans_and_escalations(clinician_client: Client, seeded: Seeded,
                                                                      clinic: Clinic):
    client, _ = clinician_client
    ann = seeded.patients["ann"]
    html = client.get(f"/patients/{ann.id}").text
    assert html.count('<th scope="row">') >= 7 + 7 + 2  # check-ins, plans, escalations
    for value, _ in seeded.checkins[ann.id]:
        assert f'<th scope="row">{value.day.isoformat()}</th><td class="num">{value.pain_rest}</td>' in html
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in html and 'role="img"' in html
    assert "<title>Phase 2 from" in html  # the phase change is marked on the chart
    assert "Calf stretch on a step: 3 × 30 s hold, twice a day" in html
    assert "&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt; my calf is swollen" in html  # the message, as text
    assert "<script>" not in html
    assert html.count("Acknowledge</button>") == 2
    assert audit_actions(clinic)[0] == ("dr.ada", "view_patient", ann.id)
    assert client.get("/patients/9999").status_code == 404


def test_the_patient_page_gives_the_whatsapp_link_and_sms_text_when_twilio_numbers_are_set(
        clinician_client: Client, seeded: Seeded, monkeypatch):
    client, _ = clinician_client
    ann = seeded.patients["ann"]
    assert "WhatsApp" not in client.get(f"/patients/{ann.id}").text
    monkeypatch.setenv("TWILIO_WHATSAPP_NUMBER", "+14155238886")
    monkeypatch.setenv("TWILIO_SMS_NUMBER", "+447700900000")
    html = client.get(f"/patients/{ann.id}").text
    code = re.search(r'href="https://wa.me/14155238886\?text=START%20([\w-]+)"', html)
    assert code and f"text <code>START {code[1]}</code> to +447700900000" in html
    assert code[1].startswith(f"{ann.id}-")


def test_the_api_gives_one_patient_with_everything_recorded(clinician_client: Client, seeded: Seeded):
    client, _ = clinician_client
    ann = seeded.patients["ann"]
    detail = client.get(f"/api/patients/{ann.id}").json()
    assert [c["day"] for c in detail["checkins"]] == [c.day.isoformat() for c, _ in seeded.checkins[ann.id]]
    assert [p["payload"] for p in detail["plans"]] == [p["payload"] for p in seeded.plans[ann.id]]
    assert [e["message"] for e in detail["escalations"]] == [e["message"] for e in seeded.escalations[ann.id]]
    assert client.get("/api/patients/9999").status_code == 404


def test_a_transcript_shows_both_sides_with_times_and_readable_payloads(clinician_client: Client, seeded: Seeded,
                                                                        clinic: Clinic):
    client, _ = clinician_client
    ann = seeded.patients["ann"].id
    html = client.get(f"/patients/{ann}/transcript").text
    assert html.count('<li class="user">') == 2 and html.count('<li class="bot">') == 3
    assert "EXTERNAL" not in html  # a reminder trigger is not something anyone said
    assert '<time datetime="2025-03-10T08:30:01+00:00"' in html
    assert "Question: side" in html and "answer: choice: left, right, both" in html
    assert "Escalation, urgent: See a doctor today" in html and "possible blood clot" in html
    assert "Plan for 2025-03-10: phase 1 (Settle), start" in html
    assert audit_actions(clinic)[0] == ("dr.ada", "view_transcript", ann)
    api = client.get(f"/api/patients/{ann}/transcript").json()
    assert [m["sender"] for m in api] == ["user", "bot", "user", "bot", "bot"]
    assert {m["channel"] for m in api} == {"socketio"} and html.count("· web chat") == 5
    assert api[2]["text"] == XSS


def test_patient_text_in_a_transcript_is_rendered_inert(clinician_client: Client, seeded: Seeded):
    client, _ = clinician_client
    html = client.get(f"/patients/{seeded.patients['ann'].id}/transcript").text
    assert "&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt;" in html
    assert "<script>" not in html and "alert('pwned')" not in html


def test_another_patients_conversation_never_shows(clinician_client: Client, seeded: Seeded):
    client, _ = clinician_client
    assert client.get(f"/api/patients/{seeded.patients['ben'].id}/transcript").json() == []
    assert "No conversation recorded yet." in client.get(f"/patients/{seeded.patients['ben'].id}/transcript").text


def test_enrolling_shows_the_personal_chat_link_once_and_keeps_the_label(clinician_client: Client, clinic: Clinic,
                                                                          store: Store):
    client, csrf = clinician_client
    assert 'name="label"' in client.get("/patients/new").text
    page = client.post("/patients", data={"csrf_token": csrf, "label": "A.B. <b>#42</b>"})
    assert page.status_code == 200
    link = re.search(r'<p class="link" id="chat-link">([^<]+)</p>', page.text).group(1)  # type: ignore[union-attr]
    assert link.startswith(f"{CHAT_URL}/chat/#token=")
    patient_id = int(re.search(r"Patient (\d+) enrolled", page.text).group(1))  # type: ignore[union-attr]
    subject, _ = chat_links.verify(link.split("#token=")[1], chat_links.secret(chat_links.KEY_NAME))
    assert subject == store.patient_by_id(patient_id).sender_id
    assert "A.B. &lt;b&gt;#42&lt;/b&gt;" in page.text
    assert "A.B. &lt;b&gt;#42&lt;/b&gt;" in client.get("/").text
    assert link not in client.get(f"/patients/{patient_id}").text  # shown once, not kept on any page
    assert ("dr.ada", "enrol", patient_id) in audit_actions(clinic)
    response = client.post("/api/patients", json={}, headers={CSRF_HEADER: csrf})
    assert response.status_code == 201 and response.json()["chat_link"].startswith(f"{CHAT_URL}/chat/#token=")
    assert client.post("/api/patients", json={"label": "x" * 65}, headers={CSRF_HEADER: csrf}).status_code == 422


def test_acknowledging_an_escalation_records_who_and_when_and_is_audited(clinician_client: Client, seeded: Seeded,
                                                                         store: Store, clinic: Clinic):
    client, csrf = clinician_client
    ann = seeded.patients["ann"].id
    urgent = seeded.escalations[ann][0]["id"]
    before = datetime.now(timezone.utc)
    response = client.post(f"/patients/{ann}/escalations/{urgent}/acknowledge", data={"csrf_token": csrf})
    assert response.status_code == 303 and response.headers["location"] == f"/patients/{ann}#escalation-{urgent}"
    record = next(e for e in store.escalations(ann) if e.id == urgent)
    assert record.acknowledged_by == "dr.ada"
    assert record.acknowledged_at is not None and before - timedelta(seconds=1) <= record.acknowledged_at
    assert record.acknowledged_at <= datetime.now(timezone.utc)
    assert audit_actions(clinic)[0] == ("dr.ada", "acknowledge", ann)
    assert clinic.audit_events()[0].detail == f"escalation {urgent}"
    assert client.get("/api/patients").json()["patients"][0]["open_escalations"] == {"routine": 1}
    # A second acknowledgement keeps the first one's name and time.
    again = client.post(f"/api/escalations/{urgent}/acknowledge", headers={CSRF_HEADER: csrf}).json()
    assert again["acknowledged"] is False and again["escalation"]["acknowledged_by"] == "dr.ada"


def test_an_escalation_is_acknowledged_only_through_its_own_patient(clinician_client: Client, seeded: Seeded,
                                                                    store: Store):
    client, csrf = clinician_client
    ben_escalation = seeded.escalations[seeded.patients["ben"].id][0]["id"]
    response = client.post(f"/patients/{seeded.patients['ann'].id}/escalations/{ben_escalation}/acknowledge",
                           data={"csrf_token": csrf})
    assert response.status_code == 404
    assert not store.escalations(seeded.patients["ben"].id)[0].acknowledged
    assert client.post("/api/escalations/9999/acknowledge", headers={CSRF_HEADER: csrf}).status_code == 404


def test_the_audit_log_lists_who_viewed_exported_acknowledged_and_enrolled_what(clinician_client: Client,
                                                                                seeded: Seeded):
    client, csrf = clinician_client
    ann = seeded.patients["ann"].id
    client.get(f"/patients/{ann}")
    client.get(f"/patients/{ann}/transcript")
    client.get(f"/patients/{ann}/summary")
    client.get(f"/api/exports/checkins?format=csv&patient_id={ann}")
    client.get("/api/exports/plans?format=json")
    client.post(f"/patients/{ann}/escalations/{seeded.escalations[ann][0]['id']}/acknowledge",
                data={"csrf_token": csrf})
    client.post("/patients", data={"csrf_token": csrf})
    events = client.get("/api/audit").json()
    assert [(e["clinician"], e["action"], e["detail"]) for e in events] == [
        ("dr.ada", "enrol", None), ("dr.ada", "acknowledge", f"escalation {seeded.escalations[ann][0]['id']}"),
        ("dr.ada", "export", "plans-all.json"), ("dr.ada", "export", f"checkins-patient-{ann}.csv"),
        ("dr.ada", "view_summary", None), ("dr.ada", "view_transcript", None), ("dr.ada", "view_patient", None)]
    page = client.get("/audit").text
    for action in ("view patient", "view transcript", "export", "acknowledge", "enrol"):
        assert f"<td>{action}</td>" in page
    assert "checkins-patient-" in page


def test_the_printable_summary_has_print_styles_and_the_essentials(clinician_client: Client, seeded: Seeded):
    client, _ = clinician_client
    html = client.get(f"/patients/{seeded.patients['ann'].id}/summary").text
    assert "@media print" in html and 'class="no-print"' in html
    assert "Open escalations" in html and "Acknowledge</button>" not in html
    assert "Latest plan" in html and "Calf stretch on a step" in html
    assert "<svg" in html


def test_pages_answer_errors_as_pages_and_the_api_as_json(clinician_client: Client):
    client, _ = clinician_client
    page = client.get("/patients/9999")
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "there is no patient 9999" in page.text
    api = client.get("/api/patients/9999")
    assert api.status_code == 404 and api.json() == {"detail": "there is no patient 9999"}
    assert client.get("/patients/abc").status_code == 422


def test_payloads_read_as_short_lists():
    assert dose_text({"id": "x", "sets": 3, "reps": 10, "hold_seconds": None, "per_day": 2}) == "3 × 10, twice a day"
    assert describe({"kind": "activity_advice", "activity": "running", "activity_name": "Running",
                     "verdict": "avoid", "reason": "too soon"}).heading == "Activity advice: Running: avoid"
    notice = describe({"kind": "notice", "reason": "planner_unreachable", "retry_after_seconds": 60})
    assert (notice.heading, notice.items) == ("Service notice: planner unreachable", ["told to try again after 60 s"])
    unknown = describe({"kind": "something_new", "x": 1})
    assert unknown.heading == "Payload: something_new" and unknown.items == ['{"kind": "something_new", "x": 1}']
    broken = describe({"kind": "plan"})  # a known kind with fields missing still shows, as JSON
    assert broken.items == ['{"kind": "plan"}']



@pytest.fixture(params=[None, "RehabCoachBot"], ids=["without Telegram", "with Telegram"])
def telegram_bot(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str | None:
    """The bot the portal is configured with (set before the app is built)."""
    if request.param is None:
        monkeypatch.delenv("TELEGRAM_BOT_USERNAME", raising=False)
    else:
        monkeypatch.setenv("TELEGRAM_BOT_USERNAME", request.param)
    return request.param


def test_with_telegram_the_patient_page_gives_the_link_that_binds_their_chat(telegram_bot: str | None,
                                                                              clinician_client: Client,
                                                                              seeded: Seeded, store: Store):
    client, _ = clinician_client
    ann = seeded.patients["ann"]
    found = re.search(r'<p class="link" id="telegram-link">https://t\.me/(\w+)\?start=([^<]+)</p>',
                      client.get(f"/patients/{ann.id}").text)
    if telegram_bot is None:
        assert found is None
    else:
        assert found and found.group(1) == telegram_bot
        assert chat_links.redeem(store, found.group(2), "telegram", "4242", date.today()).id == ann.id
