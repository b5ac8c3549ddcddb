"""The patient list's alerts (knowledge/rules.yml: clinician_alerts), read from the database: a phase held for
weeks while the plan is done, pain rising over the last week, a patient silent since enrolment."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient

from rehab_coach.adapters.storage import Store
from tests.portal.conftest import TODAY, Seeded, checkin, plan_payload


def listed_alerts(client: TestClient) -> dict[int, dict[str, str]]:
    rows = re.findall(r'<tr data-patient="(\d+)">(.*?)</tr>', client.get("/").text, re.S)
    return {int(patient): dict(re.findall(r'<p class="alert" data-alert="(\w+)">([^<]*)</p>', row))
            for patient, row in rows}


def test_the_list_shows_each_patients_alerts_with_their_reasons(clinician_client: tuple[TestClient, str],
                                                                store: Store, seeded: Seeded):
    client, _ = clinician_client
    fay = store.patient("socketio", "web-fay", TODAY - timedelta(days=60))
    for n in range(60, -1, -1):  # phase 1, then phase 2 for the last five weeks
        day, phase = TODAY - timedelta(days=n), 1 if n > 35 else 2
        store.save_plan(fay.id, day, phase, "hold", plan_payload(day, phase, "hold"))
    for n, worst in zip(range(5, -1, -1), (2, 2, 2, 5, 5, 5), strict=True):  # every plan done; pain rising
        store.save_checkin(fay.id, checkin(TODAY - timedelta(days=n), 0, worst, 0), "green")
    gus = store.patient("socketio", "web-gus", TODAY - timedelta(days=10))
    found = listed_alerts(client)
    assert found[fay.id] == {"stalled_phase": "In phase 2 for 5 weeks while doing 100% of the plan",
                             "pain_worsening": "Worst daily pain up from 2.0 to 5.0 over the last 7 days"}
    assert found[gus.id] == {"silent": "No check-in for 10 days"}
    assert [found[patient.id] for patient in seeded.patients.values()] == [{}] * len(seeded.patients)
    api = {p["id"]: p for p in client.get("/api/patients").json()["patients"]}
    assert {alert["rule"]: alert["reason"] for alert in api[fay.id]["alerts"]} == found[fay.id]
    this_month = sum((TODAY - timedelta(days=n)).month == TODAY.month for n in range(6))
    assert api[fay.id]["monitoring_days"] == this_month
    assert api[gus.id]["alerts"] == [{"rule": "silent", "reason": "No check-in for 10 days"}]
