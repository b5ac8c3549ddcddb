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
from rehab_coach.knowledge import default_knowledge
from rehab_coach.model import SERIOUS
from rehab_coach.redflags import detector_for

RED_FLAG_INTENT = "red_flag"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class RedFlagDetector(GraphComponent):
    """Runs the deterministic red-flag detector on every message.

    Adds a `red_flag` entity (value: the red flag's id) for each finding, and for an emergency or
    urgent one makes `red_flag` the intent with confidence 1.0, whatever the classifier said.
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
        detector = detector_for(default_knowledge())
        for message in messages:
            findings = detector.find(message.get(TEXT) or "")
            if not findings:
                continue
            text = message.get(TEXT)
            entities = [
                {"entity": RED_FLAG_INTENT, "value": f.red_flag.id, "start": 0, "end": len(text),
                 "confidence": 1.0, "extractor": type(self).__name__, "urgency": f.red_flag.urgency}
                for f in findings
            ]
            message.set(ENTITIES, [*message.get(ENTITIES, []), *entities], add_to_output=True)
            if findings[0].red_flag.urgency in SERIOUS:  # routine findings never interrupt: actions add them
                forced = {"name": RED_FLAG_INTENT, "confidence": 1.0}
                ranking = [r for r in message.get(INTENT_RANKING_KEY, []) if r.get("name") != RED_FLAG_INTENT]
                message.set(INTENT, forced, add_to_output=True)
                message.set(INTENT_RANKING_KEY, [forced, *ranking], add_to_output=True)
        return messages

    def process_training_data(self, training_data: Any) -> Any:
        return training_data
