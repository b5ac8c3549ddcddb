"""The project's spaCy pipeline: blank English, lookup lemmatizer, entity patterns from knowledge/.

No pretrained model can be downloaded here, so the project builds its own: Rasa's SpacyNLP loads it
from `SPACY_DIR`, and `read` turns a message into the core's `Reading` with the same tokenizer and
lemmas, so every reader of patient text (red flags, answers, exercise and activity names) reads
alike. Entity labels: activity, exercise, body_part; each pattern's `id` is the knowledge id, which
Rasa's SpacyEntityExtractor does not keep, so the NLU evaluation maps the matched text back with
`entity_id`. (The actions read the message itself: `rehab_coach.core.resolve` matches the same names and
more, the way patients describe exercises and activities.)
"""

from __future__ import annotations

import hashlib
import json
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

from rehab_coach.core.knowledge import default_knowledge
from rehab_coach.core.model import Knowledge
from rehab_coach.core.reading import Entity, Reading, Token
from rehab_coach.core.text import normalise
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


# The knowledge the pipeline is built from: the names in its entity patterns and the lemma corrections.
# Red flags and rules are read at run time, so editing them needs no new pipeline (and no retraining).
PIPELINE_FILES = ("exercises.yml", "activities.yml", "vocabulary.yml", "language.yml")


def knowledge_fingerprint(folder: Path = KNOWLEDGE_DIR) -> str:
    """Changes when the knowledge the pipeline is built from, or this builder, changes: it is then rebuilt."""
    digest = hashlib.sha256(Path(__file__).read_bytes())
    for name in PIPELINE_FILES:
        digest.update((folder / name).read_bytes())
    return digest.hexdigest()


def _spacy() -> Any:
    """spaCy, imported without letting thinc load TensorFlow just to probe for it (4 s and 500 MB in the
    action server, which never needs it; the Rasa server has it loaded already)."""
    if "tensorflow" in sys.modules:
        import spacy

        return spacy
    sys.modules["tensorflow"] = None  # type: ignore[assignment]  # makes `import tensorflow` fail at once
    try:
        import spacy
    finally:
        del sys.modules["tensorflow"]
    return spacy


def pipeline(knowledge: Knowledge) -> Any:
    """The pipeline itself (a spaCy Language): tokenizer, lookup lemmas (with knowledge/'s corrections),
    entity patterns."""
    nlp = _spacy().blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER", "overwrite_ents": True})
    nlp.initialize()  # loads the lemma lookup table from spacy-lookups-data
    table = nlp.get_pipe("lemmatizer").lookups.get_table("lemma_lookup")
    for word, lemma in knowledge.language.lemmas.items():
        table[word] = lemma
    ruler.add_patterns(entity_patterns(knowledge))
    return nlp


@lru_cache(maxsize=4)
def _loaded(knowledge: Knowledge) -> Any:
    return pipeline(knowledge)


def read(text: str, knowledge: Knowledge | None = None) -> Reading:
    """The message as the core's readers see it (normalised text through the project's pipeline)."""
    doc = _loaded(knowledge or default_knowledge())(normalise(text))
    tokens: list[Token] = []
    sentence = 0
    for token in doc:
        if token.is_space:
            if "\n" in token.text and tokens and not tokens[-1].punct:
                tokens.append(Token("\n", "\n", sentence, True))
                sentence += 1
            continue
        punct = token.is_punct
        tokens.append(Token(token.text, token.lemma_, sentence, punct, bool(token.whitespace_)))
        if punct and token.text in _SENTENCE_ENDS:
            sentence += 1
    offsets = {t.i: n for n, t in enumerate(t for t in doc if not t.is_space)}
    entities = tuple(Entity(e.label_, e.ent_id_, offsets[e.start], offsets[e.end - 1] + 1) for e in doc.ents)
    return Reading(text, tuple(tokens), entities)


_SENTENCE_ENDS = {".", "!", "?", ";", "...", "…"}


def build_pipeline(knowledge: Knowledge, target: Path = SPACY_DIR) -> bool:
    """Write the pipeline to `target` unless it was already built from this knowledge; True if built."""
    fingerprint = knowledge_fingerprint()
    stamp = target / STAMP
    if stamp.exists() and stamp.read_text() == fingerprint:
        return False
    nlp = pipeline(knowledge)
    nlp.meta["name"] = "rehab_coach"
    nlp.meta["description"] = "Blank English + lookup lemmatizer + entity patterns from knowledge/"
    target.parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(target)
    stamp.write_text(fingerprint)
    (target / "patterns-summary.json").write_text(json.dumps(
        {label: sum(p["label"] == label for p in entity_patterns(knowledge))
         for label in ("activity", "exercise", "body_part")}, indent=1))
    return True
