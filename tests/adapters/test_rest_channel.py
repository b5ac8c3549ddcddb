"""The REST channel's request check: every malformed body gets a reason (served as a 400)."""

import pytest

from rehab_coach.rasa.channels import MAX_MESSAGE, problem_with


@pytest.mark.parametrize("body", [
    None, [], "hi", {}, {"message": "hi"}, {"sender": "", "message": "hi"}, {"sender": "p", "message": 3},
    {"sender": "p"}, {"sender": "p", "message": "x" * (MAX_MESSAGE + 1)}, {"sender": "a\nb", "message": "hi"},
    {"sender": "x" * 129, "message": "hi"},
    {"sender": "p", "message": "hi", "metadata": "now"},
])
def test_malformed_body_is_refused_with_a_reason(body):
    assert problem_with(body)


@pytest.mark.parametrize("body", [
    {"sender": "p", "message": ""}, {"sender": "p", "message": "🦶"}, {"sender": "p", "message": "x" * 5000},
    {"sender": "p", "message": "hi", "metadata": {"now": "2026-03-02T08:30:00"}},
])
def test_wellformed_body_is_accepted(body):
    assert problem_with(body) is None


@pytest.mark.parametrize("sender", ["web-0123456789abcdef0123456789abcdef", "demo-0123"])
def test_web_chat_conversations_cannot_be_reached_over_rest(sender):
    assert "reserved" in problem_with({"sender": sender, "message": "how am I doing?"})
