"""Rasa NLU components of the coach (adapters: they wrap the pure core for Rasa's graph)."""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from rehab_coach import rasa_speedups  # noqa: F401  (applies on import)
from rehab_coach.clock import current_time
from rehab_coach.intents import ANSWERED_WITH_ROUTINE, RED_FLAG_INTENT, SERIOUS_INTENTS
from rehab_coach.knowledge import default_knowledge, flag_reason
from rehab_coach.model import SERIOUS
from rehab_coach.nlp import read
from rehab_coach.redflags import Findings, detector_for

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


def forced_intent(findings: Findings, classified: str | None) -> str | None:
    """The intent the findings impose over the classifier's, or None to keep the classifier's."""
    if findings.urgency in SERIOUS:
        return SERIOUS_INTENTS[findings.urgency]
    if findings.partial or (findings.fired and classified not in ANSWERED_WITH_ROUTINE):
        return RED_FLAG_INTENT
    return None


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class RedFlagDetector(GraphComponent):
    """Runs the deterministic red-flag detector on every message (the classifier is the second opinion).

    Adds `red_flag` entities for what it finds and, for an emergency or urgent finding or partial evidence,
    makes its own intent the message's intent with confidence 1.0, whatever the classifier said.
    """

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> RedFlagDetector:
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        detector = detector_for(default_knowledge(), read)
        for message in messages:
            text = message.get(TEXT) or ""
            findings = detector.find_text(text, current_time(message.get("metadata")).date())
            entities = red_flag_entities(findings, text)
            if entities:
                message.set(ENTITIES, [*message.get(ENTITIES, []), *entities], add_to_output=True)
            classified = (message.get(INTENT) or {}).get("name")
            intent = forced_intent(findings, classified)
            if intent is not None:
                message.set(CLASSIFIED, classified, add_to_output=True)  # the second opinion, for evaluation
                forced = {"name": intent, "confidence": 1.0}
                ranking = [r for r in message.get(INTENT_RANKING_KEY, []) if r.get("name") != intent]
                message.set(INTENT, forced, add_to_output=True)
                message.set(INTENT_RANKING_KEY, [forced, *ranking], add_to_output=True)
        return messages

    def process_training_data(self, training_data: Any) -> Any:
        return training_data
