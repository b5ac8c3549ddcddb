"""The reminder reader: what a message asks of the daily reminder, and the look-alikes that ask nothing of it."""

from __future__ import annotations

from datetime import date

import pytest

from rehab_coach.core.intents import CHANGE_REMINDERS, DEMOTE, reminder_routed
from rehab_coach.core.knowledge import default_knowledge
from rehab_coach.core.reminder_request import ReminderRequest, reminder_reader

TODAY = date(2026, 11, 29)  # a Sunday
read = reminder_reader(default_knowledge())


def asked(text: str) -> ReminderRequest | None:
    return read(text, TODAY)


@pytest.mark.parametrize(("text", "time"), [
    ("remind me at 7pm", "19:00"),
    ("Remind me at 7.30 pm please", "19:30"),
    ("can the reminder be at 19:30", "19:30"),
    ("reminder at 1930 pls", "19:30"),
    ("remind me at 0700", "07:00"),
    ("remind me at half seven in the evening", "19:30"),
    ("remind me at half past seven tonight", "19:30"),
    ("ping me at quarter past 8 in the morning", "08:15"),
    ("reminder at quarter to nine at night", "20:45"),
    ("remind me at noon", "12:00"),
    ("midday reminders would suit me", "12:00"),
    ("can you remind me at 8 in the evening", "20:00"),
    ("remind me at seven thirty in the morning", "07:30"),
    ("remind me at seven forty five pm", "19:45"),
    ("text me at 6 p.m.", "18:00"),
    ("remind me at 12am", "00:00"),
    ("remind me at 12pm", "12:00"),
    ("remind me at midnight", "00:00"),
    ("REMIND ME AT 5PM", "17:00"),
    ("rmind me at 7pm", "19:00"),
    ("change it to 8pm", "20:00"),
    ("make it 6.30pm instead", "18:30"),
    ("can you move my reminder from 9am to 6pm", "18:00"),
    ("send the reminder at 7pm instead of 9am", "19:00"),
    ("nudge me after dinner, like 8ish", "20:00"),
    ("i'd rather have it at 10 past 7 in the evening", "19:10"),
    ("remind me to do my exercises at 6pm", "18:00"),
    ("remind me at 21:15", "21:15"),
])
def test_a_time_said_any_way_is_read_as_hh_mm(text, time):
    assert asked(text) == ReminderRequest("set", time)


@pytest.mark.parametrize(("text", "unclear"), [
    ("remind me at 7", "7"),
    ("remind me at half seven", "7:30"),
    ("change reminder to 7:30", "7:30"),
    ("reminders at 6.15 please", "6:15"),
    ("remind me at seven", "7"),
    ("text me at 5 after work", "5"),
])
def test_an_hour_without_morning_or_evening_is_unclear_not_guessed(text, unclear):
    assert asked(text) == ReminderRequest("set", unclear=unclear)


def test_words_for_both_morning_and_evening_leave_the_hour_unclear():
    assert asked("remind me at 7, either morning or evening") == ReminderRequest("set", unclear="7")


@pytest.mark.parametrize(("text", "time", "zone"), [
    ("remind me at 7pm New York time", "19:00", "America/New_York"),
    ("remind me at 9am sydney time", "09:00", "Australia/Sydney"),
    ("I'm in the UK, remind me at 8am", "08:00", "Europe/London"),
    ("remind me at 8pm london time", "20:00", "Europe/London"),
    ("remind me at 18:00 britain time", "18:00", "Europe/London"),
    ("my time zone is Europe/Berlin", None, "Europe/Berlin"),
    ("set my timezone to america/chicago", None, "America/Chicago"),
    ("i moved to Sydney, can you change my time zone", None, "Australia/Sydney"),
    ("put me on Tokyo time", None, "Asia/Tokyo"),
    ("I live in New Zealand now, reminders at 7am please", "07:00", "Pacific/Auckland"),
])
def test_a_time_zone_by_its_iana_name_city_or_country(text, time, zone):
    assert asked(text) == ReminderRequest("set", time, zone)


def test_a_zone_with_an_unclear_hour_keeps_the_zone():
    assert asked("I'm in the UK, remind me at 7") == ReminderRequest("set", zone="Europe/London", unclear="7")


