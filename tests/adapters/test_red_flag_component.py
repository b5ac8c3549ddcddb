"""The Rasa red-flag component: urgent findings force the red_flag intent; routine ones only annotate."""

from __future__ import annotations

from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from rehab_coach.rasa.components import QuestionRouter, RedFlagDetector, ReminderRouter


def classified(text: str, intent: str = "inform", confidence: float = 0.9) -> Message:
    message = Message(data={TEXT: text})
    message.set(INTENT, {"name": intent, "confidence": confidence})
    message.set(INTENT_RANKING_KEY, [{"name": intent, "confidence": confidence}])
    return message


def process(message: Message) -> Message:
    return RedFlagDetector().process([message])[0]


def entities(message: Message, name: str) -> list:
    return [e["value"] for e in message.get(ENTITIES) if e["entity"] == name]


def test_urgent_text_forces_its_urgency_intent_whatever_the_classifier_said():
    message = process(classified("about a 4, and my calf is swollen and warm"))
    assert message.get(INTENT) == {"name": "red_flag_urgent", "confidence": 1.0}
    assert message.get(INTENT_RANKING_KEY)[:2] == [{"name": "red_flag_urgent", "confidence": 1.0},
                                                   {"name": "inform", "confidence": 0.9}]
    assert entities(message, "red_flag") == ["possible_dvt"]
    assert "blood clot" in entities(message, "red_flag_advice")[0]  # the domain response's text, from the Rasa server


def test_emergency_text_forces_the_emergency_intent():
    message = process(classified("my calf is swollen and now I'm short of breath"))
    assert message.get(INTENT)["name"] == "red_flag_emergency"
    assert entities(message, "red_flag")[0] == "possible_pulmonary_embolism"


def test_routine_finding_is_added_to_a_question_but_replaces_a_bare_statement():
    asked = process(classified("can I run? it keeps locking", intent="ask_activity"))
    assert asked.get(INTENT)["name"] == "ask_activity"
    assert [e["urgency"] for e in asked.get(ENTITIES)] == ["routine"]
    said = process(classified("it keeps locking", intent="inform"))
    assert said.get(INTENT)["name"] == "red_flag"


def test_partial_evidence_asks_its_safety_check():
    message = process(classified("I rolled my ankle at training, can I still do my exercises?", "ask_exercise"))
    assert message.get(INTENT)["name"] == "red_flag"
    assert entities(message, "safety_check") == ["fracture"]


def test_negated_or_benign_text_is_left_alone():
    for text in ("no numbness at all", "can I run today?"):
        message = process(classified(text, intent="ask_activity"))
        assert message.get(INTENT)["name"] == "ask_activity"
        assert not message.get(ENTITIES)


def test_the_classifiers_red_flag_is_overruled_when_every_red_flag_word_is_negated_or_past():
    message = classified("no swelling or redness in my calf, all good", intent="red_flag")
    message.set(INTENT_RANKING_KEY, [{"name": "red_flag", "confidence": 0.6}, {"name": "inform", "confidence": 0.3}])
    assert process(message).get(INTENT)["name"] == "inform"
    assert process(classified("something is really wrong with my foot", intent="red_flag")).get(INTENT)["name"] == \
        "red_flag"  # worry said as present: the safety questions are asked


def test_a_hypothetical_question_is_a_question_about_the_warning_signs():
    message = process(classified("what should I do if my calf ever swells after a flight?", intent="out_of_scope"))
    assert message.get(INTENT)["name"] == "ask_warning_signs"
    assert not message.get(ENTITIES)


def route(text: str, intent: str) -> str:
    return QuestionRouter().process([classified(text, intent)])[0].get(INTENT)["name"]


def test_a_question_naming_an_activity_or_describing_an_exercise_goes_to_its_answer():
    assert route("parkrun on saturday??", "out_of_scope") == "ask_activity"
    assert route("the band one where my foot turns in, how tight should it be?", "inform") == "ask_exercise"
    # naming an exercise that is also an activity ("heel drops"): asking leave is about the activity,
    # asking how is about the exercise
    assert route("can i do the heel drops off the step?", "ask_exercise") == "ask_activity"
    assert route("how do i do the heel drops off the step?", "ask_exercise") == "ask_exercise"


def test_answers_and_statements_are_not_routed():
    assert route("rest 2, this morning 3 - can I go running tonight?", "inform") == "inform"
    assert route("I went running yesterday", "inform") == "inform"


def pipeline(text: str, intent: str, runner_up: str = "inform") -> str:
    """The intent after the rule components, in config.yml's order, given the classifier's top two."""
    message = classified(text, intent)
    message.set(INTENT_RANKING_KEY, [{"name": intent, "confidence": 0.9}, {"name": runner_up, "confidence": 0.05}])
    for component in (RedFlagDetector(), QuestionRouter(), ReminderRouter()):
        message = component.process([message])[0]
    return str(message.get(INTENT)["name"])


def test_a_reminder_request_goes_to_change_reminders_whatever_the_classifier_said():
    assert pipeline("stop reminders", "stop") == "change_reminders"
    assert pipeline("pause the reminders for a week", "out_of_scope") == "change_reminders"
    assert pipeline("remind me at 7pm", "change_reminders") == "change_reminders"


def test_a_reminder_request_outranks_a_question_routed_for_naming_an_exercise():
    for text, routed_to in [("could the ping come at 6 am sharp, I do my exercises before my shift", "ask_plan"),
                            ("can the nudge be at 7 am, I do my exercises before work", "ask_exercise")]:
        assert QuestionRouter().process([classified(text, "inform")])[0].get(INTENT)["name"] == routed_to
        assert pipeline(text, "inform") == "change_reminders"


def test_a_look_alike_taken_for_a_reminder_request_gets_the_classifiers_next_intent():
    assert pipeline("remind me how to do the calf raise", "change_reminders", "ask_exercise") == "ask_exercise"
    assert pipeline("I did my exercises at 7pm", "change_reminders", "inform") == "inform"


def test_a_red_flag_that_mentions_a_time_stays_a_red_flag():
    assert pipeline("my foot has been numb since 7pm last night, remind me at 8pm", "change_reminders") == (
        "red_flag_urgent")
    assert pipeline("numb since 7pm last night", "change_reminders").startswith("red_flag")


def test_a_routine_red_flag_said_with_a_reminder_request_is_added_to_its_answer():
    message = classified("pause the reminders for a week, my ankle keeps locking", "change_reminders")
    for component in (RedFlagDetector(), QuestionRouter(), ReminderRouter()):
        message = component.process([message])[0]
    assert message.get(INTENT)["name"] == "change_reminders"
    assert [e["urgency"] for e in message.get(ENTITIES) if e["entity"] == "red_flag"] == ["routine"]
