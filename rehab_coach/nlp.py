"""Build the chat's spaCy pipeline: blank English, lookup lemmatizer, entity patterns from knowledge/.

No pretrained model can be downloaded here, so the project builds its own and Rasa's SpacyNLP
loads it from `SPACY_DIR`. Entity labels: activity, exercise, body_part, symptom; each pattern's
`id` is the knowledge id, which Rasa's SpacyEntityExtractor does not keep, so the actions map the
matched text back with `entity_id`.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

from rehab_coach.knowledge import FILES
from rehab_coach.model import Knowledge
from rehab_coach.paths import KNOWLEDGE_DIR, VAR_DIR

SPACY_DIR = VAR_DIR / "spacy" / "en_rehab_coach"
STAMP = "knowledge.sha256"


def entity_patterns(knowledge: Knowledge) -> list[dict]:
    """EntityRuler phrase patterns (lower-case text) for every name patients may use."""
    named: list[tuple[str, str, tuple[str, ...]]] = []
    for activity in knowledge.activities.values():
        named.append(("activity", activity.id, (activity.name.lower(), *activity.synonyms)))
    for exercise in knowledge.exercises.values():
        named.append(("exercise", exercise.id, (exercise.name.lower(), *exercise.aliases)))
    for part, words in knowledge.body_parts.items():
        named.append(("body_part", part, words))
    flagged = {term for flag in knowledge.red_flags for trigger in flag.triggers for term in trigger}
    body_words = {word for words in knowledge.body_parts.values() for word in words}
    for term in sorted(flagged):  # a bare body-part word ("calf") is a body part, not a symptom
        named.append(("symptom", term, tuple(p for p in knowledge.terms[term] if p not in body_words)))
    seen: set[tuple[str, str]] = set()
    patterns = []
    for label, ident, phrases in named:
        for phrase in phrases:
            if (label, phrase) not in seen:
                seen.add((label, phrase))
                patterns.append({"label": label, "pattern": phrase, "id": ident})
    return patterns


@lru_cache(maxsize=4)
def _ids_by_name(knowledge: Knowledge) -> dict[tuple[str, str], str]:
    ids: dict[tuple[str, str], str] = {}
    for pattern in entity_patterns(knowledge):
        ids.setdefault((pattern["label"], pattern["pattern"]), pattern["id"])  # the ruler's first pattern wins
    return ids


def entity_id(knowledge: Knowledge, label: str, text: str) -> str | None:
    """The knowledge id behind an entity's matched text (None if the text is not a known name)."""
    return _ids_by_name(knowledge).get((label, text.lower()))


def knowledge_fingerprint(folder: Path = KNOWLEDGE_DIR) -> str:
    """Changes when the knowledge or this builder changes: the pipeline is then rebuilt."""
    digest = hashlib.sha256(Path(__file__).read_bytes())
    for name in FILES:
        digest.update((folder / name).read_bytes())
    return digest.hexdigest()


def build_pipeline(knowledge: Knowledge, target: Path = SPACY_DIR) -> bool:
    """Write the pipeline to `target` unless it was already built from this knowledge; True if built."""
    fingerprint = knowledge_fingerprint()
    stamp = target / STAMP
    if stamp.exists() and stamp.read_text() == fingerprint:
        return False
    import spacy  # only the builder needs spaCy itself

    nlp = spacy.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER", "overwrite_ents": True})
    nlp.initialize()  # loads the lemma lookup table from spacy-lookups-data
    ruler.add_patterns(entity_patterns(knowledge))  # type: ignore[attr-defined]
    nlp.meta["name"] = "rehab_coach"
    nlp.meta["description"] = "Blank English + lookup lemmatizer + entity patterns from knowledge/"
    target.parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(target)
    stamp.write_text(fingerprint)
    (target / "patterns-summary.json").write_text(json.dumps(
        {label: sum(p["label"] == label for p in entity_patterns(knowledge))
         for label in ("activity", "exercise", "body_part", "symptom")}, indent=1))
    return True
