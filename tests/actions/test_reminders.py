"""Reminder requests in the chat: applied through the services, confirmed with the result, asked about when
unclear; a look-alike changes nothing; inside the check-in the form asks its question again."""

from __future__ import annotations

from datetime import timedelta

import pytest

from actions.action_change_reminders import ActionChangeReminders
from actions.validate_checkin_form import ValidateCheckinForm
from rehab_coach.services.reminders import STOPPED, pause_reminders
from tests.actions.conftest import TODAY, clock, payloads, run, slot_events, texts, tracker
from tests.conftest import say


def stored(coach, patient) -> tuple:
    record = coach.store.patient_by_id(patient.id)
    return record.reminder_time, record.timezone, record.reminders_paused_until


async def change(coach, domain, text: str, intent: str = "change_reminders"):
    return await run(ActionChangeReminders(coach, clock), tracker(text, intent), domain)


async def test_a_new_time_is_stored_and_confirmed_with_the_clinic_zone(coach, domain, patient):
    _, dispatcher = await change(coach, domain, "remind me at 7pm")
    zone = coach.reminder_defaults.zone
    assert stored(coach, patient) == ("19:00", None, None)
    assert texts(dispatcher) == [say("utter_reminder_set", time="19:00", zone=zone)]
    assert payloads(dispatcher) == [{"kind": "reminders", "time": "19:00", "zone": zone, "stopped": False,
                                     "resumes_on": None}]


async def test_a_time_with_a_zone_stores_both(coach, domain, patient):
    _, dispatcher = await change(coach, domain, "remind me at 8am New York time")
    assert stored(coach, patient) == ("08:00", "America/New_York", None)
    assert texts(dispatcher) == [say("utter_reminder_set", time="08:00", zone="America/New_York")]


async def test_a_zone_alone_keeps_the_patients_time(coach, domain, patient):
    coach.store.set_reminder_time(patient.id, "07:15", None)
    await change(coach, domain, "I moved to Sydney, please change my time zone")
    assert stored(coach, patient) == ("07:15", "Australia/Sydney", None)


async def test_stop_stops_them_and_says_how_to_have_them_back(coach, domain, patient):
    _, dispatcher = await change(coach, domain, "stop reminders")
    assert stored(coach, patient)[2] == STOPPED
    assert texts(dispatcher) == [say("utter_reminder_stopped")]
    assert payloads(dispatcher)[0]["stopped"] is True


async def test_a_pause_for_a_week_ends_seven_days_on(coach, domain, patient):
    _, dispatcher = await change(coach, domain, "pause reminders for a week")
    back = TODAY + timedelta(days=7)
    assert stored(coach, patient)[2] == back - timedelta(days=1)  # the last day without one
    assert texts(dispatcher) == [say("utter_reminder_paused", day=f"{back:%A} {back.day} {back:%B}")]
    assert payloads(dispatcher)[0]["resumes_on"] == back.isoformat()


async def test_start_brings_stopped_reminders_back(coach, domain, patient):
    pause_reminders(coach.store, patient.id, STOPPED)
    await change(coach, domain, "start reminders")
    assert stored(coach, patient)[2] is None


async def test_a_new_time_brings_stopped_reminders_back(coach, domain, patient):
    pause_reminders(coach.store, patient.id, STOPPED)
    await change(coach, domain, "actually, remind me at 6pm")
    assert stored(coach, patient) == ("18:00", None, None)


@pytest.mark.parametrize(("text", "response", "values"), [
    ("remind me at 7", "utter_reminder_which_half", {"clock": "7"}),
    ("remind me at half seven", "utter_reminder_which_half", {"clock": "7:30"}),
    ("can I change my reminder time?", "utter_reminder_what_time", {}),
    ("pause reminders", "utter_reminder_how_long", {}),
])
async def test_an_unclear_request_is_asked_about_and_changes_nothing(coach, domain, patient, text, response, values):
    _, dispatcher = await change(coach, domain, text)
    assert stored(coach, patient) == (None, None, None)
    assert texts(dispatcher) == [say(response, **values)]


async def test_asked_when_it_is_the_reply_says_how_it_stands(coach, domain, patient):
    coach.store.set_reminder_time(patient.id, "09:00", "UTC")
    pause_reminders(coach.store, patient.id, TODAY + timedelta(days=2))
    _, dispatcher = await change(coach, domain, "when is my reminder?")
    back = TODAY + timedelta(days=3)
    assert texts(dispatcher) == [say("utter_reminder_is_paused", day=f"{back:%A} {back.day} {back:%B}", time="09:00",
                                     zone="UTC")]


async def test_a_look_alike_the_classifier_sent_here_changes_nothing(coach, domain, patient):
    _, dispatcher = await change(coach, domain, "remind me how to do the calf raise")
    assert stored(coach, patient) == (None, None, None)
    assert texts(dispatcher)[-1] == say("utter_reminder_how")


async def test_mid_checkin_the_request_is_applied_and_the_question_asked_again(coach, domain, patient):
    turn = tracker("remind me at 7pm", "change_reminders", slots={"requested_slot": "pain_rest"},
                   active_loop="checkin_form", form_turn=True)
    events, dispatcher = await run(ValidateCheckinForm(clock=clock, coach=coach), turn, domain)
    assert slot_events(events)["pain_rest"] is None  # not 7: the form asks its question again
    assert stored(coach, patient)[0] == "19:00"
    assert [p["kind"] for p in payloads(dispatcher)] == ["reminders"]


@pytest.mark.parametrize(("had", "reported", "kept"), [
    (None, "Asia/Tokyo", "Asia/Tokyo"),  # the browser's zone, for a patient who has none
    (None, "Mars/Olympus_Mons", None),  # not an IANA zone: ignored
    (None, 7, None),
    ("Europe/London", "Asia/Tokyo", "Europe/London"),  # one they chose stays theirs
])
async def test_the_devices_time_zone_is_the_patients_while_they_have_none(coach, domain, patient, had, reported,
                                                                           kept):
    coach.store.set_reminder_time(patient.id, None, had)
    turn = tracker("when is my reminder?", "change_reminders", metadata={"timezone": reported})
    _, dispatcher = await run(ActionChangeReminders(coach, clock), turn, domain)
    assert stored(coach, patient)[1] == kept
    assert payloads(dispatcher)[0]["zone"] == (kept or coach.reminder_defaults.zone)
