"""Specification: the safety questions partial evidence calls for, and what the answers decide."""

import pytest

from rehab_coach.core.safety import decide, next_question


def test_the_ottawa_check_asks_four_steps_then_bone_tenderness(knowledge):
    check = knowledge.checks["fracture"]
    assert next_question(check, {}) == "steps_now"
    assert next_question(check, {"steps_now": "yes"}) == "bone_tender"
    assert next_question(check, {"steps_now": "yes", "bone_tender": "no"}) is None


@pytest.mark.parametrize(("answers", "urgency"), [
    ({"steps_now": "no"}, "urgent"),
    ({"steps_now": "yes", "bone_tender": "yes"}, "urgent"),
    ({"steps_now": "yes", "bone_tender": "no"}, None),
])
def test_the_ottawa_answers_decide(knowledge, answers, urgency):
    escalation = decide(knowledge.checks["fracture"], answers, knowledge)
    assert (escalation.urgency if escalation else None) == urgency


def test_the_first_answer_that_decides_ends_the_questions(knowledge):
    assert next_question(knowledge.checks["fracture"], {"steps_now": "no"}) is None


def test_breathlessness_with_a_calf_niggle_is_an_emergency(knowledge):
    escalation = decide(knowledge.checks["clot"], {"breathing": "yes"}, knowledge)
    assert escalation.urgency == "emergency"
    assert escalation.triggers == ("possible_pulmonary_embolism", "check:clot")


def test_every_check_can_end_without_an_escalation(knowledge):
    for check in knowledge.checks.values():
        answers: dict[str, str] = {}
        while (question := next_question(check, answers)) is not None:
            answers[question] = "no" if any(w.get(question) == "yes" for w, _ in check.outcomes) else "yes"
        assert decide(check, answers, knowledge) is None, check.id
