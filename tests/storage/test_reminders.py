"""The reminder scheduler on a real database (SQLite, and PostgreSQL when TEST_DATABASE_URL is set), with an
explicit `now` and a fake Rasa HTTP API: due at the patient's time, one send per patient-day, retries, restarts."""

from __future__ import annotations

import threading
import urllib.error
from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from rehab_coach import cli
from rehab_coach.adapters.rasa_api import RasaApi
from rehab_coach.adapters.storage import PatientRecord, Store, make_engine
from rehab_coach.adapters.storage.reminders import ReminderStore
from rehab_coach.adapters.storage.tables import ReminderSendRow
from rehab_coach.core.knowledge import default_knowledge
from rehab_coach.core.model import CheckIn
from rehab_coach.services import reminders
from rehab_coach.services.reminders import (
    REMINDER_INTENT,
    REMINDER_KIND,
    STOPPED,
    RoundReport,
    Scheduler,
    pause_reminders,
    set_reminder_channel,
    set_reminder_time,
)
from tests.storage.conftest import QUIET_DAY, TODAY, at_once

NINE = datetime(TODAY.year, TODAY.month, TODAY.day, 9, 0, tzinfo=timezone.utc)  # the clinic's default time, UTC
SECOND, MINUTE = timedelta(seconds=1), timedelta(minutes=1)
DAY = timedelta(days=1)


class Crash(BaseException):
    """The process dies in the middle of a send (not an error a round catches)."""


class FakeRasa(RasaApi):
    """The Rasa HTTP API with its HTTP call replaced: records each reminder as (conversation, kind); fails for the
    conversations in `failing`; sets `stop` after `stop_after` reminders; dies at call number `crash_at`."""

    def __init__(self, failing: tuple[str, ...] = (), stop: threading.Event | None = None, stop_after: int = 0,
                 crash_at: int = 0) -> None:
        super().__init__("http://127.0.0.1:9", "token")
        self.sent: list[tuple[str, str]] = []
        self.channels: dict[str, str] = {}  # conversation -> the output channel its reminder was sent to
        self.calls = 0
        self.failing, self.stop, self.stop_after, self.crash_at = set(failing), stop, stop_after, crash_at
        self.lock = threading.Lock()

    def _call(self, method: str, sender_id: str, path: str, body: Any, **params: str) -> None:
        assert (method, path, body["name"], list(params)) == ("POST", "trigger_intent", REMINDER_INTENT,
                                                              ["output_channel"])
        with self.lock:
            self.calls += 1
            if self.calls == self.crash_at:
                raise Crash
            if sender_id in self.failing:
                raise urllib.error.HTTPError(self.url, 502, "Bad Gateway", {}, None)  # type: ignore[arg-type]
            self.sent.append((sender_id, body["entities"][REMINDER_KIND]))
            self.channels[sender_id] = params["output_channel"]
            if self.stop is not None and len(self.sent) == self.stop_after:
                self.stop.set()


def scheduler(engine: Engine, rasa: RasaApi, default_time: str = "09:00", zone: str = "UTC") -> Scheduler:
    return Scheduler(ReminderStore(engine), rasa, default_knowledge().rules.reminders, default_time, zone,
                     ["socketio", "whatsapp"])


def onboarded(store: Store, name: str, enrolled: date = TODAY - DAY) -> PatientRecord:
    patient = store.patient("rest", name, enrolled)
    return store.update_profile(patient.id, side="left", sport="dance", diagnosed=True)


def sends(engine: Engine) -> dict[int, ReminderSendRow]:
    with engine.connect() as connection:
        return {row.patient_id: row for row in connection.execute(select(ReminderSendRow.__table__))}


