"""Invariants that hold for any course of check-ins (property-based, hypothesis)."""

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rehab_coach.engine import follow_course, plan_for_today
from rehab_coach.knowledge import default_knowledge
from rehab_coach.model import ADHERENCE, MECHANICAL, SWELLING, CheckIn, Patient
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
    for planned in plan.exercises:
        assert not set(planned.exercise.involves) & set(plan.avoid)
        for activity in planned.exercise.involves:
            assert KNOWLEDGE.activities[activity].verdicts[phase_id] != "avoid"
    for activity in KNOWLEDGE.activities.values():
        if activity.verdicts[phase_id] == "avoid":
            assert activity.id in plan.avoid


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
