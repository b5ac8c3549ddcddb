"""End to end over the REST webhook against the real Rasa and action servers (simulated clock)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from rehab_coach.adapters.storage import Store, make_engine
from tests.e2e.conftest import Chat, last_question, payloads

pytestmark = pytest.mark.slow

DAY0 = datetime(2026, 3, 2, 8, 30)
ONBOARDING = {"side": "the right one", "sport": "I do ballet", "diagnosed": "yes, my physio diagnosed it",
              "questionnaire_now": "no"}  # the activity ratings offered after a check-in: see test_questionnaire
GREEN = {"pain_rest": 0, "pain_exercise": 2, "pain_morning": 1, "swelling": "none", "mechanical": "none",
         "adherence": "all"}
WORDS = {"none": "no swelling", "mild": "a bit swollen", "marked": "very swollen"}
MECHANICAL = {"none": "nothing like that", "catching": "it caught a couple of times", "locking": "it locked",
              "giving_way": "it gave way"}
ADHERENCE = {"all": "did all of it", "some": "some of it", "none": "none of it"}


def answer(field: str, values: dict) -> str:
    value = {**ONBOARDING, **values}[field]
    if field.startswith("pain_"):
        return f"about a {value}"
    return {"swelling": WORDS, "mechanical": MECHANICAL, "adherence": ADHERENCE}.get(field, {}).get(value, value)


def finish_questions(chat: Chat, sender: str, now: datetime, replies: list[dict], values: dict,
                     until: str | None = None) -> list[dict]:
    """Answer every question the bot asks until it stops asking (or asks `until`); all replies."""
    collected = list(replies)
    for _ in range(15):
        field = last_question(replies)
        if field is None or field == until:
            return collected
        replies = chat.say(sender, answer(field, values), now)
        collected += replies
    raise AssertionError("the bot kept asking questions")


def check_in(chat: Chat, sender: str, now: datetime, values: dict) -> list[dict]:
    return finish_questions(chat, sender, now, chat.say(sender, "check in", now), values)


def start(chat: Chat, sender: str, values: dict = GREEN) -> list[dict]:
    """First contact: disclaimer, onboarding, then the first check-in."""
    replies = chat.say(sender, "hi", DAY0)
    assert last_question(replies) == "side"
    return finish_questions(chat, sender, DAY0, replies, values)


def test_onboarding_asks_the_contract_questions_then_checks_in(chat):
    replies = start(chat, "onboarding-patient")
    asked = [p["field"] for p in payloads(replies, "question")]
    assert asked[:3] == ["side", "sport", "diagnosed"]
    assert asked[3:] == ["pain_rest", "pain_exercise", "pain_morning", "swelling", "mechanical", "adherence",
                         "questionnaire_now"]
    recorded = payloads(replies, "checkin_recorded")[-1]
    assert recorded["values"] == GREEN and recorded["day_class"] == "green"
    plan = payloads(replies, "plan")[-1]
    assert plan["phase_number"] == 1 and plan["exercises"]
    assert {"running", "jumping", "pointe"} <= set(plan["avoid"])


def test_steady_green_days_progress_and_a_red_day_holds_or_regresses(chat):
    sender = "fourteen-days"
    start(chat, sender)
    phases = [1]
    for offset in range(1, 14):
        replies = check_in(chat, sender, DAY0 + timedelta(days=offset), GREEN)
        phases.append(payloads(replies, "plan")[-1]["phase_number"])
    assert phases == sorted(phases) and phases[-1] >= 3
    red = check_in(chat, sender, DAY0 + timedelta(days=14), {**GREEN, "pain_exercise": 7})
    assert payloads(red, "checkin_recorded")[-1]["day_class"] == "red"
    plan = payloads(red, "plan")[-1]
    assert plan["status"] in ("hold", "regress") and plan["phase_number"] <= phases[-1]


def test_several_values_in_one_message_fill_several_questions(chat):
    sender = "several-values"
    start(chat, sender)
    now = DAY0 + timedelta(days=1)
    first = chat.say(sender, "check in", now)
    assert last_question(first) == "pain_rest"
    replies = chat.say(sender, "rest 1, during exercise about a 3 and 2 this morning, no swelling", now)
    assert last_question(replies) == "mechanical"


def test_an_unreadable_pain_score_is_explained_and_asked_again(chat):
    sender = "bad-answer"
    start(chat, sender)
    now = DAY0 + timedelta(days=1)
    chat.say(sender, "check in", now)
    for bad in ("15", "purple"):
        replies = chat.say(sender, bad, now)
        assert any(r.get("text") for r in replies if "custom" not in r)
        assert last_question(replies) == "pain_rest"


def test_red_flag_mid_checkin_escalates_offers_no_exercise_and_is_stored(chat):
    sender = "red-flag"
    start(chat, sender)
    now = DAY0 + timedelta(days=1)
    chat.say(sender, "check in", now)
    chat.say(sender, "2", now)
    replies = chat.say(sender, "my calf is swollen and hot and really tender", now)
    escalation = payloads(replies, "escalation")
    assert escalation and escalation[0]["urgency"] in ("urgent", "emergency")
    assert not payloads(replies, "plan") and not payloads(replies, "exercise_info")
    assert last_question(replies) is None
    store = Store(make_engine(chat.database_url))
    record = store.patient("rest", sender, now.date())
    assert any(e.escalation.urgency == escalation[0]["urgency"] for e in store.escalations(record.id))


def test_bad_requests_get_an_answer_or_a_4xx_never_a_500(chat):
    for text in ("", "x" * 5000, "🦶🔥😭"):
        status, replies = chat.post(json.dumps({"sender": "odd-inputs", "message": text}).encode())
        assert status == 200 and isinstance(replies, list)
    for body in (b"{not json", b"[]", b'{"sender": "x"}', b""):
        status, _ = chat.post(body)
        assert 400 <= status < 500, (body, status)


def test_the_http_api_needs_the_token(chat):
    assert chat.api("/conversations/red-flag/tracker", token=None) in (401, 403)
    assert chat.api("/status", token=None) in (401, 403)
    assert chat.api("/conversations/red-flag/tracker", token=chat.servers.token) == 200

