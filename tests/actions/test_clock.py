"""The simulated clock (message metadata `now`) is honoured only when COACH_SIMULATED_CLOCK=1."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from actions._context import turn
from actions.action_progress import ActionProgress
from rehab_coach.adapters.clock import current_time, local_now
from rehab_coach.settings import SettingError
from tests.actions.conftest import NOW, SENDER, clock, payloads, run, tracker

LATER = "2026-04-01T09:00:00"


@pytest.mark.parametrize(
    ("env", "metadata", "expected"),
    [
        ("1", {"now": LATER}, datetime(2026, 4, 1, 9, 0, tzinfo=timezone.utc)),  # naive is taken as UTC
        ("1", {"now": "2026-04-01T09:00:00+02:00"}, datetime(2026, 4, 1, 9, 0, tzinfo=timezone(timedelta(hours=2)))),
        ("1", {}, NOW),
        ("1", None, NOW),
        ("1", {"now": "next tuesday"}, NOW),
        ("1", {"now": 12}, NOW),
        (None, {"now": LATER}, NOW),
        ("0", {"now": LATER}, NOW),
    ],
)
def test_simulated_clock_only_when_switched_on(monkeypatch, env, metadata, expected):
    if env is None:
        monkeypatch.delenv("COACH_SIMULATED_CLOCK", raising=False)
    else:
        monkeypatch.setenv("COACH_SIMULATED_CLOCK", env)
    now = current_time(metadata, clock)
    assert now == expected
    assert now.utcoffset() is not None


def test_a_switch_value_other_than_0_or_1_is_refused_naming_the_variable(monkeypatch):
    monkeypatch.setenv("COACH_SIMULATED_CLOCK", "true")
    with pytest.raises(SettingError, match="^setting COACH_SIMULATED_CLOCK: "):
        current_time({"now": LATER}, clock)


def test_the_real_clock_tells_the_clinics_time(monkeypatch):
    monkeypatch.setenv("CLINIC_TIMEZONE", "Pacific/Kiritimati")
    assert local_now().utcoffset() == timedelta(hours=14)
    monkeypatch.setenv("CLINIC_TIMEZONE", "UTC")
    assert local_now().utcoffset() == timedelta(0)


def test_real_clock_is_made_timezone_aware(monkeypatch):
    monkeypatch.delenv("COACH_SIMULATED_CLOCK", raising=False)
    assert current_time({}, lambda: datetime(2026, 3, 2, 8, 30)).utcoffset() is not None


@pytest.mark.parametrize(("env", "enrolled"), [("1", date(2026, 4, 1)), (None, NOW.date())])
async def test_actions_take_today_from_the_clock_in_force(monkeypatch, coach, domain, env, enrolled):
    if env is None:
        monkeypatch.delenv("COACH_SIMULATED_CLOCK", raising=False)
    else:
        monkeypatch.setenv("COACH_SIMULATED_CLOCK", env)
    _, dispatcher = await run(ActionProgress(coach, clock), tracker("how am I doing?", "ask_progress",
                                                                    metadata={"now": LATER}), domain)
    assert coach.store.patient("rest", SENDER, NOW.date()).profile.enrolled == enrolled
    assert payloads(dispatcher)[0]["kind"] == "progress"


def test_a_patient_with_a_time_zone_of_their_own_lives_their_own_day(coach):
    """08:30 UTC on 2 March is already 22:30 in Kiritimati (UTC+14): a check-in there counts for the 2nd... and at
    12:00 UTC, for the 3rd, the day the reminder scheduler reckons theirs."""
    patient = coach.store.patient("rest", SENDER, NOW.date())
    coach.store.set_reminder_time(patient.id, None, "Pacific/Kiritimati")
    assert turn(tracker("hi", "greet"), coach, clock).today == date(2026, 3, 2)
    assert turn(tracker("hi", "greet"), coach, lambda: NOW + timedelta(hours=3, minutes=30)).today == date(2026, 3, 3)
    coach.store.set_reminder_time(patient.id, None, None)
    assert turn(tracker("hi", "greet"), coach, lambda: NOW + timedelta(hours=3, minutes=30)).today == date(2026, 3, 2)
