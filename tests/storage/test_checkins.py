"""Check-ins: validated by the core before anything is written, one row per patient per day."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rehab_coach.adapters.storage import PatientRecord, Store, UnknownRecord
from rehab_coach.core.model import ADHERENCE, MECHANICAL, SWELLING, CheckIn, InvalidCheckIn

MakeCheckin = Callable[..., CheckIn]


def test_first_checkin_of_the_day_is_created(
    store: Store, patient: PatientRecord, make_checkin: MakeCheckin, count_rows: Callable
) -> None:
    assert store.save_checkin(patient.id, make_checkin(), "green") is True
    assert store.checkins(patient.id) == [make_checkin()]
    assert count_rows("checkins") == 1


def test_second_checkin_same_day_updates_not_duplicates(
    store: Store, patient: PatientRecord, make_checkin: MakeCheckin, count_rows: Callable
) -> None:
    store.save_checkin(patient.id, make_checkin(), "green")
    corrected = make_checkin(pain_exercise=6, swelling="mild")
    assert store.save_checkin(patient.id, corrected, "red") is False
    assert store.checkins(patient.id) == [corrected]
    assert count_rows("checkins") == 1


def test_rejected_checkin_writes_nothing_and_a_later_one_the_same_day_updates(
    store: Store, patient: PatientRecord, make_checkin: MakeCheckin, count_rows: Callable, today: date
) -> None:
    with pytest.raises(InvalidCheckIn) as rejected:
        store.save_checkin(
            patient.id, make_checkin(today + timedelta(days=1), pain_rest=11, swelling="huge"), None
        )
    assert rejected.value.problems == (
        f"date {(today + timedelta(days=1)).isoformat()} is in the future",
        "pain_rest: 11 is not a whole number from 0 to 10",
        "swelling: 'huge' is not one of none, mild, marked",
    )
    assert count_rows("checkins") == 0

    assert store.save_checkin(patient.id, make_checkin(pain_rest=3), "amber") is True
    assert store.save_checkin(patient.id, make_checkin(pain_rest=2), "green") is False
    assert [c.pain_rest for c in store.checkins(patient.id)] == [2]
    assert count_rows("checkins") == 1


def test_checkin_built_without_validation_is_refused_before_writing(
    store: Store, patient: PatientRecord, count_rows: Callable, today: date
) -> None:
    unchecked = CheckIn(today, pain_rest=11, pain_exercise=0, pain_morning=0, swelling="huge",
                        mechanical="none", adherence="all")  # fmt: skip
    with pytest.raises(InvalidCheckIn, match="pain_rest: 11"):
        store.save_checkin(patient.id, unchecked, None)
    assert count_rows("checkins") == 0


def test_only_a_core_checkin_is_accepted(store: Store, patient: PatientRecord, today: date) -> None:
    raw: Any = {"day": today, "pain_rest": 1}
    with pytest.raises(TypeError, match="expected a CheckIn"):
        store.save_checkin(patient.id, raw, None)


def test_unknown_day_class_is_refused_before_writing(
    store: Store, patient: PatientRecord, make_checkin: MakeCheckin, count_rows: Callable
) -> None:
    with pytest.raises(ValueError, match="day_class: 'purple' is not one of green, amber, red"):
        store.save_checkin(patient.id, make_checkin(), "purple")
    assert count_rows("checkins") == 0


def test_checkin_for_an_unknown_patient_is_refused(store: Store, make_checkin: MakeCheckin) -> None:
    with pytest.raises(UnknownRecord, match="no patient with id 999"):
        store.save_checkin(999, make_checkin(), None)


def test_checkins_come_oldest_first_and_until_includes_that_day(
    store: Store, patient: PatientRecord, make_checkin: MakeCheckin, today: date
) -> None:
    days = [today - timedelta(days=n) for n in (0, 3, 1, 2)]
    for day in days:
        store.save_checkin(patient.id, make_checkin(day), "green")
    assert [c.day for c in store.checkins(patient.id)] == sorted(days)
    until = today - timedelta(days=2)
    assert [c.day for c in store.checkins(patient.id, until=until)] == [today - timedelta(days=3), until]


def test_checkins_belong_to_their_patient(
    store: Store, patient: PatientRecord, make_checkin: MakeCheckin, today: date
) -> None:
    other = store.patient("telegram", "someone-else", today)
    store.save_checkin(other.id, make_checkin(pain_rest=7), "red")
    assert store.checkins(patient.id) == []
    assert [c.pain_rest for c in store.checkins(other.id)] == [7]


def test_checkin_racing_a_concurrent_insert_becomes_an_update(
    store: Store, patient: PatientRecord, make_checkin: MakeCheckin, count_rows: Callable,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    store.save_checkin(patient.id, make_checkin(), "green")
    existing = store._existing_checkin
    looks: list[int] = []

    def missed_on_first_look(*args: Any) -> Any:
        looks.append(1)
        return None if len(looks) == 1 else existing(*args)

    monkeypatch.setattr(store, "_existing_checkin", missed_on_first_look)
    assert store.save_checkin(patient.id, make_checkin(pain_rest=4), "amber") is False
    assert [c.pain_rest for c in store.checkins(patient.id)] == [4]
    assert count_rows("checkins") == 1


def test_simultaneous_checkins_for_the_same_day_leave_one_row(
    store: Store, patient: PatientRecord, make_checkin: MakeCheckin, count_rows: Callable
) -> None:
    created: list[bool] = []
    errors: list[BaseException] = []
    start = threading.Barrier(6)

    def save(pain: int) -> None:
        start.wait()
        try:
            created.append(store.save_checkin(patient.id, make_checkin(pain_rest=pain), None))
        except BaseException as error:  # reported below, a thread cannot fail the test itself
            errors.append(error)

    threads = [threading.Thread(target=save, args=(pain,)) for pain in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(created) == [False] * 5 + [True]
    assert count_rows("checkins") == 1


_fresh = itertools.count()
answers = st.fixed_dictionaries(
    {
        "pain_rest": st.integers(0, 10),
        "pain_exercise": st.integers(0, 10),
        "pain_morning": st.integers(0, 10),
        "swelling": st.sampled_from(SWELLING),
        "mechanical": st.sampled_from(MECHANICAL),
        "adherence": st.sampled_from(ADHERENCE),
    }
)


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(saves=st.lists(st.tuples(st.integers(0, 6), answers), max_size=12))
def test_stored_history_is_the_last_answer_of_each_day_in_day_order(
    store: Store, today: date, saves: list[Any]
) -> None:
    # A new patient per example: the store (and database) is shared across hypothesis examples.
    patient = store.patient("rest", f"property-{next(_fresh)}", today)
    latest = {}
    for days_ago, values in saves:
        checkin = CheckIn.validated(today - timedelta(days=days_ago), today, **values)
        store.save_checkin(patient.id, checkin, None)
        latest[checkin.day] = checkin
    assert store.checkins(patient.id) == [latest[day] for day in sorted(latest)]
