"""The clinic's records: clinicians and sessions, the audit log, the patient list's order and figures, exports."""

from __future__ import annotations

import types
from datetime import datetime, timedelta, timezone

import pytest

from rehab_coach.adapters.storage.clinic import EXPORT_FIELDS, Clinic, LoginRecord
from rehab_coach.core.model import Escalation
from tests.storage.conftest import TODAY

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def clinic(engine) -> Clinic:
    return Clinic(engine)


def test_a_clinician_name_is_taken_once_and_logs_in_with_its_hash(clinic):
    alice = clinic.add_clinician("alice", "hash-1")
    with pytest.raises(ValueError, match="already"):
        clinic.add_clinician("alice", "hash-2")
    assert clinic.login_record("alice") == LoginRecord(alice, "hash-1", None)
    assert clinic.login_record("bob") is None
    clinic.set_password_hash(alice.id, "hash-3")
    assert clinic.login_record("alice") == LoginRecord(alice, "hash-3", None)


def test_failed_logins_in_a_row_lock_the_name_and_a_success_resets_the_count(clinic):
    alice = clinic.add_clinician("alice", "hash")
    for _ in range(2):
        clinic.login_failed(alice.id, NOW, limit=3, lock_for=timedelta(minutes=15))
    clinic.login_succeeded(alice.id)
    for _ in range(2):
        clinic.login_failed(alice.id, NOW, limit=3, lock_for=timedelta(minutes=15))
    assert clinic.login_record("alice").locked_until is None
    clinic.login_failed(alice.id, NOW, limit=3, lock_for=timedelta(minutes=15))
    assert clinic.login_record("alice").locked_until == NOW + timedelta(minutes=15)
    clinic.login_succeeded(alice.id)
    assert clinic.login_record("alice").locked_until is None


def test_no_clinician_exists_until_one_is_created(clinic, count_rows):
    assert count_rows("clinicians") == 0


def test_a_session_lives_until_it_expires_or_is_closed(clinic):
    alice = clinic.add_clinician("alice", "hash")
    clinic.open_session(alice.id, "a" * 64, "csrf-1", NOW + timedelta(hours=8))
    live = clinic.session("a" * 64, NOW)
    assert live is not None and live.clinician == alice and live.csrf_token == "csrf-1"
    assert clinic.session("a" * 64, NOW + timedelta(hours=8)) is None
    assert clinic.session("b" * 64, NOW) is None
    clinic.close_session("a" * 64)
    assert clinic.session("a" * 64, NOW) is None


def test_the_audit_log_names_who_did_what_newest_first(clinic):
    alice = clinic.add_clinician("alice", "hash")
    clinic.record(alice.id, "view_patient", 7)
    clinic.record(alice.id, "export", None, "checkins.csv")
    newest, oldest = clinic.audit_events()
    assert (newest.clinician, newest.action, newest.patient_id, newest.detail) == ("alice", "export", None,
                                                                                  "checkins.csv")
    assert (oldest.action, oldest.patient_id) == ("view_patient", 7)


def test_patients_who_need_attention_come_first(store, clinic, make_checkin):
    quiet, never, stale, routine, urgent, settled = (store.patient("rest", name, TODAY) for name in
                                                     ("quiet", "never", "stale", "routine", "urgent", "settled"))
    store.save_checkin(quiet.id, make_checkin(TODAY), "green")
    store.save_checkin(stale.id, make_checkin(TODAY - timedelta(days=5)), "green")
    store.save_escalation(routine.id, Escalation("routine", ("stalled",)), None, NOW)
    store.save_escalation(urgent.id, Escalation("routine", ("stalled",)), None, NOW)
    store.save_escalation(urgent.id, Escalation("urgent", ("clot?",)), "my calf is hot", NOW)
    acknowledged = store.save_escalation(settled.id, Escalation("emergency", ("fracture?",)), "crack", NOW)
    store.acknowledge(acknowledged, "alice", NOW)

    page, total = clinic.patients(TODAY)
    assert total == 6
    assert [p.id for p in page] == [urgent.id, routine.id, never.id, settled.id, stale.id, quiet.id]
    first = page[0]
    assert first.top_urgency == "urgent" and first.open_escalations == {"urgent": 1, "routine": 1}
    by_id = {p.id: p for p in page}
    assert by_id[settled.id].top_urgency is None and by_id[settled.id].open_escalations == {}
    assert (by_id[stale.id].last_checkin, by_id[stale.id].days_since) == (TODAY - timedelta(days=5), 5)
    assert by_id[never.id].last_checkin is None and by_id[never.id].adherence is None

    second_page, _ = clinic.patients(TODAY, offset=4, limit=4)
    assert [p.id for p in second_page] == [stale.id, quiet.id]


