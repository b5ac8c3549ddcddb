"""The FHIR R4 export: every resource validates with fhir.resources, and a round trip (export, parse, read back)
gives the stored records: check-ins, escalations and their acknowledgement, plans."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timezone

from fastapi.testclient import TestClient
from fhir.resources.bundle import Bundle
from fhir.resources.patient import Patient

from rehab_coach.adapters import fhir
from rehab_coach.core.model import PAIN_FIELDS, Escalation
from rehab_coach.core.outcomes import NOT_APPLICABLE, Response
from rehab_coach.services.reminders import SILENCE
from tests.portal.conftest import Seeded


def resources(bundle: Bundle, kind: str) -> list:
    return [entry.resource for entry in bundle.entry if entry.resource.resource_type == kind]


def read_back(bundle: Bundle) -> dict:
    """What a receiving system reads from the Bundle, in the seeded records' terms."""
    responses = [r for r in resources(bundle, "QuestionnaireResponse") if r.questionnaire == fhir.CHECK_IN]
    checkins = [{"day": str(r.authored), **{item.linkId: (item.answer[0].valueInteger if item.linkId in PAIN_FIELDS
                                                          else item.answer[0].valueCoding.code) for item in r.item}}
                for r in responses]
    flags = {f"urn:uuid:{flag.id}": flag for flag in resources(bundle, "Flag")}
    told = [flags[communication.about[0].reference] for communication in resources(bundle, "Communication")]
    escalations = [{"created_at": flag.period.start.isoformat(), "urgency": flag.code.coding[0].code,
                    "reasons": flag.code.text.split("; "), "active": flag.status == "active"} for flag in told]
    plans = [{"day": str(plan.period.start), "status": plan.status,
              "exercises": [activity.detail.code.coding[0].code for activity in plan.activity or []]}
             for plan in resources(bundle, "CarePlan")]
    return {"checkins": checkins, "escalations": escalations, "plans": plans}


def expected(seeded: Seeded, patient_id: int) -> dict:
    plans = seeded.plans[patient_id]
    return {
        "checkins": [{"day": value.day.isoformat(), **value.values()}
                     for value, _ in sorted(seeded.checkins[patient_id], key=lambda pair: pair[0].day)],
        "escalations": [{"created_at": e["created_at"], "urgency": e["urgency"], "reasons": e["reasons"],
                         "active": e["urgency"] != "emergency"}  # the fixture acknowledged Eve's emergency
                        for e in seeded.escalations[patient_id]],
        "plans": [{"day": p["day"], "status": "active" if p is plans[-1] else "completed",
                   "exercises": [x["id"] for x in p["payload"]["exercises"]]} for p in plans],
    }


def test_a_patients_bundle_validates_and_reads_back_as_stored(clinician_client: tuple[TestClient, str],
                                                              seeded: Seeded):
    client, _ = clinician_client
    for name, patient in seeded.patients.items():
        response = client.get(f"/api/patients/{patient.id}/fhir")
        assert response.status_code == 200 and response.headers["content-type"] == "application/fhir+json"
        bundle = Bundle.parse_raw(response.text)  # validates every resource in it
        assert bundle.type == "collection"
        assert read_back(bundle) == expected(seeded, patient.id), name


def test_the_bundle_has_the_resources_the_clinic_needs_and_no_name(clinician_client: tuple[TestClient, str],
                                                                   seeded: Seeded):
    client, _ = clinician_client
    ann = seeded.patients["ann"]
    bundle = Bundle.parse_raw(client.get(f"/api/patients/{ann.id}/fhir").text)
    counts = Counter(entry.resource.resource_type for entry in bundle.entry)
    assert counts == {"Patient": 1, "Questionnaire": 1, "QuestionnaireResponse": 7, "Observation": 7 * 6,
                      "Flag": 2, "Communication": 2, "CarePlan": 7}
    (patient,) = resources(bundle, "Patient")
    assert patient.name is None and [i.value for i in patient.identifier] == [str(ann.id)]
    pain = [o for o in resources(bundle, "Observation") if o.code.coding[0].code == "72514-3"]
    assert len(pain) == 7 * 3 and {o.code.coding[0].system for o in pain} == {"http://loinc.org"}
    assert Counter(o.code.coding[1].code for o in pain) == {"pain_rest": 7, "pain_exercise": 7, "pain_morning": 7}
    ids = {entry.fullUrl for entry in bundle.entry}
    references = [o.derivedFrom[0].reference for o in resources(bundle, "Observation")]
    references += [r.subject.reference for r in resources(bundle, "QuestionnaireResponse")]
    assert set(references) <= ids  # every reference resolves inside the Bundle
    (questionnaire,) = resources(bundle, "Questionnaire")
    assert [item.linkId for item in questionnaire.item] == list(fhir.FIELD_NAMES)


def test_the_same_records_give_the_same_resource_ids_in_every_export(clinician_client: tuple[TestClient, str],
                                                                     seeded: Seeded):
    client, _ = clinician_client
    url = f"/api/patients/{seeded.patients['ann'].id}/fhir"
    first, second = (Bundle.parse_raw(client.get(url).text) for _ in range(2))
    assert [e.fullUrl for e in first.entry] == [e.fullUrl for e in second.entry]


