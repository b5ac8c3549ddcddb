"""The service layer on a real database: validate, classify, store, plan, triage."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from jsonschema import Draft202012Validator

from rehab_coach.adapters.nlp import read
from rehab_coach.bootstrap import reminder_defaults
from rehab_coach.core import contract, engine
from rehab_coach.core.knowledge import default_knowledge
from rehab_coach.core.model import InvalidCheckIn
from rehab_coach.services.coach import Coach
from tests.storage.conftest import QUIET_DAY, TODAY

NOW = datetime(TODAY.year, TODAY.month, TODAY.day, 9, 30, tzinfo=timezone.utc)


@pytest.fixture
def coach(store):
    return Coach(store, default_knowledge(), read, reminder_defaults())


def test_invalid_checkin_is_refused_with_every_problem_and_nothing_is_written(coach, patient, count_rows):
    with pytest.raises(InvalidCheckIn) as caught:
        coach.record_checkin(patient, {**QUIET_DAY, "pain_rest": 11, "swelling": "purple"}, TODAY)
    assert len(caught.value.problems) == 2
    assert count_rows("checkins") == 0


def test_second_checkin_the_same_day_replaces_the_first(coach, patient, count_rows, store):
    first = coach.record_checkin(patient, QUIET_DAY, TODAY)
    second = coach.record_checkin(patient, {**QUIET_DAY, "pain_exercise": 7}, TODAY)
    assert (first.created, second.created) == (True, False)
    assert second.classification.day_class == "red"
    assert count_rows("checkins") == 1
    assert store.checkins(patient.id)[0].pain_exercise == 7


def test_day_class_is_judged_against_the_stored_history(coach, patient):
    for offset in range(3, 0, -1):
        coach.record_checkin(patient, {**QUIET_DAY, "pain_morning": 1}, TODAY - timedelta(days=offset))
    result = coach.record_checkin(patient, {**QUIET_DAY, "pain_morning": 4}, TODAY)
    assert result.classification.day_class == "red"


def test_plan_is_stored_as_a_contract_payload_and_updates_the_patients_phase(coach, patient, store):
    for offset in range(2, -1, -1):
        coach.record_checkin(patient, QUIET_DAY, TODAY - timedelta(days=offset))
    plan = coach.plan_for_today(patient, TODAY)
    assert plan.status == "progress"
    stored = store.latest_plan(patient.id)
    assert stored == contract.plan(plan)
    Draft202012Validator(contract.schema()).validate(stored)
    assert store.patient_by_id(patient.id).phase_number == 2


def test_a_failure_after_saving_never_loses_the_checkin(coach, patient, store, monkeypatch):
    coach.record_checkin(patient, QUIET_DAY, TODAY)

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(store, "save_plan", broken)
    with pytest.raises(RuntimeError):
        coach.plan_for_today(patient, TODAY)
    assert [c.day for c in store.checkins(patient.id)] == [TODAY]


def test_red_flag_is_stored_once_a_day_with_the_message(coach, patient, store):
    text = "my calf is swollen and warm"
    first = coach.triage(patient, NOW, text)
    again = coach.triage(patient, NOW, text)
    assert first == again and first is not None and first.urgency == "urgent"
    records = store.escalations(patient.id)
    assert len(records) == 1 and records[0].message == text
    coach.triage(patient, NOW + timedelta(days=1), text)
    assert len(store.escalations(patient.id)) == 2


def test_course_referral_is_found_when_asked(coach, patient):
    recorded = coach.record_checkin(patient, {**QUIET_DAY, "mechanical": "locking"}, TODAY)
    assert coach.triage(patient, NOW, "hello") is None
    escalation = coach.triage(patient, NOW, "hello", course=recorded.course)
    assert escalation is not None and escalation.triggers == ("mechanical_immediate",)


def test_activity_advice_follows_the_stored_course(coach, patient):
    (advice,) = coach.advise_on(patient, "can I go for a run?", TODAY).advice
    assert (advice.activity.id, advice.verdict) == ("running", "avoid")


def test_a_question_about_several_activities_replays_the_course_once(coach, patient, monkeypatch):
    coach.record_checkin(patient, QUIET_DAY, TODAY)
    replays = []
    follow = engine.follow_course
    monkeypatch.setattr(engine, "follow_course", lambda *args: replays.append(args) or follow(*args))
    advice = coach.advise_on(patient, "can I go for a run or a swim?", TODAY).advice
    assert [a.activity.id for a in advice] == ["running", "swimming"] and len(replays) == 1


def test_asking_about_an_exercise_stores_no_plan(coach, patient):
    answer = coach.explain_exercise(patient, "how do I do the towel scrunches?", TODAY)
    assert answer.resolution.winner is not None and answer.resolution.winner.id == "towel_curls"
    assert coach.store.latest_plan(patient.id) is None
