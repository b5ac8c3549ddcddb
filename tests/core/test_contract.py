"""Every payload the core builds validates against the reply contract's JSON Schema."""

from datetime import timedelta

import pytest
from hypothesis import given, settings
from jsonschema import Draft202012Validator

from rehab_coach.core import contract
from rehab_coach.core.engine import advise_activity, plan_for_today
from rehab_coach.core.knowledge import default_knowledge
from rehab_coach.core.model import Escalation, Patient
from tests.builders import START, day, days, on
from tests.core.test_properties import histories

KNOWLEDGE = default_knowledge()
VALIDATOR = Draft202012Validator(contract.schema())
PATIENT = Patient(enrolled=START)


def valid(payload: dict) -> dict:
    errors = [error.message for error in VALIDATOR.iter_errors(payload)]
    assert not errors, errors
    return payload


def test_schema_is_valid_json_schema():
    Draft202012Validator.check_schema(contract.schema())


def test_the_contract_documents_examples_validate():
    valid({"kind": "question", "field": "pain_rest", "type": "scale", "min": 0, "max": 10})
    valid({"kind": "question", "field": "swelling", "type": "choice", "choices": ["none", "mild", "marked"]})
    valid({"kind": "plan", "date": "2026-03-02", "phase": "settle", "phase_number": 1, "status": "hold",
           "exercises": [{"id": "calf_stretch_step", "name": "Calf stretch on a step", "sets": 3, "reps": None,
                          "hold_seconds": 30, "per_day": 2}],
           "avoid": ["running", "jumping", "pointe"], "reasons": ["3 green days in a row: moving on to ..."]})
    valid({"kind": "progress", "days": 14, "checkins": 12, "phase_number": 2,
           "pain_trend": [["2026-03-01", 4], ["2026-03-02", 3]]})


@pytest.mark.parametrize("field", sorted(contract.QUESTIONS))
def test_every_question_validates(field):
    valid(contract.question(field))
    assert valid(contract.question(field, problem="15 is not on the 0-10 scale"))["problem"]


def test_a_which_one_question_names_its_choices():
    towel, band = KNOWLEDGE.exercises["towel_curls"], KNOWLEDGE.exercises["band_dorsiflexion"]
    question = valid(contract.choice("exercise", [(towel.id, towel.name), (band.id, band.name)]))
    assert (question["choices"], question["labels"]) == ([towel.id, band.id], [towel.name, band.name])
    assert list(VALIDATOR.iter_errors({**question, "labels": [""]}))


def test_wrong_kind_or_missing_field_is_rejected():
    assert list(VALIDATOR.iter_errors({"kind": "plan", "date": "2026-03-02"}))
    assert list(VALIDATOR.iter_errors({"kind": "escalation", "urgency": "soon", "reasons": ["x"]}))


@settings(max_examples=60)
@given(histories(max_days=40))
def test_every_plan_payload_validates(history):
    valid(contract.plan(plan_for_today(PATIENT, history, on(40), KNOWLEDGE)))


def test_checkin_advice_escalation_exercise_and_progress_payloads_validate():
    valid(contract.checkin_recorded(day(0, exercise=4), "amber", ("pain during exercise 4/10",)))
    for activity in KNOWLEDGE.activities:
        valid(contract.activity_advice(advise_activity(activity, PATIENT, [], START, KNOWLEDGE)))
    valid(contract.escalation(Escalation("urgent", ("possible blood clot",), ("possible_dvt",))))
    for exercise in KNOWLEDGE.exercises.values():
        for levels in exercise.dosage.values():
            valid(contract.exercise_info(exercise, levels[0]))
    history = days(0, 10)
    valid(contract.progress(START, START + timedelta(days=12), history, 2))


def test_a_notice_validates_and_names_a_known_reason():
    valid(contract.notice("planner_unreachable", 60))
    assert list(VALIDATOR.iter_errors(contract.notice("tea_break", 60)))
    assert list(VALIDATOR.iter_errors(contract.notice("planner_unreachable", -1)))


def test_a_clinicians_message_validates_and_needs_its_text_and_sender():
    assert valid(contract.clinician_message("Rest it today.", "your clinic")) == {
        "kind": "clinician_message", "text": "Rest it today.", "from": "your clinic"}
    assert list(VALIDATOR.iter_errors(contract.clinician_message("", "your clinic")))
    assert list(VALIDATOR.iter_errors(contract.clinician_message("Rest it today.", "")))
    assert list(VALIDATOR.iter_errors({"kind": "clinician_message", "text": "Rest it today."}))


def test_a_plan_payload_carries_todays_session_the_rest_of_the_phase_and_how_many_to_avoid_to_show():
    dancer = Patient(enrolled=START, sport="dance")
    result = plan_for_today(dancer, [], START, KNOWLEDGE)
    payload = valid(contract.plan(result))
    assert [e["id"] for e in payload["exercises"]] == [p.exercise.id for p in result.exercises]
    assert [e["id"] for e in payload["more_exercises"]] == [p.exercise.id for p in result.more_exercises]
    assert len(payload["exercises"]) <= KNOWLEDGE.rules.session.max_exercises
    assert payload["avoid"] == list(result.avoid) and payload["avoid"][0] == "pointe"
    assert payload["avoid_names"] == [KNOWLEDGE.activities[a].name for a in payload["avoid"]]
    assert payload["avoid_shown"] == KNOWLEDGE.rules.avoid_today.shown < len(payload["avoid"])
    assert "show_all" not in payload
    assert valid(contract.plan(result, show_all=True)) == {**payload, "show_all": True}


def test_an_exercise_whose_turn_is_another_day_has_its_dose_but_is_not_in_todays_plan():
    other = plan_for_today(PATIENT, [], START, KNOWLEDGE).more_exercises[0]
    info = valid(contract.exercise_info(other.exercise, other.dose, in_session=False))
    assert (info["in_plan"], info["in_phase"]) == (False, True)
    assert info["dosage"]["sets"] == other.dose.sets
    outside = valid(contract.exercise_info(other.exercise, None))
    assert (outside["in_plan"], outside["in_phase"]) == (False, False)