def test_a_reminder_is_due_at_the_patients_time_in_their_zone_and_not_before(engine, store):
    for name in ("clinic", "new-york", "tokyo"):
        onboarded(store, name)
    set_reminder_time(store, store.find_patient("rest", "new-york").id, "07:30", "America/New_York")  # 11:30 UTC
    set_reminder_time(store, store.find_patient("rest", "tokyo").id, None, "Asia/Tokyo")  # 09:00 there: 00:00 UTC
    rasa = FakeRasa()
    coach = scheduler(engine, rasa)
    for now, expected in [(NINE - MINUTE, ["tokyo"]), (NINE, ["clinic"]), (NINE + timedelta(minutes=149), []),
                          (NINE + timedelta(minutes=150), ["new-york"]), (NINE + timedelta(hours=12), [])]:
        rasa.sent.clear()
        coach.run_round(now)
        assert [sender for sender, _ in rasa.sent] == expected, now
    assert coach.run_round(NINE + DAY - timedelta(hours=9)).sent == 1  # tokyo's next day, 09:00 there


def test_a_reminder_missed_while_the_service_was_down_goes_out_when_it_is_back_the_same_day(engine, store):
    onboarded(store, "anna")
    coach = scheduler(engine, FakeRasa())
    # Down all of yesterday: nothing is sent for it today, before today's time.
    assert coach.run_round(NINE + DAY - MINUTE).sent == 0
    assert coach.run_round(NINE + DAY + timedelta(hours=14)).sent == 1


def test_two_schedulers_at_once_send_each_patient_day_once_first_tries_and_retries(engine, store, database_url):
    names = [f"p{n}" for n in range(40)]
    for name in names:
        onboarded(store, name)

    def concurrently(rasa: FakeRasa, now: datetime) -> list[RoundReport]:
        return at_once(database_url, lambda engine_: scheduler(engine_, rasa).run_round(now))

    failing = FakeRasa(failing=tuple(names))
    assert sum(report.failed for report in concurrently(failing, NINE)) == 40 and failing.calls == 40
    working = FakeRasa()
    assert sum(report.sent for report in concurrently(working, NINE + MINUTE)) == 40
    assert sorted(sender for sender, _ in working.sent) == sorted(names)
    assert {row.attempts for row in sends(engine).values()} == {2}


def test_a_failing_send_stops_no_other_and_is_retried_with_the_rules_backoff(engine, store):
    for name in ("a", "flaky", "down", "b"):
        onboarded(store, name)
    rasa = FakeRasa(failing=("flaky", "down"))
    coach = scheduler(engine, rasa)
    assert coach.run_round(NINE) == RoundReport(sent=2, failed=2)
    assert {sends(engine)[store.find_patient("rest", "down").id].error} == {"HTTPError 502"}
    tries = {}
    for minutes in (0.5, 1, 5, 6, 20, 21, 60, 14 * 60):  # retries 1, 5 and 15 minutes after the attempt before
        if minutes == 6:
            rasa.failing.discard("flaky")
        tries[minutes] = coach.run_round(NINE + minutes * MINUTE)
    assert [m for m, report in tries.items() if report.sent or report.failed] == [1, 6, 21]
    assert tries[6] == RoundReport(sent=1, failed=1)
    assert sorted(rasa.sent) == [("a", "daily"), ("b", "daily"), ("flaky", "daily")]
    rows = sends(engine)
    assert rows[store.find_patient("rest", "flaky").id].attempts == 3
    down = rows[store.find_patient("rest", "down").id]
    assert (down.attempts, down.next_attempt_at, down.sent_at) == (4, None, None)  # given up until tomorrow


def test_a_restart_in_the_middle_of_a_round_loses_and_doubles_nothing(engine, store, database_url, monkeypatch):
    monkeypatch.setattr(reminders, "BATCH", 2)
    names = [f"p{n}" for n in range(10)]
    for name in names:
        onboarded(store, name)
    stop = threading.Event()
    first = FakeRasa(stop=stop, stop_after=3)  # asked to stop (SIGTERM) at its 3rd send: it ends after that batch
    assert scheduler(engine, first).run_round(NINE, stop).sent == 4
    crashing = FakeRasa(crash_at=4)  # restarted, then killed in the middle of its 4th send
    with pytest.raises(Crash):
        scheduler(make_engine(database_url), crashing).run_round(NINE + MINUTE / 2)
    last = FakeRasa()  # started again: the rest now, the one it was sending when killed once its claim lapses
    again = scheduler(make_engine(database_url), last)
    assert again.run_round(NINE + MINUTE).sent == 2
    assert again.run_round(NINE + 3 * MINUTE / 2).sent == 1 and again.run_round(NINE + 2 * MINUTE).sent == 0
    assert sorted(sender for sender, _ in first.sent + crashing.sent + last.sent) == sorted(names)


