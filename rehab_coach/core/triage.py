"""Safety triage: a message's red flags, a check-in and the history -> see a professional (and how soon), or None."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from statistics import median

from rehab_coach.core.engine import DayResult, follow_course
from rehab_coach.core.knowledge import flag_reason
from rehab_coach.core.model import URGENCIES, CheckIn, Escalation, Knowledge, ReferralRule, Urgency
from rehab_coach.core.redflags import Findings

Finding = tuple[Urgency, str, str]  # urgency, patient-facing reason, trigger id


def flagged(flag_id: str, knowledge: Knowledge, *also: str) -> Escalation:
    """The escalation one red flag calls for on its own (`also`: further trigger ids, e.g. the safety check)."""
    flag = next(f for f in knowledge.red_flags if f.id == flag_id)
    return Escalation(flag.urgency, (flag_reason(flag, knowledge.rules.referral),), (flag.id, *also))


def _text_findings(findings: Findings, knowledge: Knowledge) -> list[Finding]:
    referral = knowledge.rules.referral
    return [(f.red_flag.urgency, flag_reason(f.red_flag, referral), f.red_flag.id) for f in findings.fired]


def _course_findings(course: Sequence[DayResult], knowledge: Knowledge) -> list[Finding]:
    """Routine referrals from the latest check-in and the course so far (knowledge/rules.yml: referral)."""
    rules = knowledge.rules.referral
    latest = course[-1]
    today = latest.checkin.day
    weeks_in = (today - course[0].checkin.day).days // 7
    catching, reds = rules.persistent_mechanical, rules.repeated_red
    fired = {
        "mechanical_immediate": latest.checkin.mechanical in rules.mechanical_immediate.values,
        "persistent_mechanical": _count_in_window(
            course, today, catching, lambda r: r.checkin.mechanical in catching.values
        ),
        "repeated_red": _count_in_window(course, today, reds, lambda r: r.classification.day_class == "red"),
        "flare_not_settling": _flare_not_settling(course, knowledge),
        "no_improvement": weeks_in >= rules.no_improvement.weeks and _not_improving(course, rules.no_improvement),
        "unresolved": weeks_in >= rules.unresolved.weeks and latest.state.phase < knowledge.last_phase,
    }
    return [("routine", getattr(rules, name).message(), name) for name, hit in fired.items() if hit]


def _count_in_window(
    course: Sequence[DayResult], today: date, rule: ReferralRule, hit: Callable[[DayResult], bool]
) -> bool:
    return sum(hit(r) for r in course if 0 <= (today - r.checkin.day).days < rule.window_days) >= rule.count


def _flare_not_settling(course: Sequence[DayResult], knowledge: Knowledge) -> bool:
    """Morning pain still above its pre-flare level `flare_not_settling_days` after the last red day."""
    reds = [i for i, r in enumerate(course) if r.classification.day_class == "red"]
    if not reds:
        return False
    flare = reds[-1]
    before = course[max(0, flare - knowledge.rules.day.baseline_checkins):flare]
    if not before:
        return False
    baseline = min(r.checkin.pain_morning for r in before)
    since = course[flare + 1:]
    days = (course[-1].checkin.day - course[flare].checkin.day).days
    settled = any(r.checkin.pain_morning <= baseline for r in since)
    return days >= knowledge.rules.referral.flare_not_settling.days and not settled


def _not_improving(course: Sequence[DayResult], rule: ReferralRule) -> bool:
    """Worst daily pain has not fallen by the meaningful amount since the first week, and is not already low."""
    drop = rule.min_pain_drop
    first_day, last_day = course[0].checkin.day, course[-1].checkin.day
    start = median(r.checkin.worst_pain for r in course if (r.checkin.day - first_day).days < 7)
    now = median(r.checkin.worst_pain for r in course if (last_day - r.checkin.day).days < 7)
    return now >= drop and start - now < drop


def triage(
    said: Findings | None = None,
    checkin: CheckIn | None = None,
    history: Sequence[CheckIn] = (),
    *,
    knowledge: Knowledge,
) -> Escalation | None:
    """The most urgent escalation that a message's red flags (`said`: the detector's findings), today's
    check-in or the course call for, or None.

    The reasons are those of the most urgent level found; `triggers` names every finding.
    """
    checkins = [*history, checkin] if checkin else list(history)
    return triage_course(said, follow_course(checkins, knowledge), knowledge=knowledge)


def triage_course(said: Findings | None, course: Sequence[DayResult], *, knowledge: Knowledge) -> Escalation | None:
    """`triage` on a course already replayed (`follow_course`; empty: no course to judge)."""
    findings = _text_findings(said, knowledge) if said else []
    if course:
        findings += _course_findings(course, knowledge)
    if not findings:
        return None
    urgency = min((f[0] for f in findings), key=URGENCIES.index)
    reasons = tuple(dict.fromkeys(reason for level, reason, _ in findings if level == urgency))
    return Escalation(urgency, reasons, tuple(dict.fromkeys(f[2] for f in findings)))
