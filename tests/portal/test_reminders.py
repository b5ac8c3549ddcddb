"""The patient page's reminder form: time, zone, pause and stop, behind the CSRF token, checked, audited."""

from __future__ import annotations

import re
from datetime import date

from rehab_coach.adapters.storage import Store
from rehab_coach.adapters.storage.clinic import Clinic
from rehab_coach.services.reminders import STOPPED
from tests.portal.conftest import Seeded


def reminders_of(store: Store, patient_id: int) -> tuple:
    patient = store.patient_by_id(patient_id)
    return patient.reminder_time, patient.timezone, patient.reminders_paused_until


def test_a_clinician_sets_pauses_and_stops_a_patients_reminders(clinician_client, seeded: Seeded, store,
                                                                clinic: Clinic):
    client, csrf = clinician_client
    ann = seeded.patients["ann"].id
    page = client.get(f"/patients/{ann}").text
    assert f'action="/patients/{ann}/reminders"' in page and 'placeholder="09:00"' in page
    form = {"csrf_token": csrf, "reminder_time": "19:30", "zone": "Europe/London", "paused_until": "2026-12-24"}
    done = client.post(f"/patients/{ann}/reminders", data=form)
    assert done.status_code == 303 and done.headers["location"] == f"/patients/{ann}#reminders"
    assert reminders_of(store, ann) == ("19:30", "Europe/London", date(2026, 12, 24))
    page = client.get(f"/patients/{ann}").text
    assert 'value="19:30"' in page and 'value="Europe/London"' in page and 'value="2026-12-24"' in page
    client.post(f"/patients/{ann}/reminders", data={"csrf_token": csrf, "reminder_time": "", "zone": "",
                                                    "paused_until": "", "stopped": "true"})
    assert reminders_of(store, ann) == (None, None, STOPPED)
    assert " checked>" in client.get(f"/patients/{ann}").text
    assert [e.action for e in clinic.audit_events() if e.patient_id == ann].count("reminders") == 2


def test_reminders_go_by_a_channel_that_reaches_the_patient(clinician_client, seeded: Seeded, store, monkeypatch):
    client, csrf = clinician_client
    ann = seeded.patients["ann"]  # enrolled on the web chat
    monkeypatch.setenv("TWILIO_WHATSAPP_NUMBER", "+14155238886")
    monkeypatch.setenv("TELEGRAM_BOT_USERNAME", "CoachTestBot")
    options = re.findall(r'<option value="(\w*)"', client.get(f"/patients/{ann.id}").text)
    assert options == ["", "socketio"]  # nothing bound yet: the web chat, or where they last wrote
    refused = client.post(f"/patients/{ann.id}/reminders", data={"csrf_token": csrf, "channel": "whatsapp"})
    assert refused.status_code == 400 and "cannot go by whatsapp" in refused.text
    store.bind_address(ann.id, "whatsapp", "whatsapp:+447700900001")
    assert re.findall(r'<option value="(\w*)"', client.get(f"/patients/{ann.id}").text) == ["", "socketio", "whatsapp"]
    client.post(f"/patients/{ann.id}/reminders", data={"csrf_token": csrf, "channel": "whatsapp"})
    assert store.patient_by_id(ann.id).reminder_channel == "whatsapp"
    assert 'value="whatsapp" selected' in client.get(f"/patients/{ann.id}").text
    client.post(f"/patients/{ann.id}/reminders", data={"csrf_token": csrf, "channel": ""})
    assert store.patient_by_id(ann.id).reminder_channel is None


def test_a_bad_time_zone_or_token_changes_nothing(clinician_client, seeded: Seeded, store):
    client, csrf = clinician_client
    ann = seeded.patients["ann"].id
    for form, status, reason in [({"reminder_time": "7pm"}, 400, "is not a time of day as HH:MM"),
                                 ({"zone": "Mars/Olympus"}, 400, "is not an IANA time zone name"),
                                 ({"paused_until": "next week"}, 422, "date"),
                                 ({"reminder_time": "07:00", "csrf_token": "forged"}, 403, "")]:
        answer = client.post(f"/patients/{ann}/reminders", data={"csrf_token": csrf, **form})
        assert answer.status_code == status and reason in answer.text, form
    assert reminders_of(store, ann) == (None, None, None)