def test_a_slow_provider_never_lets_a_claim_lapse_before_its_send(engine, store, database_url, monkeypatch):
    names = [f"p{n}" for n in range(5)]
    for name in names:
        onboarded(store, name)
    clock = iter(range(0, 1000, 10))  # each look at the clock 10 s after the one before: slow sends
    monkeypatch.setattr(reminders, "time", SimpleNamespace(monotonic=lambda: next(clock)))
    slow = FakeRasa()
    # Claimed at 10 s for a minute; a send may take 30 s: the 4th, which would start at 50 s, is left to the retry.
    assert scheduler(engine, slow).run_round(NINE).sent == 3
    other = FakeRasa()
    monkeypatch.setattr(reminders, "time", SimpleNamespace(monotonic=lambda: 0))
    assert scheduler(make_engine(database_url), other).run_round(NINE + MINUTE).sent == 0  # the claims hold
    assert scheduler(make_engine(database_url), other).run_round(NINE + MINUTE + 10 * SECOND).sent == 2
    assert sorted(sender for sender, _ in slow.sent + other.sent) == sorted(names)


def test_no_reminder_after_the_days_checkin_nor_for_a_retry_after_it(engine, store, make_checkin):
    done, yesterday, later = (onboarded(store, name) for name in ("done", "yesterday", "later"))
    store.save_checkin(done.id, make_checkin(TODAY), "green")
    store.save_checkin(yesterday.id, make_checkin(TODAY - DAY), "green")
    rasa = FakeRasa(failing=("later",))
    coach = scheduler(engine, rasa)
    assert coach.run_round(NINE) == RoundReport(sent=1, failed=1)
    store.save_checkin(later.id, make_checkin(TODAY), "green")
    assert coach.run_round(NINE + 30 * MINUTE) == RoundReport()
    assert rasa.sent == [("yesterday", "daily")]


def test_none_while_discharged_paused_or_stopped_nor_before_onboarding(engine, store):
    for name in ("plain", "discharged", "paused", "pause-over", "stopped"):
        onboarded(store, name)
    store.patient("rest", "not-onboarded", TODAY - DAY)
    store.discharge(store.find_patient("rest", "discharged").id, TODAY - DAY)
    pause_reminders(store, store.find_patient("rest", "paused").id, TODAY)
    pause_reminders(store, store.find_patient("rest", "pause-over").id, TODAY - DAY)
    pause_reminders(store, store.find_patient("rest", "stopped").id, STOPPED)
    rasa = FakeRasa()
    scheduler(engine, rasa).run_round(NINE)
    assert sorted(sender for sender, _ in rasa.sent) == ["pause-over", "plain"]
    pause_reminders(store, store.find_patient("rest", "stopped").id, None)
    assert scheduler(engine, rasa).run_round(NINE).sent == 1


def test_after_three_silent_days_the_reminder_is_the_gentle_one(engine, store, make_checkin):
    for name, last_checkin in (("two-silent", TODAY - 3 * DAY), ("three-silent", TODAY - 4 * DAY)):
        store.save_checkin(onboarded(store, name, TODAY - 9 * DAY).id, make_checkin(last_checkin), "green")
    onboarded(store, "never-since-enrolment", TODAY - 3 * DAY)
    rasa = FakeRasa()
    scheduler(engine, rasa).run_round(NINE)
    assert sorted(rasa.sent) == [("never-since-enrolment", "gentle"), ("three-silent", "gentle"),
                                 ("two-silent", "daily")]


