"""Clinicians see the session the patient was given: the patient page, the summary, transcripts and exports all
read the stored plan payload, so they show today's few exercises, not the whole phase."""

from __future__ import annotations

import csv
import io
import json

from fastapi.testclient import TestClient
from markupsafe import escape

from rehab_coach.adapters.nlp import read
from rehab_coach.adapters.storage import PatientRecord, Store
from rehab_coach.bootstrap import reminder_defaults
from rehab_coach.core import contract
from rehab_coach.core.engine import Plan, PlannedExercise, plan_for_today
from rehab_coach.core.model import Knowledge, Patient
from rehab_coach.portal.present import describe
from rehab_coach.services.coach import Coach
from tests.builders import START
from tests.portal.conftest import TODAY


def given_a_plan(store: Store, knowledge: Knowledge) -> tuple[PatientRecord, Plan]:
    patient = store.patient("socketio", "web-fay", TODAY)
    patient = store.update_profile(patient.id, side="left", sport="dance", diagnosed=True)
    return patient, Coach(store, knowledge, read, reminder_defaults()).plan_for_today(patient, TODAY)


def line(planned: PlannedExercise) -> str:
    return str(escape(f"{planned.exercise.name}: {planned.dose.in_words()}"))


def section(html: str, heading: str) -> str:
    return html.split(f"<h2>{heading}</h2>")[1].split("<h2>")[0]


def test_the_patient_page_and_summary_list_todays_session_and_count_the_rest(
        clinician_client: tuple[TestClient, str], store: Store, knowledge: Knowledge):
    client, _ = clinician_client
    patient, plan = given_a_plan(store, knowledge)
    assert plan.more_exercises  # phase 1 has more exercises than one session holds
    more = f"and {len(plan.more_exercises)} more exercises of the phase on other days"
    pages = ((f"/patients/{patient.id}", "Plans given"), (f"/patients/{patient.id}/summary", "Latest plan"))
    for page, heading in pages:
        shown = section(client.get(page).text, heading)
        assert all(line(p) in shown for p in plan.exercises), page
        assert not any(str(escape(p.exercise.name)) in shown for p in plan.more_exercises), page
        assert more in shown
        assert str(escape(", ".join(a.name for a in plan.avoided))) in shown  # every activity, most relevant first


def test_exports_hold_the_payload_the_patient_was_given(clinician_client: tuple[TestClient, str], store: Store,
                                                        knowledge: Knowledge):
    client, _ = clinician_client
    patient, plan = given_a_plan(store, knowledge)
    given = contract.plan(plan)
    (row,) = client.get(f"/api/exports/plans?format=json&patient_id={patient.id}").json()
    assert row["payload"] == given
    (csv_row,) = csv.DictReader(io.StringIO(client.get(f"/api/exports/plans?format=csv&patient_id={patient.id}").text))
    assert json.loads(csv_row["payload"]) == given
    assert [e["id"] for e in given["exercises"]] == [p.exercise.id for p in plan.exercises]


def test_a_plan_in_a_transcript_reads_as_todays_session_then_how_many_wait_for_other_days(knowledge: Knowledge):

    plan = plan_for_today(Patient(enrolled=START, sport="running"), [], START, knowledge)
    items = describe(contract.plan(plan)).items
    count = len(plan.exercises)
    assert items[:count] == [f"{p.exercise.name}: {p.dose.in_words()}" for p in plan.exercises]
    assert items[count] == f"and {len(plan.more_exercises)} more exercises of the phase on other days"
    assert items[count + 1] == "avoid: " + ", ".join(a.name for a in plan.avoided)
