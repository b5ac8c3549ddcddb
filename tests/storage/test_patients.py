"""Patients: one record per (channel, sender), onboarding answers validated before they are written."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from urllib.parse import urlsplit

import pytest

from rehab_coach.adapters.storage import PatientRecord, Store, UnknownRecord
from rehab_coach.core.model import CheckIn, Escalation, Patient
from rehab_coach.services.chat_links import chat_link, enrol, verify


def test_new_patient_is_enrolled_today_in_phase_one_with_no_answers_yet(store: Store, today: date) -> None:
    record = store.patient("telegram", "12345", today)
    assert (record.channel, record.sender_id, record.phase_number) == ("telegram", "12345", 1)
    assert record.profile == Patient(enrolled=today)


def test_same_identity_twice_is_the_same_patient_and_keeps_its_enrolment_date(
    store: Store, today: date
) -> None:
    first = store.patient("rest", "anna", today)
    again = store.patient("rest", "anna", today + timedelta(days=3))
    assert again == first


def test_a_conversation_is_one_patient_whichever_channel_carries_it(
    store: Store, count_rows: Callable, today: date
) -> None:
    # A messaging channel hands Rasa the conversation id of the patient its address is bound to.
    assert store.patient("socketio", "web-anna", today).id == store.patient("telegram", "web-anna", today).id
    assert count_rows("patients") == 1


def test_an_address_is_bound_to_one_patient_and_moves_with_the_clinics_code(store: Store, today: date) -> None:
    anna, ben = store.patient("socketio", "web-anna", today), store.patient("socketio", "web-ben", today)
    assert store.patient_at("telegram", "777") is None
    store.bind_address(anna.id, "telegram", "777")
    assert store.patient_at("telegram", "777") == anna and store.address_of("web-anna", "telegram") == "777"
    assert store.patient_at("whatsapp", "777") is None and store.address_of("web-anna", "whatsapp") is None
    store.bind_address(ben.id, "telegram", "777")
    assert store.patient_at("telegram", "777") == ben and store.address_of("web-anna", "telegram") is None
    store.erase(ben.id)
    assert store.patient_at("telegram", "777") is None


def test_enrolment_racing_another_process_returns_the_patient_it_created(
    store: Store, count_rows: Callable, monkeypatch: pytest.MonkeyPatch, today: date
) -> None:
    theirs = store.patient("rest", "anna", today)
    find = store.find_patient
    calls: list[str] = []

    def not_yet_on_first_look(channel: str, sender_id: str) -> object:
        calls.append(sender_id)
        return None if len(calls) == 1 else find(channel, sender_id)

    monkeypatch.setattr(store, "find_patient", not_yet_on_first_look)
    assert store.patient("rest", "anna", today) == theirs
    assert count_rows("patients") == 1


def test_simultaneous_first_messages_enrol_one_patient(
    store: Store, count_rows: Callable, today: date
) -> None:
    ids: list[int] = []
    start = threading.Barrier(6)

    def enrol() -> None:
        start.wait()
        ids.append(store.patient("socketio", "new-visitor", today).id)

    threads = [threading.Thread(target=enrol) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(ids) == 6 and len(set(ids)) == 1
    assert count_rows("patients") == 1


@pytest.mark.parametrize("channel, sender_id", [("", "anna"), ("rest", ""), ("rest", "   ")])
def test_blank_identity_is_refused(
    store: Store, count_rows: Callable, channel: str, sender_id: str, today: date
) -> None:
    with pytest.raises(ValueError, match="must be a non-empty string"):
        store.patient(channel, sender_id, today)
    assert count_rows("patients") == 0


def test_profile_answers_are_saved_and_a_missing_answer_leaves_the_old_one(
    store: Store, patient: PatientRecord, today: date
) -> None:
    store.update_profile(patient.id, side="left", sport="dance")
    updated = store.update_profile(patient.id, diagnosed=True)
    expected = Patient(enrolled=today, side="left", sport="dance", diagnosed=True)
    assert updated.profile == expected
    assert store.patient("rest", "patient-1", today).profile == expected
    assert store.patient_by_id(patient.id).profile == expected


def test_profile_with_unknown_values_is_refused_naming_each_problem_and_writes_nothing(
    store: Store, patient: PatientRecord, today: date
) -> None:
    with pytest.raises(ValueError) as error:
        store.update_profile(patient.id, side="middle", sport="chess", diagnosed="yes")  # type: ignore[arg-type]
    message = str(error.value)
    assert "side: 'middle' is not one of left, right, both" in message
    assert "sport: 'chess' is not one of dance, running, football, other" in message
    assert "diagnosed: 'yes' is not true or false" in message
    assert store.patient_by_id(patient.id).profile == Patient(enrolled=today)


def test_profile_of_an_unknown_patient_is_refused(store: Store) -> None:
    with pytest.raises(UnknownRecord, match="no patient with id 999"):
        store.update_profile(999, side="left")


def test_enrolment_gives_a_web_chat_patient_a_personal_link_to_their_own_conversation(store, today):
    first, second = enrol(store, today), enrol(store, today)
    assert first.id != second.id and first.sender_id != second.sender_id
    assert first.channel == "socketio" and first.sender_id.startswith("web-")
    link = urlsplit(chat_link(first, "http://clinic.example:5005/", datetime.now(timezone.utc), timedelta(days=7),
                              key="secret-key-of-at-least-32-bytes!"))
    assert (link.netloc, link.path) == ("clinic.example:5005", "/chat/")
    assert not link.query  # the token rides in the fragment, which browsers never send to a server
    subject, _ = verify(link.fragment.removeprefix("token="), "secret-key-of-at-least-32-bytes!")
    assert subject == first.sender_id


def test_only_a_web_chat_patient_gets_a_chat_link(store, patient):
    with pytest.raises(ValueError, match="not the web chat"):
        chat_link(patient, "http://127.0.0.1:5005", datetime.now(timezone.utc), key="k" * 32)


def test_erasing_a_patient_erases_their_checkins_plans_and_escalations_and_no_one_elses(store: Store) -> None:
    day = date(2026, 3, 2)
    erased, kept = (store.patient("rest", sender, day) for sender in ("erased", "kept"))
    for patient in (erased, kept):
        store.save_checkin(patient.id, CheckIn.validated(day, day, pain_rest=1, pain_exercise=2, pain_morning=1,
                                                         swelling="none", mechanical="none", adherence="all"), "green")
        store.save_plan(patient.id, day, 1, "start", {"kind": "plan"})
        store.save_escalation(patient.id, Escalation("routine", ("r",), ("t",)), "text",
                              datetime(2026, 3, 2, 9, tzinfo=timezone.utc))
    store.erase(erased.id)
    with pytest.raises(UnknownRecord):
        store.patient_by_id(erased.id)
    assert store.checkins(erased.id) == [] and store.escalations(erased.id) == []
    assert store.latest_plan(erased.id) is None
    assert len(store.checkins(kept.id)) == 1 and len(store.escalations(kept.id)) == 1 and store.latest_plan(kept.id)
    with pytest.raises(UnknownRecord):
        store.erase(erased.id)