def test_the_clinic_is_alerted_once_per_silent_stretch_and_the_patient_is_not_told(engine, store, make_checkin):
    six, seven = (onboarded(store, name, TODAY - 20 * DAY) for name in ("six-silent", "seven-silent"))
    store.save_checkin(six.id, make_checkin(TODAY - 7 * DAY), "green")
    store.save_checkin(seven.id, make_checkin(TODAY - 8 * DAY), "green")
    rasa = FakeRasa()
    coach = scheduler(engine, rasa)
    assert coach.run_round(NINE).alerts == 1
    assert store.escalations(six.id) == []
    [alert] = store.escalations(seven.id)
    assert (alert.escalation.urgency, alert.escalation.reasons, alert.message) == (
        "routine", ("no check-in for 7 days",), None)
    assert coach.run_round(NINE + DAY).alerts == 1  # six-silent's turn; seven-silent's stretch is alerted already
    assert len(store.escalations(seven.id)) == 1
    back = TODAY + 2 * DAY  # a check-in; then silent again
    store.save_checkin(seven.id, CheckIn.validated(back, back, **QUIET_DAY), "green")
    for day in range(2, 11):
        coach.run_round(NINE + day * DAY)
    assert [e.escalation.reasons for e in store.escalations(seven.id)] == [("no check-in for 7 days",)] * 2
    assert {kind for _, kind in rasa.sent} == {"gentle", "daily"} and len(store.escalations(six.id)) == 1


def test_a_reminder_goes_by_the_patients_chosen_channel_when_the_server_has_it_else_where_they_last_wrote(
        engine, store):
    for name in ("latest", "whatsapp", "telegram"):
        onboarded(store, name)
    set_reminder_channel(store, store.find_patient("rest", "whatsapp").id, "whatsapp", ["socketio", "whatsapp"])
    store.set_reminder_channel(store.find_patient("rest", "telegram").id, "telegram")  # chosen, then switched off
    with pytest.raises(ValueError, match="cannot go by sms"):
        set_reminder_channel(store, store.find_patient("rest", "latest").id, "sms", ["socketio", "whatsapp"])
    rasa = FakeRasa()
    scheduler(engine, rasa).run_round(NINE)
    assert rasa.channels == {"latest": "latest", "whatsapp": "whatsapp", "telegram": "latest"}


def test_the_patients_time_and_zone_are_checked_and_kept(store):
    patient = onboarded(store, "anna")
    for at, zone in (("7pm", None), ("19:00", "Europe/Londn"), ("24:00", "UTC")):
        with pytest.raises(ValueError, match="is not"):
            set_reminder_time(store, patient.id, at, zone)
    set_reminder_time(store, patient.id, "19:00", "Europe/London")
    pause_reminders(store, patient.id, TODAY + 6 * DAY)
    kept = store.patient_by_id(patient.id)
    assert (kept.reminder_time, kept.timezone, kept.reminders_paused_until) == ("19:00", "Europe/London",
                                                                                 TODAY + 6 * DAY)


def test_coach_remind_runs_one_round_by_hand(database_url, store, monkeypatch, capsys):
    onboarded(store, "anna", datetime.now(timezone.utc).date())
    for name, value in (("DATABASE_URL", database_url), ("REMINDER_DEFAULT_TIME", "00:00"),
                        ("RASA_AUTH_TOKEN", "token")):
        monkeypatch.setenv(name, value)
    assert cli.main(["remind", "--url", "http://127.0.0.1:9"]) == 0  # no Rasa server there: the send fails
    assert capsys.readouterr().out == "reminders sent: 0, failed (retried later): 1, clinic alerts: 0\n"
    assert cli.main(["remind", "--url", "http://127.0.0.1:9"]) == 0  # its retry is not due for a minute
    assert capsys.readouterr().out == "reminders sent: 0, failed (retried later): 0, clinic alerts: 0\n"