@pytest.mark.parametrize("text", ["can I change my reminder time?", "i want a different time for the reminders",
                                  "remind me to do my exercises", "the 9am reminder is too early, can it be later"])
def test_a_change_without_a_time_is_a_set_with_nothing_yet(text):
    assert asked(text) == ReminderRequest("set")


@pytest.mark.parametrize("text", [
    "stop reminders", "stop the reminders please", "no more reminders", "turn off the reminders",
    "switch off notifications", "please stop messaging me every day", "I don't want the daily reminders any more",
    "dont remind me anymore", "cancel my reminders", "unsubscribe", "stop the 9am messages",
])
def test_stop(text):
    assert asked(text) == ReminderRequest("stop")


@pytest.mark.parametrize(("text", "days"), [
    ("pause reminders for a week", 7),
    ("pause for a week", 7),
    ("pause the reminders for 3 days", 3),
    ("hold the reminders for a fortnight", 14),
    ("snooze the reminders for two weeks", 14),
    ("mute the notifications for a few days", 3),
    ("no reminders for a couple of days", 2),
    ("no reminders till the 20th", 21),  # today is 29 November: the 20th is next month's
    ("pause reminders until the 5th of january", 37),
    ("i'm on holiday, no reminders until friday", 5),
    ("no reminders till tomorrow", 1),
    ("don't send reminders this week, im away", 1),
    ("no reminders on my holiday please, back on the 14th", 15),
    ("stop the reminders for 10 days", 10),
])
def test_pause_for_a_number_of_days_from_today(text, days):
    assert asked(text) == ReminderRequest("pause", days=days)


@pytest.mark.parametrize("text", ["pause reminders", "take a break from the reminders", "pause till christmas",
                                  "no reminders this weekend pls"])
def test_a_pause_without_a_length_asks_how_long(text):
    assert asked(text) == ReminderRequest("pause")


@pytest.mark.parametrize("text", ["start reminders", "start the reminders again", "turn reminders back on",
                                  "resume my reminders", "i want the reminders back", "unpause the reminders",
                                  "switch notifications on again"])
def test_resume(text):
    assert asked(text) == ReminderRequest("resume")


@pytest.mark.parametrize("text", ["when is my reminder?", "what time do you remind me", "are my reminders on?",
                                  "which time zone do you have me in", "what time's my daily reminder set for"])
def test_ask(text):
    assert asked(text) == ReminderRequest("ask")


@pytest.mark.parametrize("text", [
    "remind me how to do the calf raise",  # an exercise question
    "can you remind me what the towel exercise is",
    "remind me again how the heel drops go",
    "I did my exercises at 7pm",  # a report
    "did all of them at 6 this morning",
    "woke up at 7 and it was a 2",
    "stop, it hurts",  # the check-in's stop
    "stop",
    "stop for now",
    "pause",
    "should I stop dancing for a week",  # an activity question
    "do i need to stop running for a few days",
    "i had to stop running for a week",
    "numb since 7pm last night",  # a red flag
    "my physio appointment is at 3pm tomorrow",
    "can I run at 7am tomorrow?",
    "i'm going to London for the match, can I play?",
    "i'll check in tonight instead",
    "rest 2, morning 3, no swelling",
    "thanks for the reminder!",
    "the calf raises remind me of ballet class",
    "what time should I do my exercises?",
    "should I do the stretches in the morning or evening",
    "my calf has been warm and swollen since christmas",
])
def test_look_alikes_ask_nothing_of_the_reminders(text):
    assert asked(text) is None


@pytest.mark.parametrize(("intent", "request_", "routed"), [
    ("stop", ReminderRequest("stop"), CHANGE_REMINDERS),  # "stop reminders" is not the check-in's stop
    ("change_reminders", ReminderRequest("stop"), None),
    ("change_reminders", None, DEMOTE),  # "remind me how to do the calf raise"
    ("ask_exercise", None, None),
])
def test_the_reader_overrules_the_classifier_on_reminder_requests(intent, request_, routed):
    assert reminder_routed(intent, request_) == routed


