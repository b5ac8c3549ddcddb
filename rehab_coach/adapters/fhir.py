"""A patient's record as a FHIR R4 `Bundle` (type collection), as JSON:

- `Patient`: the clinic's label and the coach's id as identifiers, no name;
- the daily check-in as a `Questionnaire`, and one `QuestionnaireResponse` a day;
- each day's pain scores as `Observation`s coded LOINC 72514-3 plus a local code (rest, exercise, morning), and
  swelling, catching or locking, and adherence as `Observation`s with local codes, each derived from the day's
  response;
- each escalation as a `Flag` (active until a clinician acknowledges it), with the `Communication` that told the
  patient (none for the clinic's own alerts, which the patient is not told of);
- each day's plan as a `CarePlan` with its exercises as activities (the latest active, the others completed);
- each outcome questionnaire (PSFS, a licensed one) as a `QuestionnaireResponse` (a skipped item has no answer; a
  licensed item goes by number, without its text), and its score as an `Observation` with the measure's local code.

Resources are identified by name-based UUIDs (the same record, the same id in every export) and refer to each
other by `urn:uuid:`. `rehab_coach.core.contract` has the check-in's questions; this module only maps them.

The JSON is written directly: fhir.resources 6.4.0 (FHIR R4 on pydantic 1.10) validates every export the tests
make, round trip included, but building each resource through it costs about 2.7 s for a patient with a year
of check-ins (2,922 resources), 7.5 hours for 10,000 such patients."""

from __future__ import annotations

import uuid
from collections.abc import Container, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from rehab_coach.adapters.storage.clinic import PlanRecord
from rehab_coach.adapters.storage.repository import EscalationRecord, PatientRecord
from rehab_coach.core.contract import QUESTIONS
from rehab_coach.core.model import PAIN_FIELDS, CheckIn, Dose, OutcomeMeasure, UrgencyWording
from rehab_coach.core.outcomes import NOT_APPLICABLE, Response

BASE = "https://rehab-coach.example/fhir"  # the coach's own code systems and canonical URLs
CHECK_IN = f"{BASE}/Questionnaire/daily-check-in"
CODES = f"{BASE}/CodeSystem/check-in"  # a question's field: pain_rest, swelling, ...
ANSWERS = f"{BASE}/CodeSystem/check-in-answer"  # a choice's value: none, mild, catching, all, ...
URGENCY = f"{BASE}/CodeSystem/escalation-urgency"
EXERCISES = f"{BASE}/CodeSystem/exercise"  # knowledge/exercises.yml ids
MEASURES = f"{BASE}/CodeSystem/outcome-measure"  # knowledge/outcome_measures.yml ids: the score's code
LABEL, PATIENT_ID = f"{BASE}/NamingSystem/clinic-label", f"{BASE}/NamingSystem/patient-id"
LOINC_PAIN = {"system": "http://loinc.org", "code": "72514-3",
              "display": "Pain severity - 0-10 verbal numeric rating [Score] - Reported"}
