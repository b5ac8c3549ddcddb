"""Specification: which exercise or activity a patient means, however they put it."""

import pytest

from rehab_coach.adapters.nlp import read
from rehab_coach.core.engine import Plan, plan_for_today
from rehab_coach.core.model import Patient
from rehab_coach.core.resolve import Resolver, resolver_for
from tests.builders import START, days, on

PATIENT = Patient(enrolled=START, side="left", sport="dance", diagnosed=True)


@pytest.fixture(scope="module")
def resolver(knowledge) -> Resolver:
    return resolver_for(knowledge, read)


@pytest.fixture(scope="module")
def settle(knowledge) -> Plan:
    """Phase 1 on day 0: the calf stretch with a straight knee is in today's session, calf lowering in no plan."""
    plan = plan_for_today(PATIENT, [], START, knowledge)
    assert "calf_stretch_wall_straight_knee" in {p.exercise.id for p in plan.exercises}
    return plan


@pytest.fixture(scope="module")
def restore(knowledge) -> Plan:
    """Phase 2: the calf stretch on a step is in the programme, calf lowering is not."""
    plan = plan_for_today(PATIENT, days(0, 4), on(4), knowledge)
    assert plan.phase.number == 2 and plan.dose("calf_stretch_step") and not plan.dose("eccentric_calf_lowering")
    return plan


def exercises(resolver: Resolver, text: str, plan: Plan | None = None, among: tuple[str, ...] = ()) -> list[str]:
    return [e.id for e in resolver.exercise(read(text), plan, among).candidates]


@pytest.mark.parametrize(("text", "exercise"), [
    ("how do I do the soleus stretch?", "calf_stretch_wall_bent_knee"),  # an alias
    ("remind me how the towl scrunches go", "towel_curls"),  # a typo in a name
    ("what's the right way to do knee-to-wall", "knee_to_wall_mobility"),  # hyphens
    ("Calf lowering: up on two, down on one", "eccentric_calf_lowering"),  # the name, punctuation and all
])
def test_an_exercise_named_by_its_name_or_an_alias_is_the_winner(resolver, settle, text, exercise):
    assert exercises(resolver, text, settle) == [exercise]


@pytest.mark.parametrize(("text", "exercise"), [
    ("which of them strengthens the outside of my ankle", "band_eversion_peroneals"),  # target
    ("strengthening my tibialis posterior", "band_inversion_tib_post"),
    ("what do I do with the towel again", "towel_curls"),  # equipment
    ("rear foot resting on the bench behind me", "split_squat"),
    ("lifting my foot up against a band tied to the table", "band_dorsiflexion"),  # movement and kit
    ("twisting the sole up to the ceiling with the band, is that right?", "band_inversion_tib_post"),
    ("pressing my forefoot against the wall and staying still", "plantarflexion_isometric_midrange"),
    ("my wife gives me little shoves while I'm on the cushion", "perturbation_reactive_stepping"),
    ("making a dome under my foot", "intrinsic_foot_doming"),
    ("springing on both feet, landing softly", "ankle_hop_plyometrics"),
    ("on my side, pushing my knee up against a mini band", "hip_and_core"),
    ("push my big toe down onto a loop of band", "fhl_band_big_toe_flexion"),  # "big toe" stands in a gap
])
def test_an_exercise_described_by_what_it_targets_uses_and_does_is_the_winner(resolver, settle, text, exercise):
    assert exercises(resolver, text, settle) == [exercise]


@pytest.mark.parametrize(("text", "tied"), [
    ("the elastic exercise where I twist my foot", {"band_inversion_tib_post", "band_eversion_peroneals"}),
    ("stretching my calf on the wall with a bent knee or straight?", {"calf_stretch_wall_straight_knee",
                                                         "calf_stretch_wall_bent_knee"}),
    ("stretching off the step, or lowering slowly off it?", {"calf_stretch_step", "eccentric_calf_lowering"}),
])
def test_a_near_tie_names_only_the_exercises_described(resolver, settle, text, tied):
    assert set(exercises(resolver, text, settle)) == tied


def test_a_vague_description_never_gets_the_whole_plan(resolver, settle, knowledge):
    found = exercises(resolver, "the one against the wall", settle)
    assert 1 < len(found) <= knowledge.rules.resolution.max_choices
    assert all("wall" in knowledge.exercises[e].uses for e in found)


def test_todays_plan_settles_a_tie_between_exercises_described_alike(resolver, settle, restore):
    text = "dropping my heels off the step: how low?"
    assert set(exercises(resolver, text, settle)) == {"calf_stretch_step", "eccentric_calf_lowering"}  # in no plan
    assert exercises(resolver, text, restore) == ["calf_stretch_step"]  # only this one is in the programme
    assert len(exercises(resolver, text)) == 2  # no plan: no tie-break


def test_todays_plan_never_outweighs_what_the_patient_described(resolver, settle):
    # the straight-knee stretch is in today's session, the bent-knee one only in the programme
    bent = exercises(resolver, "the bent-knee one for my calf against the wall", settle)
    assert bent == ["calf_stretch_wall_bent_knee"]


