"""The Rasa red-flag component: urgent findings force the red_flag intent; routine ones only annotate."""

from __future__ import annotations

from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from rehab_coach.rasa_components import RedFlagDetector


def classified(text: str, intent: str = "inform", confidence: float = 0.9) -> Message:
    message = Message(data={TEXT: text})
    message.set(INTENT, {"name": intent, "confidence": confidence})
    message.set(INTENT_RANKING_KEY, [{"name": intent, "confidence": confidence}])
    return message


def process(message: Message) -> Message:
    return RedFlagDetector().process([message])[0]


def test_urgent_text_forces_the_red_flag_intent_whatever_the_classifier_said():
    message = process(classified("about a 4, and my calf is swollen and warm"))
    assert message.get(INTENT) == {"name": "red_flag", "confidence": 1.0}
    assert message.get(INTENT_RANKING_KEY)[:2] == [{"name": "red_flag", "confidence": 1.0},
                                                   {"name": "inform", "confidence": 0.9}]
    assert [e["value"] for e in message.get(ENTITIES)] == ["possible_dvt"]


def test_routine_finding_annotates_but_does_not_interrupt():
    message = process(classified("it keeps locking", intent="inform"))
    assert message.get(INTENT)["name"] == "inform"
    assert message.get(ENTITIES)[0]["urgency"] == "routine"


def test_negated_or_benign_text_is_left_alone():
    for text in ("no numbness at all", "can I run today?"):
        message = process(classified(text, intent="ask_activity"))
        assert message.get(INTENT)["name"] == "ask_activity"
        assert not message.get(ENTITIES)