def test_adherence_is_the_share_of_the_plan_done_over_the_latest_seven_check_ins(store, clinic, make_checkin):
    patient = store.patient("rest", "p", TODAY)
    done = ["none"] * 3 + ["all"] * 4 + ["some"] * 3  # oldest first: the three "none" fall outside the window
    for offset, adherence in enumerate(reversed(done)):
        store.save_checkin(patient.id, make_checkin(TODAY - timedelta(days=offset), adherence=adherence), "green")
    (summary,), _ = clinic.patients(TODAY)
    assert summary.adherence == pytest.approx((4 * 1 + 3 * 0.5) / 7)


def test_a_label_is_set_trimmed_limited_and_cleared(store, clinic):
    patient = store.patient("rest", "p", TODAY)
    clinic.set_label(patient.id, "  J.S. 1234 ")
    assert clinic.patients(TODAY)[0][0].label == "J.S. 1234"
    with pytest.raises(ValueError):
        clinic.set_label(patient.id, "x" * 65)
    clinic.set_label(patient.id, " ")
    assert clinic.patients(TODAY)[0][0].label is None
    with pytest.raises(LookupError):
        clinic.set_label(patient.id + 100, "x")


def test_exports_stream_exactly_what_is_stored(store, clinic, make_checkin):
    first, second = store.patient("rest", "a", TODAY), store.patient("rest", "b", TODAY)
    store.save_checkin(second.id, make_checkin(TODAY, pain_rest=3, adherence="some"), "amber")
    store.save_checkin(first.id, make_checkin(TODAY - timedelta(days=1)), "green")
    store.save_checkin(first.id, make_checkin(TODAY), "green")
    store.save_plan(first.id, TODAY, 1, "start", {"kind": "plan", "avoid": ["running"]})
    escalation = store.save_escalation(second.id, Escalation("urgent", ("clot?",), ("dvt",)), "hot calf", NOW)
    store.acknowledge(escalation, "alice", NOW + timedelta(hours=1))

    rows = clinic.export_rows("checkins")
    assert isinstance(rows, types.GeneratorType)  # streamed, not a list built in memory
    checkins = list(rows)
    assert [(r["patient_id"], r["day"]) for r in checkins] == [
        (first.id, (TODAY - timedelta(days=1)).isoformat()), (first.id, TODAY.isoformat()),
        (second.id, TODAY.isoformat())]
    assert checkins[2] == {"patient_id": second.id, "day": TODAY.isoformat(), "pain_rest": 3, "pain_exercise": 2,
                           "pain_morning": 1, "swelling": "none", "mechanical": "none", "adherence": "some",
                           "day_class": "amber"}
    assert all(tuple(r) == EXPORT_FIELDS["checkins"] for r in checkins)
    assert list(clinic.export_rows("plans", first.id)) == [
        {"patient_id": first.id, "day": TODAY.isoformat(), "phase_number": 1, "status": "start",
         "payload": {"kind": "plan", "avoid": ["running"]}}]
    assert list(clinic.export_rows("escalations", second.id)) == [
        {"patient_id": second.id, "id": escalation, "created_at": NOW.isoformat(), "urgency": "urgent",
         "reasons": ["clot?"], "triggers": ["dvt"], "message": "hot calf", "acknowledged_by": "alice",
         "acknowledged_at": (NOW + timedelta(hours=1)).isoformat()}]
    assert list(clinic.export_rows("plans", second.id)) == []
    with pytest.raises(ValueError):
        list(clinic.export_rows("passwords"))


def test_a_patients_record_carries_its_label(store, clinic):
    patient = store.patient("rest", "p", TODAY)
    assert patient.label is None
    clinic.set_label(patient.id, "J.S.")
    assert store.patient_by_id(patient.id).label == "J.S."
