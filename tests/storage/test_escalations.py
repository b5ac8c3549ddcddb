"""Escalations: kept for clinicians with the message that raised them; acknowledged once, by whom, when."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest

from rehab_coach.adapters.storage import PatientRecord, Store, UnknownRecord
from rehab_coach.core.model import Escalation

AT = datetime(2025, 3, 14, 9, 30, tzinfo=timezone.utc)
NUMB_FOOT = Escalation("emergency", ("Numbness with a cold foot needs same-day care.",), ("numb_cold_foot",))
NOT_SETTLING = Escalation("routine", ("The flare has not settled in 7 days.",), ("flare_not_settling",))


def test_escalation_is_kept_with_its_reasons_triggers_message_and_time(
    store: Store, patient: PatientRecord
) -> None:
    escalation_id = store.save_escalation(patient.id, NUMB_FOOT, "my foot is numb and cold", AT)
    [record] = store.escalations(patient.id)
    assert record.id == escalation_id and record.patient_id == patient.id
    assert record.escalation == NUMB_FOOT
    assert record.message == "my foot is numb and cold"
    assert record.created_at == AT
    assert not record.acknowledged and record.acknowledged_by is None


def test_escalation_without_a_message_is_kept(store: Store, patient: PatientRecord) -> None:
    store.save_escalation(patient.id, NOT_SETTLING, None, AT)
    assert [r.message for r in store.escalations(patient.id)] == [None]


def test_escalations_come_oldest_first_and_belong_to_their_patient(
    store: Store, patient: PatientRecord, today: date
) -> None:
    later = store.save_escalation(patient.id, NOT_SETTLING, None, AT + timedelta(hours=1))
    earlier = store.save_escalation(patient.id, NUMB_FOOT, "numb", AT)
    other = store.patient("telegram", "someone-else", today)
    store.save_escalation(other.id, NUMB_FOOT, "numb", AT)
    assert [r.id for r in store.escalations(patient.id)] == [earlier, later]


def test_acknowledging_records_who_and_when(store: Store, patient: PatientRecord) -> None:
    escalation_id = store.save_escalation(patient.id, NUMB_FOOT, "numb", AT)
    seen_at = AT + timedelta(minutes=12)
    assert store.acknowledge(escalation_id, "dr.jones", seen_at) is True
    [record] = store.escalations(patient.id)
    assert (record.acknowledged_by, record.acknowledged_at, record.acknowledged) == (
        "dr.jones",
        seen_at,
        True,
    )


def test_a_second_acknowledgement_keeps_the_first_clinician_and_time(
    store: Store, patient: PatientRecord
) -> None:
    escalation_id = store.save_escalation(patient.id, NUMB_FOOT, "numb", AT)
    store.acknowledge(escalation_id, "dr.jones", AT + timedelta(minutes=5))
    assert store.acknowledge(escalation_id, "nurse.kim", AT + timedelta(minutes=9)) is False
    [record] = store.escalations(patient.id)
    assert (record.acknowledged_by, record.acknowledged_at) == ("dr.jones", AT + timedelta(minutes=5))


def test_acknowledging_an_unknown_escalation_is_refused(store: Store) -> None:
    with pytest.raises(UnknownRecord, match="no escalation with id 999"):
        store.acknowledge(999, "dr.jones", AT)


def test_times_come_back_as_the_same_instant_in_utc(store: Store, patient: PatientRecord) -> None:
    local = datetime(2025, 3, 14, 11, 30, tzinfo=timezone(timedelta(hours=2)))
    store.save_escalation(patient.id, NUMB_FOOT, None, local)
    [record] = store.escalations(patient.id)
    assert record.created_at == local and record.created_at.tzinfo == timezone.utc


def test_naive_times_are_refused_before_writing(store: Store, patient: PatientRecord) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        store.save_escalation(patient.id, NUMB_FOOT, None, datetime(2025, 3, 14, 9, 30))
    assert store.escalations(patient.id) == []
    escalation_id = store.save_escalation(patient.id, NUMB_FOOT, None, AT)
    with pytest.raises(ValueError, match="timezone-aware"):
        store.acknowledge(escalation_id, "dr.jones", datetime(2025, 3, 14, 10, 0))


def test_unknown_urgency_or_blank_clinician_is_refused(store: Store, patient: PatientRecord) -> None:
    made_up: Any = "whenever"
    with pytest.raises(ValueError, match="urgency: 'whenever'"):
        store.save_escalation(patient.id, Escalation(made_up, ("?",)), None, AT)
    escalation_id = store.save_escalation(patient.id, NUMB_FOOT, None, AT)
    with pytest.raises(ValueError, match="clinician"):
        store.acknowledge(escalation_id, " ", AT)
    assert [r.acknowledged for r in store.escalations(patient.id)] == [False]


def test_escalation_for_an_unknown_patient_is_refused(store: Store) -> None:
    with pytest.raises(UnknownRecord):
        store.save_escalation(999, NUMB_FOOT, None, AT)


def test_one_escalation_is_read_by_its_id(store: Store, patient: PatientRecord) -> None:
    at = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
    escalation_id = store.save_escalation(patient.id, Escalation("urgent", ("clot?",)), "hot calf", at)
    found = store.escalation(escalation_id)
    assert (found.patient_id, found.escalation.urgency, found.message) == (patient.id, "urgent", "hot calf")
    with pytest.raises(UnknownRecord):
        store.escalation(escalation_id + 1)
