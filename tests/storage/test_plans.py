"""Plans: one per patient per day (a later one that day replaces it); the phase follows the latest plan."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest

from rehab_coach.adapters.storage import PatientRecord, Store, UnknownRecord


def _plan(phase: int, note: str = "") -> dict:
    return {"phase": phase, "exercises": [{"id": "calf_raise", "sets": 3, "reps": 10}], "note": note}


def test_first_plan_of_the_day_is_created_and_is_the_latest(
    store: Store, patient: PatientRecord, today: date
) -> None:
    assert store.latest_plan(patient.id) is None
    assert store.save_plan(patient.id, today, 1, "start", _plan(1)) is True
    assert store.latest_plan(patient.id) == _plan(1)


def test_second_plan_same_day_replaces_the_first(
    store: Store, patient: PatientRecord, today: date, count_rows: Callable
) -> None:
    store.save_plan(patient.id, today, 1, "start", _plan(1, "first"))
    assert store.save_plan(patient.id, today, 1, "hold", _plan(1, "second")) is False
    assert store.latest_plan(patient.id) == _plan(1, "second")
    assert count_rows("plans") == 1


def test_saving_a_plan_moves_the_patient_to_its_phase(
    store: Store, patient: PatientRecord, today: date
) -> None:
    store.save_plan(patient.id, today - timedelta(days=1), 1, "start", _plan(1))
    store.save_plan(patient.id, today, 2, "progress", _plan(2))
    assert store.patient_by_id(patient.id).phase_number == 2
    store.save_plan(patient.id, today, 1, "regress", _plan(1))
    assert store.patient_by_id(patient.id).phase_number == 1


def test_latest_plan_is_the_one_for_the_latest_day_and_backfilling_leaves_the_phase(
    store: Store, patient: PatientRecord, today: date
) -> None:
    store.save_plan(patient.id, today, 3, "progress", _plan(3))
    store.save_plan(patient.id, today - timedelta(days=5), 2, "hold", _plan(2))
    assert store.latest_plan(patient.id) == _plan(3)
    assert store.patient_by_id(patient.id).phase_number == 3


def test_plans_belong_to_their_patient(store: Store, patient: PatientRecord, today: date) -> None:
    other = store.patient("socketio", "other", today)
    store.save_plan(other.id, today, 2, "progress", _plan(2))
    assert store.latest_plan(patient.id) is None
    assert store.patient_by_id(patient.id).phase_number == 1


@pytest.mark.parametrize(
    "phase, status, payload, problem",
    [
        (0, "start", {}, "phase_number: 0 is not a whole number from 1"),
        (True, "start", {}, "phase_number: True is not a whole number from 1"),
        (1, "leap", {}, "status: 'leap' is not one of start, progress, hold, regress"),
        (1, "start", ["not", "a", "dict"], "payload: expected a dict, got list"),
        (1, "start", {"day": date(2025, 1, 1)}, "payload: not JSON-serialisable"),
    ],
)
def test_invalid_plan_is_refused_before_writing(
    store: Store, patient: PatientRecord, today: date, count_rows: Callable,
    phase: Any, status: str, payload: Any, problem: str,
) -> None:  # fmt: skip
    with pytest.raises(ValueError) as error:
        store.save_plan(patient.id, today, phase, status, payload)
    assert problem in str(error.value)
    assert count_rows("plans") == 0
    assert store.patient_by_id(patient.id).phase_number == 1


def test_plan_for_an_unknown_patient_is_refused(store: Store, today: date) -> None:
    with pytest.raises(UnknownRecord):
        store.save_plan(999, today, 1, "start", _plan(1))


def test_plan_racing_a_concurrent_insert_becomes_an_update(
    store: Store, patient: PatientRecord, today: date, count_rows: Callable, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.save_plan(patient.id, today, 1, "start", _plan(1, "theirs"))
    existing = store._existing_plan
    looks: list[int] = []

    def missed_on_first_look(*args: Any) -> Any:
        looks.append(1)
        return None if len(looks) == 1 else existing(*args)

    monkeypatch.setattr(store, "_existing_plan", missed_on_first_look)
    assert store.save_plan(patient.id, today, 2, "progress", _plan(2, "ours")) is False
    assert store.latest_plan(patient.id) == _plan(2, "ours")
    assert store.patient_by_id(patient.id).phase_number == 2
    assert count_rows("plans") == 1
