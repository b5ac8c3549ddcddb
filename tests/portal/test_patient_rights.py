"""A patient's own copy of their record, and erasure, from the portal: everything is in the copy, nothing is left
after erasure (another patient's conversation is untouched), and the audit log keeps who, when and the number."""

from __future__ import annotations

import json
from datetime import date, timedelta

from sqlalchemy import func, select

from rehab_coach import bootstrap, cli
from rehab_coach.adapters.storage import Store, make_engine
from rehab_coach.adapters.storage.clinic import Clinic
from rehab_coach.adapters.storage.reminders import ReminderStore
from rehab_coach.adapters.transcripts import EVENTS
from tests.portal.conftest import XSS, Seeded, form_token


def conversation_rows(tracker_url: str, sender: str) -> int:
    with make_engine(tracker_url).connect() as connection:
        return connection.execute(select(func.count()).where(EVENTS.c.sender_id == sender)).scalar_one()


def test_the_patients_copy_holds_their_whole_record_and_is_audited(clinician_client, seeded: Seeded, clinic: Clinic):
    client, _ = clinician_client
    ann = seeded.patients["ann"]
    response = client.get(f"/patients/{ann.id}/record.json")
    assert response.status_code == 200 and "attachment" in response.headers["content-disposition"]
    record = json.loads(response.text)
    assert record["patient"]["id"] == ann.id and record["patient"]["sender_id"] == "web-ann"
    assert [c["day"] for c in record["checkins"]] == [c.day.isoformat() for c, _ in seeded.checkins[ann.id]]
    assert [p["payload"] for p in record["plans"]] == [p["payload"] for p in seeded.plans[ann.id]]
    assert [e["message"] for e in record["escalations"]] == [e["message"] for e in seeded.escalations[ann.id]]
    assert XSS in [m["text"] for m in record["transcript"]]
    page = client.get(f"/patients/{ann.id}/record")
    assert page.status_code == 200 and "Your Rehab Coach record" in page.text
    assert XSS not in page.text and "&lt;script&gt;" in page.text
    assert "Log out" not in page.text  # the patient's copy carries none of the portal's controls
    assert [e.action for e in clinic.audit_events() if e.patient_id == ann.id].count("export_record") == 2


def test_erasure_needs_the_patients_number_typed_and_then_leaves_nothing(clinician_client, seeded: Seeded,
                                                                         clinic: Clinic, tracker_url: str):
    client, _ = clinician_client
    ann = seeded.patients["ann"]
    token = form_token(client.get(f"/patients/{ann.id}/erase").text)
    refused = client.post(f"/patients/{ann.id}/erase", data={"csrf_token": token, "confirm": str(ann.id + 1)})
    assert refused.status_code == 400 and "nothing was erased" in refused.text
    assert Store(clinic.engine).patient_by_id(ann.id).sender_id == "web-ann"

    done = client.post(f"/patients/{ann.id}/erase", data={"csrf_token": token, "confirm": f" {ann.id} "})
    assert done.status_code == 303 and done.headers["location"].startswith(f"/?erased={ann.id}")
    assert client.get(f"/patients/{ann.id}").status_code == 404
    assert f"Patient #{ann.id} was erased" in client.get(done.headers["location"]).text
    assert Store(clinic.engine).checkins(ann.id) == [] and Store(clinic.engine).escalations(ann.id) == []
    assert conversation_rows(tracker_url, "web-ann") == 0
    assert conversation_rows(tracker_url, "web-someone-else") > 0
    erased = [(e.clinician, e.action, e.detail) for e in clinic.audit_events() if e.patient_id == ann.id]
    assert erased[0] == ("dr.ada", "erase", None)


def test_a_discharged_patient_gets_no_reminders_and_retention_erases_only_their_old_conversation(
        clinician_client, seeded: Seeded, clinic: Clinic, tracker_url: str, monkeypatch, capsys):
    client, csrf = clinician_client
    ann = seeded.patients["ann"]
    store = Store(clinic.engine)
    store.update_profile(ann.id, side="left", sport="dance", diagnosed=True)
    assert ann.id in [c.patient_id for c in ReminderStore(clinic.engine).candidates([date.today()])]
    assert client.post(f"/patients/{ann.id}/discharge", data={"csrf_token": csrf}).status_code == 303
    assert f"discharged {date.today()}" in client.get(f"/patients/{ann.id}").text
    assert ann.id not in [c.patient_id for c in ReminderStore(clinic.engine).candidates([date.today()])]

    service, _ = bootstrap.clinic("http://127.0.0.1:9", clinic.engine.url.render_as_string(False), tracker_url)
    assert service.apply_retention(date.today() + timedelta(days=29), days=30) == 0  # not yet
    assert conversation_rows(tracker_url, "web-ann") > 0
    assert service.apply_retention(date.today() + timedelta(days=30), days=30) == 1
    assert conversation_rows(tracker_url, "web-ann") == 0 and conversation_rows(tracker_url, "web-someone-else") > 0
    assert len(store.checkins(ann.id)) == len(seeded.checkins[ann.id])  # the clinical record stays
    assert service.apply_retention(date.today() + timedelta(days=31), days=30) == 0  # done once

    client.post(f"/patients/{ann.id}/discharge", data={"csrf_token": csrf, "discharged": "false"})
    assert store.patient_by_id(ann.id).discharged_on is None
    actions = [e.action for e in clinic.audit_events() if e.patient_id == ann.id]
    assert actions[0] == "readmit" and "discharge" in actions


def test_retention_is_off_unless_set(monkeypatch, capsys):
    monkeypatch.delenv("TRANSCRIPT_RETENTION_DAYS", raising=False)
    assert cli.main(["retention"]) == 0
    assert "retention is off" in capsys.readouterr().out
