"""The chat's spaCy pipeline is generated from knowledge/ and cannot drift from it."""

from __future__ import annotations

import spacy

from rehab_coach.adapters.nlp import build_pipeline, entity_id, entity_patterns


def test_every_activity_exercise_and_body_part_name_is_a_pattern(knowledge):
    patterns = {(p["label"], p["pattern"], p["id"]) for p in entity_patterns(knowledge)}
    for activity in knowledge.activities.values():
        for synonym in activity.synonyms:
            assert ("activity", synonym, activity.id) in patterns
    for exercise in knowledge.exercises.values():
        assert ("exercise", exercise.name.lower(), exercise.id) in patterns
        for alias in exercise.aliases:
            assert ("exercise", alias, exercise.id) in patterns
    for part, words in knowledge.body_parts.items():
        assert all(("body_part", word, part) in patterns for word in words)


def test_built_pipeline_holds_exactly_the_generated_patterns_and_finds_them(knowledge, tmp_path):
    target = tmp_path / "pipeline"
    assert build_pipeline(knowledge, target)
    assert not build_pipeline(knowledge, target)  # unchanged knowledge: not rebuilt
    nlp = spacy.load(target)
    ruler = nlp.get_pipe("entity_ruler")
    assert sorted(ruler.patterns, key=str) == sorted(entity_patterns(knowledge), key=str)
    doc = nlp("Can I go running, and how do I do the calf stretch on a step? My heel hurts.")
    found = {(ent.label_, ent.ent_id_) for ent in doc.ents}
    assert {("activity", "running"), ("exercise", "calf_stretch_step"), ("body_part", "heel")} <= found
    assert [token.lemma_ for token in nlp("my ankles were hurting")][1:] == ["ankle", "be", "hurt"]


def test_entity_text_maps_back_to_its_knowledge_id(knowledge):
    assert entity_id(knowledge, "activity", "Relevé") == "demi_pointe"
    assert entity_id(knowledge, "activity", "knitting") is None