@pytest.mark.parametrize("text", ["how do I do the thing?", "what about the other exercise", ""])
def test_a_message_describing_no_exercise_has_no_candidate(resolver, settle, text):
    assert exercises(resolver, text, settle) == []


OFFERED = ("band_inversion_tib_post", "band_eversion_peroneals", "towel_curls")


@pytest.mark.parametrize(("answer", "exercise"), [
    ("the second", "band_eversion_peroneals"), ("2nd one", "band_eversion_peroneals"),
    ("1", "band_inversion_tib_post"), ("the last one please", "towel_curls"), ("the towel one", "towel_curls"),
    ("the one that turns out", "band_eversion_peroneals"),
    ("Band strengthening for the inner ankle (tibialis posterior)", "band_inversion_tib_post"),  # the button's label
])
def test_the_answer_to_which_one_picks_among_the_exercises_offered(resolver, settle, answer, exercise):
    assert exercises(resolver, answer, settle, OFFERED) == [exercise]


def test_an_answer_that_fits_none_offered_is_read_against_the_whole_catalogue(resolver, settle):
    soleus = exercises(resolver, "actually I meant the soleus stretch", settle, OFFERED)
    assert soleus == ["calf_stretch_wall_bent_knee"]
    assert exercises(resolver, "the band ones", settle, OFFERED[:2]) == list(OFFERED[:2])  # still a tie: ask again


def test_an_ordinal_beyond_the_choices_picks_nothing(resolver, settle):
    assert exercises(resolver, "the sixth", settle, OFFERED) == []


def activities(resolver: Resolver, text: str, sport: str | None = "dance") -> tuple[list[str], list[str], list[str]]:
    found = resolver.activities(read(text), sport)
    return [a.id for a in found.activities], [u.id for u in found.uncovered], [a.id for a in found.closest]


@pytest.mark.parametrize(("text", "activity"), [
    ("is sprinting alright yet?", "running"),  # inflections
    ("I jogged a bit yesterday, can I again?", "running"),
    ("is it ok if I do a 10k fun run", "running"),  # events
    ("7-a-side on sunday?", "football_training"),  # match formats
    ("can I join the tackling drills", "football_training"),
    ("weaving through cones at practice", "cutting"),  # drills
    ("sautés in centre?", "jumping"),  # class parts
    ("can I do centre tomorrow", "dance_class"),
    ("is spin class ok", "cycling"),
    ("can I go skipping with the kids", "jumping"),
    ("hill sprints with the club", "downhill"),  # slopes and directions
    ("jogging down a steep slope", "downhill"),
    ("walking down the ramp to the car park", "downhill"),
    ("descending the staircase at home", "stair_descent"),
    ("crouching on my tiptoes to wipe the skirting", "squatting_on_toes"),
    ("is namaz ok, sitting on my feet", "kneeling_on_pointed_feet"),
    ("plantarflexing hard at the end of a degage", "forced_toe_pointing"),
    ("lengths with a float, no kicking?", "swimming"),
])
def test_an_activity_in_sport_dance_or_everyday_words_is_resolved(resolver, text, activity):
    assert activities(resolver, text)[0] == [activity]


def test_the_longest_name_wins_where_two_overlap(resolver):
    assert activities(resolver, "walking down the stairs")[0] == ["stair_descent"]  # not walking
    assert activities(resolver, "spin class tonight")[0] == ["cycling"]  # not dance class
    assert activities(resolver, "can I do seated calf raises")[0] != ["heel_raises"]  # an exercise of the plan


def test_an_activity_set_aside_is_not_asked_about(resolver):
    assert activities(resolver, "can I swim instead of running?")[0] == ["swimming"]
    assert activities(resolver, "contemporary class, leaving out the leaps and avoiding relevés")[0] == ["dance_class"]
    assert activities(resolver, "no running yet?")[0] == ["running"]  # nothing else asked: it is the question


def test_an_activity_without_advice_yet_is_named_with_the_closest_that_have_advice(resolver, knowledge):
    asked, uncovered, closest = activities(resolver, "would a game of squash be ok")
    assert (asked, uncovered) == ([], ["racket_sports"])
    assert closest == list(knowledge.uncovered["racket_sports"].closest)


def test_an_activity_with_advice_is_answered_beside_one_without(resolver):
    asked, uncovered, closest = activities(resolver, "vinyasa flow with child's pose")
    assert (asked, uncovered) == (["kneeling_on_pointed_feet"], ["yoga"])
    assert "kneeling_on_pointed_feet" not in closest


def test_nothing_recognised_names_what_matters_for_the_patients_sport(resolver, knowledge):
    limit = knowledge.rules.resolution.closest
    by_sport = knowledge.rules.avoid_today.by_sport
    assert activities(resolver, "can I do it?", "football") == ([], [], list(by_sport["football"][:limit]))
    assert activities(resolver, "can I do it?", None)[2] == list(by_sport["other"][:limit])