def test_every_patient_streams_as_a_bundle_a_line(clinician_client: tuple[TestClient, str], seeded: Seeded):
    client, _ = clinician_client
    response = client.get("/api/exports/fhir")
    assert response.status_code == 200 and response.headers["content-type"] == "application/fhir+ndjson"
    bundles = [Bundle.parse_raw(line) for line in response.text.splitlines()]
    assert len(bundles) == len(seeded.patients)
    by_patient = {int(resources(b, "Patient")[0].identifier[-1].value): b for b in bundles}
    for patient in seeded.patients.values():
        assert read_back(by_patient[patient.id]) == expected(seeded, patient.id)


def test_fhir_exports_are_audited_and_refused_without_a_session(client: TestClient,
                                                                clinician_client: tuple[TestClient, str],
                                                                seeded: Seeded):
    logged_in, _ = clinician_client
    ann = seeded.patients["ann"].id
    logged_in.get(f"/api/patients/{ann}/fhir")
    logged_in.get("/api/exports/fhir")
    audit = logged_in.get("/api/audit?limit=5").json()
    assert [(a["action"], a["patient_id"], a["detail"]) for a in audit[:2]] == [
        ("export", None, "fhir-all.ndjson"), ("export", ann, "fhir")]
    assert logged_in.get("/api/patients/9999/fhir").status_code == 404
    logged_in.cookies.clear()
    assert logged_in.get(f"/api/patients/{ann}/fhir").status_code == 401
    assert logged_in.get("/api/exports/fhir").status_code == 401


def test_outcome_questionnaires_read_back_with_their_scores_skipped_items_unanswered(
        clinician_client: tuple[TestClient, str], store, seeded: Seeded):
    client, _ = clinician_client
    ben = seeded.patients["ben"]
    psfs = Response("psfs", date(2026, 3, 2), ("relevé", "jumps"), (4, None), 4.0)
    faam = Response("faam_adl", date(2026, 3, 3), tuple(f"item {n}" for n in range(1, 22)),
                    (NOT_APPLICABLE, *[3] * 20), 75.0)
    for response in (psfs, faam):
        store.save_response(ben.id, response)
    bundle = Bundle.parse_raw(client.get(f"/api/patients/{ben.id}/fhir").text)
    outcome = {r.questionnaire: r for r in resources(bundle, "QuestionnaireResponse")
               if r.questionnaire != fhir.CHECK_IN}
    answered = outcome[f"{fhir.BASE}/Questionnaire/psfs"]
    assert [(i.linkId, i.text, [a.valueInteger for a in i.answer or []]) for i in answered.item] == [
        ("psfs_1", "relevé", [4]), ("psfs_2", "jumps", [])]
    licensed = outcome[f"{fhir.BASE}/Questionnaire/faam_adl"]
    assert licensed.item[0].answer[0].valueCoding.code == "not_applicable"
    assert {i.text for i in licensed.item} == {None}  # the licensed text stays the clinic's
    scores = {o.code.coding[0].code: (o.valueQuantity.value, o.valueQuantity.unit, o.derivedFrom[0].reference)
              for o in resources(bundle, "Observation") if o.code.coding[0].system == fhir.MEASURES}
    assert scores == {"psfs": (4.0, None, f"urn:uuid:{answered.id}"),
                      "faam_adl": (75.0, "%", f"urn:uuid:{licensed.id}")}


def test_a_discharged_patient_is_inactive_and_a_label_is_the_usual_identifier(store, clinic, seeded: Seeded):
    ann = seeded.patients["ann"]
    clinic.set_label(ann.id, "A-17")
    store.discharge(ann.id, date(2026, 3, 9))
    patient = Patient.parse_obj(fhir.patient_resource(store.patient_by_id(ann.id)))
    assert patient.active is False
    assert [(i.use, i.system, i.value) for i in patient.identifier] == [
        ("usual", fhir.LABEL, "A-17"), (None, fhir.PATIENT_ID, str(ann.id))]


def test_the_patient_page_and_the_exports_page_link_to_the_fhir_exports(clinician_client: tuple[TestClient, str],
                                                                        seeded: Seeded):
    client, _ = clinician_client
    ann = seeded.patients["ann"].id
    assert f'href="/api/patients/{ann}/fhir"' in client.get(f"/patients/{ann}").text
    assert 'href="/api/exports/fhir"' in client.get("/exports").text


def test_the_clinics_own_alert_is_a_flag_the_patient_was_not_told_of(clinician_client: tuple[TestClient, str],
                                                                      store, seeded: Seeded):
    client, _ = clinician_client
    dee = seeded.patients["dee"]
    silent = Escalation("routine", ("no check-in for 7 days",), (SILENCE,))
    store.save_escalation(dee.id, silent, None, datetime(2026, 3, 9, 9, tzinfo=timezone.utc))
    bundle = Bundle.parse_raw(client.get(f"/api/patients/{dee.id}/fhir").text)
    assert [flag.code.text for flag in resources(bundle, "Flag")] == ["no check-in for 7 days"]
    assert resources(bundle, "Communication") == []
