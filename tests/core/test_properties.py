"""Invariants that hold for any course of check-ins (property-based, hypothesis)."""

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rehab_coach.core.engine import follow_course, plan_for_today
from rehab_coach.core.knowledge import default_knowledge
from rehab_coach.core.model import ADHERENCE, MECHANICAL, SPORTS, SWELLING, CheckIn, Patient
from tests.builders import START
from tests.conftest import urgency

KNOWLEDGE = default_knowledge()
PATIENT = Patient(enrolled=START)
pain = st.integers(0, 10)


@st.composite
def histories(draw, max_days: int = 60):
    """Check-ins on increasing days (gaps allowed), with any values; skewed towards green days."""
    offsets = sorted(draw(st.sets(st.integers(0, max_days), max_size=max_days)))
    quiet = st.integers(0, 3)
    checkins = []
    for offset in offsets:
        calm = draw(st.booleans())
        checkins.append(CheckIn(
            START + timedelta(days=offset),
            draw(quiet if calm else pain), draw(quiet if calm else pain), draw(quiet if calm else pain),
            "none" if calm else draw(st.sampled_from(SWELLING)),
            "none" if calm else draw(st.sampled_from(MECHANICAL)),
            draw(st.sampled_from(ADHERENCE)),
        ))
    return checkins


PROPERTY = settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(histories())
def test_a_red_day_never_progresses_the_phase(history):
    previous = 1
    for result in follow_course(history, KNOWLEDGE):
        if result.classification.day_class == "red":
            assert result.status != "progress"
            assert result.state.phase <= previous
        previous = result.state.phase


@PROPERTY
@given(histories())
def test_phase_numbers_stay_in_range_and_move_one_step_at_a_time(history):
    previous = 1
    for result in follow_course(history, KNOWLEDGE):
        assert 1 <= result.state.phase <= KNOWLEDGE.last_phase
        assert abs(result.state.phase - previous) <= 1
        previous = result.state.phase


@PROPERTY
@given(histories(), st.integers(0, 70))
def test_no_avoided_exercise_or_activity_is_ever_planned(history, offset):
    plan = plan_for_today(PATIENT, history, START + timedelta(days=offset), KNOWLEDGE)
    phase_id = plan.phase.id
    for planned in plan.exercises + plan.more_exercises:
        assert not set(planned.exercise.involves) & set(plan.avoid)
        for activity in planned.exercise.involves:
            assert KNOWLEDGE.activities[activity].verdicts[phase_id] != "avoid"
    for activity in KNOWLEDGE.activities.values():
        if activity.verdicts[phase_id] == "avoid":
            assert activity.id in plan.avoid


SESSION = KNOWLEDGE.rules.session
KIND_OF = {exercise: kind.id for kind in SESSION.kinds for exercise in kind.exercises}
patients = st.builds(Patient, enrolled=st.just(START), sport=st.sampled_from([*SPORTS, None]))


@PROPERTY
@given(histories(), st.integers(0, 70), patients)
def test_a_session_never_holds_more_than_the_cap_and_keeps_each_kinds_minimum(history, offset, patient):
    plan = plan_for_today(patient, history, START + timedelta(days=offset), KNOWLEDGE)
    assert len(plan.exercises) <= SESSION.max_exercises
    assert len(plan.exercises) == min(SESSION.max_exercises, len(plan.exercises) + len(plan.more_exercises))
    today = [KIND_OF[p.exercise.id] for p in plan.exercises]
    programme = today + [KIND_OF[p.exercise.id] for p in plan.more_exercises]
    for kind in SESSION.kinds:
        assert today.count(kind.id) >= min(kind.min_per_day, programme.count(kind.id))


@PROPERTY
@given(histories(), st.integers(0, 20), st.booleans())
def test_every_exercise_of_the_programme_is_planned_in_any_cover_days_in_a_row(history, gap, check_in):
    """Any run of cover_days days in one phase, without a flare: checking in (amber days hold the phase) or not."""
    last = max((c.day for c in history), default=START)
    first = last + timedelta(days=KNOWLEDGE.rules.flare.protect_days + gap)  # past any flare from the history
    window = [first + timedelta(days=n) for n in range(SESSION.cover_days)]
    amber = [CheckIn(d, 0, 4, 1, "none", "none", "all") for d in window] if check_in else []
    plans = [plan_for_today(PATIENT, history + amber, d, KNOWLEDGE) for d in window]
    assert len({(p.phase.number, p.avoid) for p in plans}) == 1  # one phase, one programme
    programme = {p.exercise.id for p in plans[0].exercises + plans[0].more_exercises}
    assert programme == {e.id for e in KNOWLEDGE.exercises.values() if plans[0].phase.id in e.dosage}
    assert {p.exercise.id for plan in plans for p in plan.exercises} == programme


@PROPERTY
@given(histories(), st.integers(0, 70), patients, st.randoms(use_true_random=False))
def test_the_same_history_and_date_always_give_the_same_plan(history, offset, patient, rng):
    today = START + timedelta(days=offset)
    shuffled = rng.sample(history, len(history))
    assert plan_for_today(patient, history, today, KNOWLEDGE) == plan_for_today(patient, shuffled, today, KNOWLEDGE)


def _phrases_that_fire_alone() -> list[str]:
    """Every plain phrase (no alternatives, gaps or exact-word marks) of a concept that raises a red flag on
    its own, unless the concept is itself a negation ("no pulse", "nobody has diagnosed it")."""
    alone = {trigger[0] for flag in KNOWLEDGE.red_flags for trigger in flag.triggers
             if len(trigger) == 1 and "+" not in trigger[0] and "<" not in trigger[0] and ">" not in trigger[0]
             and "negated" not in flag.counts_when}
    return sorted(phrase for concept in alone for phrase in KNOWLEDGE.findings[concept]
                  if not set(phrase) & set("|.=") and phrase.split()[0] not in NEGATIVE_WORDS)


NEGATIVE_WORDS = {"no", "not", "can", "could", "unable", "nothing", "never", "nobody", "none", "lost", "loss"}


@PROPERTY
@given(st.sampled_from(_phrases_that_fire_alone()),
       st.sampled_from(["no {}", "I don't have {}", "never had {}", "there is no {}", "without {}",
                        "No {} at all today", "I haven't had {}"]))
def test_negated_symptoms_never_escalate(phrase, template):
    text = template.format(phrase)
    assert urgency(text) is None, text


@PROPERTY
@given(st.sampled_from(_phrases_that_fire_alone()))
def test_every_symptom_phrase_escalates_when_stated(phrase):
    assert urgency(f"today I noticed {phrase}") is not None, phrase
