"""PSFS in the chat, end to end on the real servers: offered after the check-in, the activities named, each rated
0-10 as contract questions, an item skipped and kept empty, a red flag overriding the questionnaire, and the rest
resumed after the next day's check-in, then scored and stored."""

from __future__ import annotations

from datetime import timedelta

import pytest

from rehab_coach.adapters.storage import Store, make_engine
from rehab_coach.core.outcomes import Response
from tests.e2e.conftest import last_question, payloads
from tests.e2e.test_conversation import DAY0, GREEN, check_in, finish_questions

pytestmark = pytest.mark.slow

RED_FLAG = "my calf is swollen and hot and really tender"


def test_psfs_is_named_rated_skipped_interrupted_by_a_red_flag_and_resumed_the_next_day(chat):
    sender = "psfs-patient"
    replies = finish_questions(chat, sender, DAY0, chat.say(sender, "hi", DAY0), GREEN, until="questionnaire_now")
    assert payloads(replies, "question")[-1] == {"kind": "question", "field": "questionnaire_now", "type": "yesno",
                                                 "measure": "psfs"}
    replies = chat.say(sender, "yes", DAY0)
    assert last_question(replies) == "psfs_activities"
    replies = chat.say(sender, "relevé, jumps and pointe", DAY0)
    assert payloads(replies, "question")[-1] == {"kind": "question", "field": "psfs_1", "type": "scale", "min": 0,
                                                 "max": 10, "measure": "psfs", "item": "relevé", "skippable": True}
    assert last_question(chat.say(sender, "about a 4", DAY0)) == "psfs_2"
    assert last_question(chat.say(sender, "skip", DAY0)) == "psfs_3"
    replies = chat.say(sender, RED_FLAG, DAY0)
    (escalation,) = payloads(replies, "escalation")
    assert escalation["urgency"] in ("urgent", "emergency") and last_question(replies) is None

    next_day = DAY0 + timedelta(days=1)
    replies = finish_questions(chat, sender, next_day, chat.say(sender, "check in", next_day),
                               {**GREEN, "questionnaire_now": "yes"}, until="psfs_3")
    assert last_question(replies) == "psfs_3"  # the paused questionnaire carries on where it stopped
    replies = chat.say(sender, "6", next_day)
    (recorded,) = payloads(replies, "measure_recorded")
    assert recorded == {"kind": "measure_recorded", "measure": "psfs", "date": next_day.date().isoformat(),
                        "items": ["relevé", "jumps", "pointe"], "answers": [4, None, 6], "score": 5.0}
    store = Store(make_engine(chat.database_url))
    patient = store.patient("rest", sender, DAY0.date())
    assert store.responses(patient.id) == [Response("psfs", next_day.date(), ("relevé", "jumps", "pointe"),
                                                    (4, None, 6), 5.0)]


def test_a_question_mid_questionnaire_is_answered_stop_pauses_and_no_leaves_it_for_later(chat):
    sender = "psfs-pauses"
    replies = finish_questions(chat, sender, DAY0, chat.say(sender, "hi", DAY0), {**GREEN, "questionnaire_now": "yes"},
                               until="psfs_activities")
    assert last_question(replies) == "psfs_activities"
    replies = chat.say(sender, "jumps", DAY0)
    assert last_question(replies) == "psfs_1"
    replies = chat.say(sender, "can I go for a run today?", DAY0)
    assert payloads(replies, "activity_advice") and last_question(replies) == "psfs_1"
    replies = chat.say(sender, "stop", DAY0)
    assert last_question(replies) is None and not payloads(replies, "measure_recorded")
    next_day = DAY0 + timedelta(days=1)
    replies = check_in(chat, sender, next_day, GREEN)  # offered again, and declined: "no"
    assert [q["field"] for q in payloads(replies, "question")][-1] == "questionnaire_now"
    assert replies[-1]["text"] == "No problem: I'll ask again after your next check-in."
    assert last_question(chat.say(sender, "what's my plan?", next_day)) is None
