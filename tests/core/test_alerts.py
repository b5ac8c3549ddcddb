"""The clinicians' alerts, from knowledge/rules.yml: each fires from its rule's number on, with its reason."""

from __future__ import annotations

import shutil
from datetime import date, timedelta

import pytest
import yaml

from rehab_coach.core.alerts import Standing, alerts
from rehab_coach.core.knowledge import KnowledgeError, default_knowledge, load_knowledge
from rehab_coach.core.model import CheckIn
from rehab_coach.core.outcomes import Response
from rehab_coach.paths import KNOWLEDGE_DIR

KNOWLEDGE = default_knowledge()
RULES = KNOWLEDGE.rules
TODAY = date(2026, 5, 20)


def day(offset: int, worst: int) -> CheckIn:
    on = TODAY - timedelta(days=offset)
    return CheckIn.validated(on, on, pain_rest=0, pain_exercise=worst, pain_morning=0, swelling="none",
                             mechanical="none", adherence="all")


def standing(**changes: object) -> Standing:
    quiet = dict(enrolled=TODAY - timedelta(days=60), last_checkin=TODAY, phase_number=2,
                 phase_since=TODAY - timedelta(days=10), adherence=1.0, recent=())
    return Standing(**{**quiet, **changes})  # type: ignore[arg-type]


def fired(found: Standing) -> dict[str, str]:
    return {alert.rule: alert.reason for alert in alerts(found, TODAY, RULES, KNOWLEDGE.last_phase,
                                                                  KNOWLEDGE.measures)}


def test_a_quiet_patient_has_no_alert():
    assert fired(standing()) == {}


def psfs(offset: int, score: float | None) -> Response:
    return Response("psfs", TODAY - timedelta(days=offset), ("jumps",), (None if score is None else int(score),),
                    score)


@pytest.mark.parametrize(("scores", "reason"), [
    ((psfs(14, 7), psfs(7, 5)), "Patient-Specific Functional Scale (PSFS) down from 7 to 5 since 2026-05-06"),
    ((psfs(14, 7), psfs(7, 6)), None),  # by less than its important difference (2)
    ((psfs(14, 3), psfs(7, 8)), None),  # better
    ((psfs(21, 8), psfs(14, 5), psfs(7, 6)), None),  # the latest against the one before it: it rose again
    ((psfs(14, 7), psfs(7, None)), None),  # no score (nothing rated) is no change
    ((psfs(7, 2),), None),
])
def test_a_functional_score_worse_by_its_important_difference_is_alerted(scores, reason):
    assert fired(standing(scores=scores)).get("function_worse") == reason


def test_silence_alerts_from_the_reminders_number_of_days_counting_from_enrolment_when_never_checked_in():
    days = RULES.reminders.alert_clinician_after_days
    assert fired(standing(last_checkin=TODAY - timedelta(days=days - 1))) == {}
    assert fired(standing(last_checkin=TODAY - timedelta(days=days))) == {"silent": f"No check-in for {days} days"}
    never = standing(last_checkin=None, enrolled=TODAY - timedelta(days=days + 3))
    assert fired(never) == {"silent": f"No check-in for {days + 3} days"}


def test_a_phase_held_for_weeks_while_doing_the_plan_alerts_but_not_the_last_phase_or_a_patient_not_doing_it():
    weeks, share = RULES.alerts.stalled_phase.weeks, RULES.alerts.stalled_phase.min_adherence / 100
    since = TODAY - timedelta(weeks=weeks)
    assert fired(standing(phase_since=since + timedelta(days=1))) == {}
    assert fired(standing(phase_since=since, adherence=share)) == {
        "stalled_phase": f"In phase 2 for {weeks} weeks while doing {round(share * 100)}% of the plan"}
    assert fired(standing(phase_since=since, adherence=share - 0.05)) == {}
    assert fired(standing(phase_since=since, adherence=None)) == {}
    assert fired(standing(phase_since=since, phase_number=KNOWLEDGE.last_phase)) == {}
    assert fired(standing(phase_since=None)) == {}


def test_pain_rising_over_the_window_alerts_from_its_minimum_rise_on_four_check_ins_or_more():
    window, rise = RULES.alerts.pain_worsening.window_days, RULES.alerts.pain_worsening.min_rise
    rising = [day(5, 2), day(4, 2), day(3, 2), day(2, 2 + rise), day(1, 2 + rise), day(0, 2 + rise)]
    assert fired(standing(recent=rising)) == {
        "pain_worsening": f"Worst daily pain up from 2.0 to {2.0 + rise} over the last {window} days"}
    assert fired(standing(recent=[day(5, 2), day(4, 2), day(1, 1 + rise), day(0, 2 + rise)])) == {}  # +1.5
    assert fired(standing(recent=rising[-3:])) == {}  # three check-ins: too few to call a trend
    falling = [day(5, 2 + rise), day(4, 2 + rise), day(3, 2 + rise), day(2, 2), day(1, 2), day(0, 2)]
    assert fired(standing(recent=falling)) == {}
    old = [day(window + n, 0 if n else 9) for n in range(4)]  # outside the window: not read
    assert fired(standing(recent=old + rising[-3:])) == {}


def test_the_check_refuses_a_reason_with_a_placeholder_its_rule_does_not_fill(tmp_path):
    folder = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, folder)
    rules = yaml.safe_load((folder / "rules.yml").read_text())
    rules["clinician_alerts"]["pain_worsening"]["reason"] = "Pain up by {rise}"
    (folder / "rules.yml").write_text(yaml.safe_dump(rules, sort_keys=False))
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(folder)
    assert [p for p in caught.value.problems if "clinician_alerts" in p] == [
        "rules.yml: clinician_alerts: pain_worsening: reason has an unknown placeholder 'rise'"]
