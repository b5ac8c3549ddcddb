"""The knowledge check: the real folder passes; a broken copy names every problem at once."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from rehab_coach.core.knowledge import KnowledgeError, load_knowledge
from rehab_coach.paths import KNOWLEDGE_DIR

REQUIRED_EXERCISES = [
    "calf_stretch_step", "band_inversion_tib_post", "band_eversion_peroneals", "ankle_arom_pain_free",
    "subtalar_midfoot_self_mobilisation", "eccentric_calf_lowering", "single_leg_heel_raise",
    "intrinsic_foot_doming", "single_leg_balance", "single_leg_balance_unstable",
    "perturbation_reactive_stepping", "walk_jog_progression", "ankle_hop_plyometrics",
    "sport_specific_reintegration",
]
REQUIRED_ACTIVITIES = [
    "running", "jumping", "hopping", "pointe", "demi_pointe", "heel_raises", "forced_toe_pointing", "kicking",
    "downhill", "stair_descent", "cutting", "cycling", "swimming", "walking",
]


@pytest.fixture
def broken(tmp_path: Path):
    """A copy of the real folder, and a way to edit one of its files as data."""
    folder = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, folder)

    def edit(name: str, change) -> None:
        path = folder / name
        data = yaml.safe_load(path.read_text())
        change(data)
        path.write_text(yaml.safe_dump(data, sort_keys=False))

    edit.folder = folder  # type: ignore[attr-defined]
    return edit


def problems(folder: Path) -> list:
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(folder)
    return list(caught.value.problems)


def test_real_folder_is_complete(knowledge):
    assert len(knowledge.phases) >= 5 and knowledge.phases[-1].exit is None
    assert len(knowledge.exercises) >= 20
    assert set(REQUIRED_EXERCISES) <= set(knowledge.exercises)
    assert set(REQUIRED_ACTIVITIES) <= set(knowledge.activities)
    assert {flag.urgency for flag in knowledge.red_flags} == {"emergency", "urgent", "routine"}


def test_every_phase_exercise_activity_and_red_flag_cites_a_source(knowledge):
    entries = [*knowledge.phases, *knowledge.exercises.values(), *knowledge.activities.values(),
               *knowledge.red_flags]
    for entry in entries:
        assert entry.sources, entry.id
        assert all(knowledge.sources[s].url.startswith("http") for s in entry.sources)
    rules = knowledge.rules
    for group in (rules.day, rules.progression, rules.flare, rules.referral, rules.reminders):
        assert group.sources


def test_no_exercise_belongs_to_a_phase_that_avoids_what_it_involves(knowledge):
    for exercise in knowledge.exercises.values():
        for phase_id in exercise.dosage:
            for activity in exercise.involves:
                assert knowledge.activities[activity].verdicts[phase_id] != "avoid", (exercise.id, phase_id)


def test_one_broken_folder_reports_every_problem_with_file_entry_and_field(broken):
    def break_exercises(data):
        data["exercises"][0]["dosage"] = {"nonexistent_phase": [{"sets": 3, "per_day": 1}]}
        data["exercises"][1]["sources"] = ["no_such_source"]
        data["exercises"][2]["regress_to"] = "no_such_exercise"
        data["exercises"][3]["stepz"] = ["typo in a field name"]
        data["exercises"][4]["dosage"] = {"settle": [{"sets": 0, "reps": 10}]}
        data["exercises"].append(dict(data["exercises"][5]))  # duplicate id

    def break_activities(data):
        data["activities"][0]["verdicts"]["settle"] = "maybe"

    def break_rules(data):
        data["day_classification"]["red"]["pain_exercise_min"] = 15

    broken("exercises.yml", break_exercises)
    broken("activities.yml", break_activities)
    broken("rules.yml", break_rules)
    found = problems(broken.folder)
    ex = yaml.safe_load((broken.folder / "exercises.yml").read_text())["exercises"]
    act = yaml.safe_load((broken.folder / "activities.yml").read_text())["activities"][0]["id"]
    expected = [
        f"exercises.yml: {ex[0]['id']}: dosage: nonexistent_phase: unknown phase",
        f"exercises.yml: {ex[1]['id']}: sources: unknown source 'no_such_source'",
        f"exercises.yml: {ex[2]['id']}: regress_to: unknown exercise 'no_such_exercise'",
        f"exercises.yml: {ex[3]['id']}: stepz: unknown field",
        f"exercises.yml: {ex[4]['id']}: dosage: settle: level 1: sets: 0 is not a whole number from 1 to 20",
        f"exercises.yml: {ex[4]['id']}: dosage: settle: level 1: needs exactly one of per_day or per_week",
        f"exercises.yml: {ex[5]['id']}: duplicate id",
        f"activities.yml: {act}: verdicts: settle: 'maybe' is not one of avoid, caution, ok",
        "rules.yml: day_classification: red: pain_exercise_min: 15 is not a whole number from 0 to 11",
    ]
    for line in expected:
        assert line in found
    assert len(found) >= len(expected)


def test_exercise_planned_in_a_phase_that_avoids_its_activity_is_refused(broken):
    def add_running_to_settle(data):
        walk_jog = next(e for e in data["exercises"] if e["id"] == "walk_jog_progression")
        walk_jog["dosage"]["settle"] = [{"minutes": 10, "per_week": 3}]

    broken("exercises.yml", add_running_to_settle)
    assert ("exercises.yml: walk_jog_progression: dosage: settle: involves 'running', which is to be avoided "
            "in this phase") in problems(broken.folder)


def test_red_flag_with_unknown_term_and_bad_urgency_is_refused(broken):
    def break_flags(data):
        data["red_flags"][0]["triggers"] = [["no_such_term"], ["calf+no_such_finding"], ["weeks>=no_such_rule"]]
        data["red_flags"][1]["urgency"] = "whenever"
        data["checks"]["fracture"]["outcomes"][0]["when"] = {"steps_now": False}  # what YAML makes of a bare `no`

    broken("red_flags.yml", break_flags)
    flags = yaml.safe_load((broken.folder / "red_flags.yml").read_text())["red_flags"]
    found = problems(broken.folder)
    assert (f"red_flags.yml: {flags[0]['id']}: triggers: unknown term(s) 'calf+no_such_finding', 'no_such_term', "
            "'weeks>=no_such_rule'") in found
    assert f"red_flags.yml: {flags[1]['id']}: urgency: 'whenever' is not one of emergency, urgent, routine" in found
    assert any("checks: fracture: outcomes: steps_now: False must be \"yes\" or \"no\" (quoted)" in p
               for p in found)


def test_context_cue_that_yaml_read_as_false_is_refused(broken):
    broken("language.yml", lambda data: data["context"]["cues"]["negated"]["before"].append(False))
    assert any("negated: before: must be a list of non-empty texts (quote words like no" in p
               for p in problems(broken.folder))


def test_phases_out_of_order_and_missing_file_are_reported(broken):
    def swap(data):
        data["phases"][0]["number"], data["phases"][1]["number"] = 2, 1

    broken("phases.yml", swap)
    (broken.folder / "sources.yml").unlink()
    found = problems(broken.folder)
    assert "sources.yml: file is missing" in found
    assert any(p.startswith("phases.yml: settle: number: is 2, expected 1") for p in found)


def test_cli_check_passes_on_the_real_folder_and_fails_naming_problems_on_a_broken_one(broken):
    ok = subprocess.run([sys.executable, "-m", "rehab_coach", "check-knowledge"], capture_output=True, text=True)
    assert ok.returncode == 0 and ok.stdout.startswith("knowledge OK")
    broken("rules.yml", lambda data: data["flare"].pop("protect_days"))
    bad = subprocess.run([sys.executable, "-m", "rehab_coach", "check-knowledge", "--dir", str(broken.folder)],
                         capture_output=True, text=True)
    assert bad.returncode == 1
    assert "rules.yml: flare: protect_days: missing" in bad.stderr


def test_session_rules_name_every_exercise_once_and_avoid_orders_name_known_activities(broken):
    session = yaml.safe_load((KNOWLEDGE_DIR / "rules.yml").read_text())["session"]
    kinds = session["kinds"]
    second, third = kinds[1]["id"], kinds[2]["id"]
    left_out, moved = kinds[0]["exercises"][-1], kinds[2]["exercises"][0]

    def break_session(data):
        kinds = data["session"]["kinds"]
        kinds[0]["exercises"].remove(left_out)
        kinds[1]["exercises"] += [moved, "no_such_exercise"]
        kinds[0]["min_per_day"] = data["session"]["max_exercises"]
        kinds[1]["min_per_day"] = 1
        data["avoid_today"]["by_sport"]["dance"] += ["no_such_activity", "pointe"]
        data["avoid_today"]["by_sport"]["ballet"] = ["pointe"]
        del data["avoid_today"]["by_sport"]["running"]

    broken("rules.yml", break_session)
    found = problems(broken.folder)
    for line in [
        f"rules.yml: session: kinds: exercise {left_out!r} belongs to no kind",
        f"rules.yml: session: {third}: exercises: {moved!r} already belongs to {second}",
        f"rules.yml: session: {second}: exercises: unknown exercise 'no_such_exercise'",
        f"rules.yml: session: kinds: the kinds' min_per_day add up to more than max_exercises "
        f"({session['max_exercises']})",
        "rules.yml: avoid_today: by_sport: dance: unknown activity 'no_such_activity'",
        "rules.yml: avoid_today: by_sport: dance: names an activity more than once",
        "rules.yml: avoid_today: by_sport: ballet: unknown field",
        "rules.yml: avoid_today: by_sport: running: missing",
    ]:
        assert line in found
    assert not any(p.startswith("rules.yml: session: phase ") for p in found)  # turns are worked out on valid rules


def test_a_phase_whose_exercises_cannot_all_come_round_in_time_is_refused(broken):
    def shorten(data):
        data["session"]["cover_days"] = 2
        data["session"]["max_exercises"] = 5

    broken("rules.yml", shorten)
    found = [p for p in problems(broken.folder) if p.startswith("rules.yml: session: phase ")]
    assert found and all("would not come round within 2 days of at most 5 exercises" in p for p in found)
    assert any(p.startswith("rules.yml: session: phase settle: ") for p in found)
    assert not any("phase maintain" in p for p in found)  # its 9 exercises fit in 2 days of 5


def test_the_resolvers_vocabulary_and_thresholds_are_checked_with_every_problem_at_once(broken):
    def break_exercises(data):
        data["concepts"]["moves"]["towel"] = ["towel"]  # a concept of `uses` already
        data["concepts"]["moves"]["Wiggle"] = ["wiggle"]
        data["concepts"]["moves"]["never_named"] = ["jiggle"]
        data["concepts"]["gadgets"] = {"band": ["band"]}
        data["exercises"][0]["moves"] = ["no_such_concept"]
        data["exercises"][1]["uses"] = ["turn_in"]  # a concept of moves, not of uses

    def break_activities(data):
        data["activities"][0]["phrases"] = ["Go For A Run"]
        data["not_covered"][0]["closest"] = ["no_such_activity"]
        data["not_covered"].append({"id": "running", "name": "Running", "phrases": ["run"], "closest": []})
        data["set_aside"] = "skip"

    def break_rules(data):
        del data["resolution"]["clear_lead"]
        data["resolution"]["points"]["names"] = -1
        data["resolution"]["ordinals"] = {"second": 0}

    broken("exercises.yml", break_exercises)
    broken("activities.yml", break_activities)
    broken("rules.yml", break_rules)
    found = problems(broken.folder)
    ex = yaml.safe_load((broken.folder / "exercises.yml").read_text())["exercises"]
    act = yaml.safe_load((broken.folder / "activities.yml").read_text())
    for line in [
        "exercises.yml: concepts: moves: towel: is a concept of uses already",
        "exercises.yml: concepts: moves: Wiggle: is not a snake_case id",
        "exercises.yml: concepts: moves: never_named: no exercise names it",
        "exercises.yml: concepts: gadgets: unknown field",
        f"exercises.yml: {ex[0]['id']}: moves: unknown concept of moves 'no_such_concept'",
        f"exercises.yml: {ex[1]['id']}: uses: unknown concept of uses 'turn_in'",
        f"activities.yml: {act['activities'][0]['id']}: phrases: 'Go For A Run' must be lower case",
        f"activities.yml: {act['not_covered'][0]['id']}: closest: unknown activity 'no_such_activity'",
        "activities.yml: running: is an activity with advice already",
        "activities.yml: set_aside: must be a list of non-empty texts",
        "rules.yml: resolution: clear_lead: missing",
        "rules.yml: resolution: points: names: -1 is not a whole number from 0 to 100",
        "rules.yml: resolution: ordinals: must map lower-case words to non-zero whole numbers (-1: the last)",
    ]:
        assert line in found


def test_every_field_is_checked_for_its_type_range_and_name_wherever_it_sits(broken):
    def break_exercises(data):
        data["exercises"][0]["synthesis"] = "yes"
        data["exercises"][1]["steps"] = []
        data["exercises"][2]["dosage"]["settle"] = [{"sets": 2.5, "reps": True, "per_day": 1, "per_week": 2, "foo": 1}]
        data["exercises"][3] = "not an entry"

    def break_rules(data):
        data["referral"]["repeated_red"]["days"] = 3  # a number this rule does not take
        data["referral"]["unresolved"]["weeks"] = 200
        data["progression"]["adherence_counts"] = ["all", "most"]

    def break_language(data):
        data["context"]["windows"]["negated"] = 0
        data["context"]["windows"]["sideways"] = 3
        data["proxies"]["nicknames"] = ["mate"]

    broken("exercises.yml", break_exercises)
    broken("rules.yml", break_rules)
    broken("language.yml", break_language)
    broken("red_flags.yml", lambda data: data["urgencies"].pop("routine"))
    found = problems(broken.folder)
    ex = yaml.safe_load((KNOWLEDGE_DIR / "exercises.yml").read_text())["exercises"]
    for line in [
        f"exercises.yml: {ex[0]['id']}: synthesis: must be true or false",
        f"exercises.yml: {ex[1]['id']}: steps: must not be empty",
        f"exercises.yml: {ex[2]['id']}: dosage: settle: level 1: sets: 2.5 is not a whole number from 1 to 20",
        f"exercises.yml: {ex[2]['id']}: dosage: settle: level 1: reps: True is not a whole number from 1 to 500",
        f"exercises.yml: {ex[2]['id']}: dosage: settle: level 1: foo: unknown field",
        f"exercises.yml: {ex[2]['id']}: dosage: settle: level 1: needs exactly one of per_day or per_week",
        "exercises.yml: entry 4: must be a mapping",
        "rules.yml: referral: repeated_red: days: unknown field",
        "rules.yml: referral: unresolved: weeks: 200 is not a whole number from 1 to 104",
        "rules.yml: progression: adherence_counts: 'most' is not one of all, some, none",
        "language.yml: context: windows: negated: 0 is not a whole number from 1 to 40",
        "language.yml: context: windows: sideways: unknown field",
        "language.yml: proxies: nicknames: unknown field",
        "red_flags.yml: urgencies: routine: missing",
    ]:
        assert line in found


def test_knowledge_records_are_immutable_and_compared_and_hashed_by_value(knowledge):
    session = knowledge.rules.session
    with pytest.raises(TypeError):
        session.max_exercises = 1  # type: ignore[misc]
    copy = type(session).parse_obj(session.dict())
    assert copy is not session and copy == session and hash(copy) == hash(session)
    assert copy != session.copy(update={"max_exercises": session.max_exercises + 1})


def test_the_reminder_rules_are_checked(broken):
    def break_rules(data):
        data["reminders"]["gentle_after_days"] = 0
        data["reminders"]["retry_minutes"] = [1, "5", 2000]
        data["reminders"]["sources"] = ["no_such_source"]
        del data["reminders"]["alert_clinician_after_days"]

    broken("rules.yml", break_rules)
    found = problems(broken.folder)
    for line in [
        "rules.yml: reminders: gentle_after_days: 0 is not a whole number from 1 to 60",
        "rules.yml: reminders: retry_minutes: '5' is not a whole number from 1 to 720",
        "rules.yml: reminders: retry_minutes: 2000 is not a whole number from 1 to 720",
        "rules.yml: reminders: alert_clinician_after_days: missing",
    ]:
        assert line in found
    broken("rules.yml", lambda data: data["reminders"].update(gentle_after_days=3, alert_clinician_after_days=7,
                                                             retry_minutes=[1]))
    assert problems(broken.folder) == ["rules.yml: reminders: sources: unknown source 'no_such_source'"]


def test_a_place_must_name_an_iana_time_zone(broken):
    broken("vocabulary.yml", lambda data: data["places"].update({"Europe/Atlantis": ["atlantis"]}))
    assert problems(broken.folder) == ["vocabulary.yml: places: unknown IANA time zone 'Europe/Atlantis'"]


def test_the_clinic_notification_rules_are_checked(broken):
    broken("rules.yml", lambda data: data["clinic_notifications"].update(retry_minutes=[1, 0, "5"]))
    assert problems(broken.folder) == [
        "rules.yml: clinic_notifications: retry_minutes: 0 is not a whole number from 1 to 720",
        "rules.yml: clinic_notifications: retry_minutes: '5' is not a whole number from 1 to 720",
    ]
    broken("rules.yml", lambda data: data.pop("clinic_notifications"))
    assert problems(broken.folder) == ["rules.yml: clinic_notifications: missing"]