@pytest.mark.parametrize(("text", "expected"), [
    # what patients call the reminder: typos and texting words
    ("the reminer at 6pm pls", ReminderRequest("set", "18:00")),
    ("can my daily msg come at 8am", ReminderRequest("set", "08:00")),
    ("notifs at 9pm from now on", ReminderRequest("set", "21:00")),
    ("can the check in message be at 7 in the evening", ReminderRequest("set", "19:00")),
    ("reminder at 8om", ReminderRequest("set", "20:00")),  # a slip for pm
    # the new time is the last one said; a change needs no word for the reminder
    ("I get home at 6 so remind me at 7.15 in the evening", ReminderRequest("set", "19:15")),
    ("9am is too early, can we do 11am", ReminderRequest("set", "11:00")),
    ("can we do 7pm from now on", ReminderRequest("set", "19:00")),
    # a place right after the time names its clock
    ("reminder at 8am sydney time", ReminderRequest("set", "08:00", "Australia/Sydney")),
    ("6pm pacific for the reminder please", ReminderRequest("set", "18:00", "America/Los_Angeles")),
    ("send it at 9 pm IST", ReminderRequest("set", "21:00", "Asia/Kolkata")),
    ("I'm on singapore time now", ReminderRequest("set", None, "Asia/Singapore")),
    # stopping for good, pausing for a while
    ("please remove me from the reminders", ReminderRequest("stop")),
    ("get rid of the daily ping", ReminderRequest("stop")),
    ("end the reminders", ReminderRequest("stop")),
    ("snooze the reminders forever", ReminderRequest("stop")),
    ("don't remind me for a few days", ReminderRequest("pause", days=3)),  # the coach says until when
    ("no reminder tomorrow please", ReminderRequest("pause", days=1)),
    ("pause the notifications for 72 hours", ReminderRequest("pause", days=3)),
    ("hold the reminders for two weeks and a half", ReminderRequest("pause", days=18)),
    # back on; asking how it is
    ("unpause", ReminderRequest("resume")),
    ("reactivate the reminders", ReminderRequest("resume")),
    ("I regret stopping the reminders, I want them again", ReminderRequest("resume")),
    ("is the reminder still switched on?", ReminderRequest("ask")),
    ("did you move my reminder to 9 like I said?", ReminderRequest("ask")),
    ("remind me which time my daily message is sent", ReminderRequest("ask")),
    # second round: the words right after a time say whose half of the day it is; what else names the reminder
    ("reminder at 8 in the morning, not the evening", ReminderRequest("set", "08:00")),
    ("the 10pm one is too late, could it come at 6 in the evening", ReminderRequest("set", "18:00")),
    ("could the prompt come at 5.45pm", ReminderRequest("set", "17:45")),
    ("we're in Madrid now, 8 in the morning local", ReminderRequest("set", "08:00", "Europe/Madrid")),
    ("notifications off please", ReminderRequest("stop")),
    ("no need for the nudges any more, I'm back running", ReminderRequest("stop")),
    ("three days without the reminders please", ReminderRequest("pause", days=3)),
    ("no reminders till next wednesday", ReminderRequest("pause")),  # this week's or the next? the coach asks
    ("notifications on", ReminderRequest("resume")),
    ("I switched the reminders off but now I'd like them again", ReminderRequest("resume")),
    ("hey are my reminders paused?", ReminderRequest("ask")),
    ("my mum wants to know if the reminders still come on weekends", ReminderRequest("ask")),
])
def test_requests_said_as_patients_say_them(text, expected):
    assert asked(text) == expected


@pytest.mark.parametrize("text", [
    "thanks for the reminder this morning, all done",
    "thank you for the nudge! did the band work",
    "reminder to self: ice after class. is 10 minutes enough?",
    "my alarm is at 5 for work so evenings suit me for exercises",
    "got the reminder at a silly hour but anyway pain is 4 today",
    "do not worry about me, exercises done at 7pm",
    "saw the reminder at lunch, pain 3 at rest",
    "my phone reminded me to stretch at 8pm, did it",
])
def test_a_message_that_only_mentions_a_reminder_asks_nothing_of_it(text):
    assert asked(text) is None
