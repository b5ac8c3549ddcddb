"""Rasa NLU components of the coach (adapters: they wrap the pure core for Rasa's graph)."""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from rehab_coach.adapters.clock import current_time
from rehab_coach.adapters.nlp import read
from rehab_coach.core.answers import reader_for
from rehab_coach.core.intents import (
    CHANGE_REMINDERS,
    DEMOTE,
    RED_FLAG_INTENT,
    after_red_flags,
    reminder_routed,
    routed,
)
from rehab_coach.core.knowledge import default_knowledge, flag_reason
from rehab_coach.core.model import SERIOUS
from rehab_coach.core.redflags import Findings, detector_for
from rehab_coach.core.reminder_request import reminder_reader
from rehab_coach.core.resolve import asked_about, resolver_for

ADVICE_ENTITY = "red_flag_advice"  # fills the slot the serious responses (utter_red_flag_*) are worded with
CHECK_ENTITY = "safety_check"
CLASSIFIED = "classified_intent"  # the classifier's intent when the detector overrode it


def red_flag_entities(findings: Findings, text: str) -> list[dict[str, Any]]:
    """One `red_flag` entity per finding (value: its id), the advice for a serious one, the check to run
    on partial evidence."""
    knowledge = default_knowledge()

    def entity(name: str, value: str, **extra: Any) -> dict[str, Any]:
        return {"entity": name, "value": value, "start": 0, "end": len(text), "confidence": 1.0,
                "extractor": RedFlagDetector.__name__, **extra}

    entities = [entity(RED_FLAG_INTENT, f.red_flag.id, urgency=f.red_flag.urgency) for f in findings.fired]
    if findings.urgency in SERIOUS:
        top = [f for f in findings.fired if f.red_flag.urgency == findings.urgency]
        advice = " ".join(dict.fromkeys(flag_reason(f.red_flag, knowledge.rules.referral) for f in top))
        entities.append(entity(ADVICE_ENTITY, advice))
    elif findings.partial and findings.partial[0].red_flag.check:
        entities.append(entity(CHECK_ENTITY, findings.partial[0].red_flag.check))
    return entities


class _RuleComponent(GraphComponent):
    """A component that applies the coach's rules to messages: nothing to train, nothing to configure."""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> _RuleComponent:
        return cls()

    def process_training_data(self, training_data: Any) -> Any:
        return training_data


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class RedFlagDetector(_RuleComponent):
    """Runs the deterministic red-flag detector on every message (the classifier is the second opinion).

    Adds `red_flag` entities for what it finds and, for an emergency or urgent finding or partial evidence,
    makes its own intent the message's intent with confidence 1.0, whatever the classifier said.
    """

    def process(self, messages: list[Message]) -> list[Message]:
        detector = detector_for(default_knowledge(), read)
        for message in messages:
            text = message.get(TEXT) or ""
            findings = detector.find_text(text, current_time(message.get("metadata")).date())
            entities = red_flag_entities(findings, text)
            if entities:
                message.set(ENTITIES, [*message.get(ENTITIES, []), *entities], add_to_output=True)
            intent = after_red_flags(findings, _intent(message))
            if intent == DEMOTE:  # the rules read every red-flag word as negated, past or someone else's
                intent = _next_intent(message, RED_FLAG_INTENT)
            if intent is not None:
                _override(message, intent)
        return messages


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class QuestionRouter(_RuleComponent):
    """Sends a question that names an activity or describes an exercise to its answer, whatever intent the
    classifier gave its wording ("parkrun saturday??", "the band one where my foot turns in, how tight?")."""

    def process(self, messages: list[Message]) -> list[Message]:
        knowledge = default_knowledge()
        resolver, answers = resolver_for(knowledge, read), reader_for(knowledge, read)
        for message in messages:
            text = message.get(TEXT) or ""
            intent = routed(_intent(message), text, asked_about(resolver, read(text)), bool(answers(text, None).values))
            if intent is not None:
                _override(message, intent)
        return messages


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class ReminderRouter(_RuleComponent):
    """Sends a message that asks for a reminder change to change_reminders, and a look-alike the classifier
    took for one ("remind me how to do the calf raise") to its next intent, by what the reminder reader reads
    in it. A red flag stands; a request also outranks a question the router sent on for naming an exercise ("can the
    reminder come at 7am, I do my exercises before work")."""

    def process(self, messages: list[Message]) -> list[Message]:
        reader = reminder_reader(default_knowledge())
        for message in messages:
            if str(_intent(message)).startswith(RED_FLAG_INTENT):
                continue
            request = reader(message.get(TEXT) or "", current_time(message.get("metadata")).date())
            intent = reminder_routed(_intent(message), request)
            if intent == DEMOTE:
                intent = _next_intent(message, CHANGE_REMINDERS)
            if intent is not None:
                _override(message, intent)
        return messages


def _next_intent(message: Message, overruled: str) -> str | None:
    """The classifier's best intent after the one overruled."""
    return next((r["name"] for r in message.get(INTENT_RANKING_KEY, []) if r.get("name") != overruled), None)


def _intent(message: Message) -> str | None:
    return (message.get(INTENT) or {}).get("name")


def _override(message: Message, intent: str) -> None:
    """Make `intent` the message's intent (confidence 1.0), keeping the classifier's own as `classified_intent`."""
    if message.get(CLASSIFIED) is None:
        message.set(CLASSIFIED, _intent(message), add_to_output=True)  # the second opinion, for evaluation
    forced = {"name": intent, "confidence": 1.0}
    ranking = [r for r in message.get(INTENT_RANKING_KEY, []) if r.get("name") != intent]
    message.set(INTENT, forced, add_to_output=True)
    message.set(INTENT_RANKING_KEY, [forced, *ranking], add_to_output=True)
