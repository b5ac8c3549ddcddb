"""End to end (real Rasa and action servers, simulated clock): red flags in any message, safety questions
when the evidence is partial, and a check-in that records what the patient meant, for the day they meant."""

from __future__ import annotations

from datetime import timedelta

import pytest

from rehab_coach.adapters.storage import Store, make_engine
from tests.e2e.conftest import Chat, last_question, payloads
from tests.e2e.test_conversation import DAY0, GREEN, answer, start

pytestmark = pytest.mark.slow
NEXT_DAY = DAY0 + timedelta(days=1)


def texts(replies: list[dict]) -> str:
    return " ".join(r.get("text") or "" for r in replies)


def stored(chat: Chat, sender: str) -> list[str]:
    store = Store(make_engine(chat.database_url))
    return [e.escalation.urgency for e in store.escalations(store.patient("rest", sender, DAY0.date()).id)]


def test_partial_evidence_asks_the_ottawa_questions_and_escalates_on_the_answers(chat):
    sender = "went-over"
    start(chat, sender)
    replies = chat.say(sender, "I went over on my ankle at training last night, can I still do my exercises?",
                       NEXT_DAY)
    assert last_question(replies) == "safety_steps_now"
    assert not payloads(replies, "exercise_info") and not payloads(replies, "escalation")
    replies = chat.say(sender, "no, I can't", NEXT_DAY)
    (escalation,) = payloads(replies, "escalation")
    assert escalation["urgency"] == "urgent" and "possible_fracture" in escalation["triggers"]
    assert "urgent" in stored(chat, sender)


def test_safety_questions_mid_check_in_then_the_check_in_carries_on_where_it_was(chat):
    sender = "calf-niggle"
    start(chat, sender)
    chat.say(sender, "check in", NEXT_DAY)
    chat.say(sender, "1", NEXT_DAY)
    replies = chat.say(sender, "3, my calf is a bit sore today", NEXT_DAY)
    assert last_question(replies) == "safety_breathing"
    replies = chat.say(sender, "no", NEXT_DAY)
    assert last_question(replies) == "safety_calf_changes"
    replies = chat.say(sender, "no, it looks the same as the other one", NEXT_DAY)
    assert not payloads(replies, "escalation")
    assert last_question(replies) == "pain_morning"  # back to the check-in, at the question after "3"


@pytest.mark.parametrize(("text", "urgency"), [
    ("about a 2, but my calf has gone swollen and hot since the flight and now I'm short of breath", "emergency"),
    ("3. also my foot went numb and tingly this morning and it hasn't come back", "urgent"),
])
def test_a_red_flag_inside_a_check_in_answer_replaces_the_coaching(chat, text, urgency):
    sender = f"inside-{urgency}"
    start(chat, sender)
    chat.say(sender, "check in", NEXT_DAY)
    replies = chat.say(sender, text, NEXT_DAY)
    (escalation,) = payloads(replies, "escalation")
    assert escalation["urgency"] == urgency
    assert not payloads(replies, "plan") and last_question(replies) is None
    assert urgency in stored(chat, sender)


def test_an_emergency_after_refused_answers_is_an_emergency(chat):
    sender = "refused-then-emergency"
    start(chat, sender)
    chat.say(sender, "check in", NEXT_DAY)
    for refused in ("15", "purple"):
        assert last_question(chat.say(sender, refused, NEXT_DAY)) == "pain_rest"
    replies = chat.say(sender, "I cant breath properly and my calf is swollen", NEXT_DAY)
    assert [p["urgency"] for p in payloads(replies, "escalation")] == ["emergency"]


def test_a_routine_flag_in_an_answer_is_advised_stored_and_the_answer_kept(chat):
    sender = "locks-in-plie"
    start(chat, sender)
    chat.say(sender, "check in", NEXT_DAY)
    replies = chat.say(sender, "2, and it locked twice in plie yesterday", NEXT_DAY)
    assert [p["urgency"] for p in payloads(replies, "escalation")] == ["routine"]
    assert last_question(replies) == "pain_exercise"
    assert stored(chat, sender) == ["routine"]


def test_questions_mid_check_in_are_answered_one_after_another_and_the_question_comes_back(chat):
    sender = "two-digressions"
    start(chat, sender)
    chat.say(sender, "check in", NEXT_DAY)
    assert last_question(chat.say(sender, "2", NEXT_DAY)) == "pain_exercise"
    first = chat.say(sender, "how do I do the calf stretch on a step?", NEXT_DAY)
    assert payloads(first, "exercise_info") and last_question(first) == "pain_exercise"
    second = chat.say(sender, "and can I go cycling?", NEXT_DAY)
    assert payloads(second, "activity_advice") and last_question(second) == "pain_exercise"


def test_a_long_message_keeps_its_answers_and_its_question_is_answered(chat):
    sender = "long-message"
    start(chat, sender)
    chat.say(sender, "check in", NEXT_DAY)
    replies = chat.say(sender, "rest 1, exercise 3, this morning 2 and no swelling. can I go cycling tonight?",
                       NEXT_DAY)
    assert payloads(replies, "activity_advice")
    assert last_question(replies) == "mechanical"


def test_a_correction_is_what_gets_recorded(chat):
    sender = "corrects-herself"
    start(chat, sender)
    chat.say(sender, "check in", NEXT_DAY)
    chat.say(sender, "2", NEXT_DAY)
    replies = chat.say(sender, "sorry, I meant 4", NEXT_DAY)
    assert last_question(replies) == "pain_exercise"
    replies = chat.say(sender, "3", NEXT_DAY)
    replies += chat.say(sender, "1, and actually the exercise one was 5 not 3", NEXT_DAY)
    for field in ("swelling", "mechanical", "adherence"):
        replies = chat.say(sender, answer(field, GREEN), NEXT_DAY)
    (recorded,) = payloads(replies, "checkin_recorded")
    assert (recorded["values"]["pain_rest"], recorded["values"]["pain_exercise"]) == (4, 5)


def test_a_stopped_check_in_never_leaks_into_the_next_day(chat):
    sender = "stops-and-returns"
    start(chat, sender)
    chat.say(sender, "check in", NEXT_DAY)
    chat.say(sender, "rest 6, exercise 7", NEXT_DAY)
    paused = chat.say(sender, "stop", NEXT_DAY)
    assert "today" in texts(paused)
    later = NEXT_DAY + timedelta(days=1)
    replies = chat.say(sender, "check in", later)
    assert "wasn't finished" in texts(replies)
    assert last_question(replies) == "pain_rest"  # today's check-in asks everything again
    for field in ("pain_rest", "pain_exercise", "pain_morning", "swelling", "mechanical", "adherence"):
        replies = chat.say(sender, answer(field, GREEN), later)
    (recorded,) = payloads(replies, "checkin_recorded")
    assert recorded["date"] == later.date().isoformat() and recorded["values"] == GREEN


def test_a_hypothetical_question_gets_the_warning_signs_not_an_alarm(chat):
    sender = "what-if"
    start(chat, sender)
    replies = chat.say(sender, "what should I do if my calf ever swells up after a flight?", NEXT_DAY)
    assert payloads(replies, "warning_signs") and not payloads(replies, "escalation")
    assert stored(chat, sender) == []


def test_show_all_my_exercises_lists_the_phase(chat):
    sender = "show-all"
    start(chat, sender)
    (plan,) = payloads(chat.say(sender, "show all my exercises", NEXT_DAY), "plan")
    assert plan.get("show_all") and plan["more_exercises"]