SURVEY = [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "survey"}]}]
CLINICAL = [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/flag-category", "code": "clinical"}]}]
FIELD_NAMES = {"pain_rest": "Pain at rest (0-10)", "pain_exercise": "Pain during exercise (0-10)",
               "pain_morning": "Pain the next morning (0-10)", "swelling": "Swelling",
               "mechanical": "Catching, locking or giving way", "adherence": "Exercises done yesterday"}
Resource = dict[str, Any]  # a FHIR resource as JSON
_NAMESPACE = uuid.UUID("3f1f5b7e-2c1a-4f49-9a0e-6f0c1d7e5a21")


def _id(*key: object) -> str:
    return str(uuid.uuid5(_NAMESPACE, "/".join(map(str, key))))


def _ref(resource_id: str) -> dict[str, str]:
    return {"reference": f"urn:uuid:{resource_id}"}


def _answer(field: str, value: int | str) -> dict[str, Any]:
    return {"valueInteger": value} if field in PAIN_FIELDS else {"valueCoding": {"system": ANSWERS, "code": value}}


def questionnaire() -> Resource:
    """The daily check-in's questions (the contract's), as a Questionnaire."""
    items = []
    for field, name in FIELD_NAMES.items():
        item: dict[str, Any] = {"linkId": field, "text": name, "required": True,
                                "type": "integer" if field in PAIN_FIELDS else "choice"}
        if field not in PAIN_FIELDS:
            item["answerOption"] = [{"valueCoding": {"system": ANSWERS, "code": choice}}
                                    for choice in QUESTIONS[field]["choices"]]
        items.append(item)
    return {"resourceType": "Questionnaire", "id": _id("Questionnaire", CHECK_IN), "url": CHECK_IN,
            "name": "DailyCheckIn", "title": "Daily check-in", "status": "active", "subjectType": ["Patient"],
            "item": items}


def patient_resource(patient: PatientRecord) -> Resource:
    identifiers = [{"system": PATIENT_ID, "value": str(patient.id)}]
    if patient.label:
        identifiers.insert(0, {"use": "usual", "system": LABEL, "value": patient.label})
    return {"resourceType": "Patient", "id": _id("Patient", patient.id), "identifier": identifiers,
            "active": patient.discharged_on is None}


def check_in_resources(patient: PatientRecord, checkin: CheckIn) -> Iterator[Resource]:
    """The day's response, then an Observation for each of its answers."""
    day, subject = checkin.day.isoformat(), _ref(_id("Patient", patient.id))
    response_id = _id("QuestionnaireResponse", patient.id, day)
    answers = {field: _answer(field, value) for field, value in checkin.values().items()}
    yield {"resourceType": "QuestionnaireResponse", "id": response_id, "questionnaire": CHECK_IN,
           "status": "completed", "subject": subject, "authored": day,
           "item": [{"linkId": field, "text": FIELD_NAMES[field], "answer": [answers[field]]}
                    for field in FIELD_NAMES]}
    for field in FIELD_NAMES:
        local = {"system": CODES, "code": field, "display": FIELD_NAMES[field]}
        value = answers[field]
        yield {"resourceType": "Observation", "id": _id("Observation", patient.id, day, field), "status": "final",
               "category": SURVEY, "code": {"coding": [LOINC_PAIN, local] if field in PAIN_FIELDS else [local]},
               "subject": subject, "effectiveDateTime": day, "derivedFrom": [_ref(response_id)],
               **(value if field in PAIN_FIELDS else {"valueCodeableConcept": {"coding": [value["valueCoding"]]}})}


def escalation_resources(patient: PatientRecord, escalation: EscalationRecord, wording: UrgencyWording,
                         told: bool) -> Iterator[Resource]:
    """The Flag, and (`told`) the Communication that told the patient: the urgency's heading and the reasons."""
    subject, found = _ref(_id("Patient", patient.id)), escalation.escalation
    flag_id = _id("Flag", escalation.id)
    period = {"start": escalation.created_at.isoformat()}
    if escalation.acknowledged_at is not None:
        period["end"] = escalation.acknowledged_at.isoformat()
    yield {"resourceType": "Flag", "id": flag_id, "status": "inactive" if escalation.acknowledged else "active",
           "category": CLINICAL, "subject": subject, "period": period,
           "code": {"coding": [{"system": URGENCY, "code": found.urgency}], "text": "; ".join(found.reasons)}}
    if not told:
        return
    yield {"resourceType": "Communication", "id": _id("Communication", escalation.id), "status": "completed",
           "subject": subject, "recipient": [subject], "sent": escalation.created_at.isoformat(),
           "about": [_ref(flag_id)], "payload": [{"contentString": "\n".join([wording.heading, *found.reasons])}]}


def measure_resources(patient: PatientRecord, response: Response, measure: OutcomeMeasure) -> Iterator[Resource]:
    """A completed outcome questionnaire (a skipped item has no answer), then its score as an Observation. PSFS's
    items are the patient's own activities; a licensed questionnaire's items go by number, without its text."""
    day, subject = response.day.isoformat(), _ref(_id("Patient", patient.id))
    response_id = _id("QuestionnaireResponse", patient.id, measure.id, day)
    items = []
    for number, answer in enumerate(response.answers, start=1):
        item: dict[str, Any] = {"linkId": f"{measure.id}_{number}"}
        if measure.items_from == "patient":
            item["text"] = response.items[number - 1]
        if answer == NOT_APPLICABLE:
            item["answer"] = [{"valueCoding": {"system": ANSWERS, "code": "not_applicable"}}]
        elif answer is not None:
            item["answer"] = [{"valueInteger": answer}]
        items.append(item)
    yield {"resourceType": "QuestionnaireResponse", "id": response_id,
           "questionnaire": f"{BASE}/Questionnaire/{measure.id}", "status": "completed", "subject": subject,
           "authored": day, **({"item": items} if items else {})}
    if response.score is None:
        return
    unit = {"unit": "%", "system": "http://unitsofmeasure.org", "code": "%"} if measure.score == "percent" else {}
    yield {"resourceType": "Observation", "id": _id("Observation", patient.id, measure.id, day), "status": "final",
           "category": SURVEY, "code": {"coding": [{"system": MEASURES, "code": measure.id, "display": measure.name}]},
           "subject": subject, "effectiveDateTime": day, "derivedFrom": [_ref(response_id)],
           "valueQuantity": {"value": response.score, **unit}}


def _activity(exercise: dict[str, Any]) -> dict[str, Any]:
    detail = {"status": "scheduled",
              "code": {"coding": [{"system": EXERCISES, "code": exercise["id"]}], "text": exercise["name"]}}
    dose = Dose.from_payload(exercise).in_words()
    return {"detail": {**detail, "description": dose} if dose else detail}


def care_plan(patient: PatientRecord, plan: PlanRecord, latest: bool) -> Resource:
    day = plan.day.isoformat()
    found: Resource = {"resourceType": "CarePlan", "id": _id("CarePlan", patient.id, day),
                       "status": "active" if latest else "completed", "intent": "plan",
                       "subject": _ref(_id("Patient", patient.id)), "period": {"start": day, "end": day},
                       "title": f"Day plan, phase {plan.phase_number} ({plan.status})"}
    if plan.payload.get("exercises"):
        found["activity"] = [_activity(exercise) for exercise in plan.payload["exercises"]]
    if plan.payload.get("avoid_names"):
        found["note"] = [{"text": "Avoid today: " + ", ".join(plan.payload["avoid_names"])}]
    return found


def bundle(patient: PatientRecord, checkins: list[CheckIn], plans: list[PlanRecord],
           escalations: list[EscalationRecord], urgencies: Mapping[str, UrgencyWording], at: datetime,
           untold: Container[str], responses: Sequence[Response], measures: Mapping[str, OutcomeMeasure]) -> Resource:
    """The patient's whole record as one Bundle; an escalation with a trigger in `untold` was the clinic's alone."""
    resources = [patient_resource(patient), questionnaire()]
    for checkin in checkins:
        resources += check_in_resources(patient, checkin)
    for escalation in escalations:
        resources += escalation_resources(patient, escalation, urgencies[escalation.escalation.urgency],
                                          told=not any(trigger in untold for trigger in escalation.escalation.triggers))
    resources += [care_plan(patient, plan, plan is plans[-1]) for plan in plans]
    for response in responses:
        resources += measure_resources(patient, response, measures[response.measure])
    return {"resourceType": "Bundle", "id": _id("Bundle", patient.id, at.isoformat()), "type": "collection",
            "timestamp": at.isoformat(),
            "entry": [{"fullUrl": f"urn:uuid:{resource['id']}", "resource": resource} for resource in resources]}
