"""The clinicians' alerts on the patient list, each with its reason (knowledge/rules.yml: clinician_alerts): a
patient silent for days, one stuck in a phase while doing the plan, one whose pain is getting worse, one whose
function (an outcome measure) fell by a change that matters. The patient is not told; these are for the clinic to
look at."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from rehab_coach.core import outcomes
from rehab_coach.core.model import CheckIn, OutcomeMeasure, Rules


@dataclass(frozen=True)
class Alert:
    rule: str  # silent, stalled_phase, pain_worsening, function_worse
    reason: str


@dataclass(frozen=True)
class Standing:
    """What the alerts read of one patient."""

    enrolled: date
    last_checkin: date | None
    phase_number: int
    phase_since: date | None  # the first day of the current phase's plans
    adherence: float | None  # 0-1, over the latest check-ins
    recent: Sequence[CheckIn]  # the check-ins of the last pain_worsening.window_days days, oldest first
    scores: Sequence[outcomes.Response] = ()  # the outcome questionnaires with a score, oldest first


def alerts(standing: Standing, today: date, rules: Rules, last_phase: int,
           measures: Mapping[str, OutcomeMeasure]) -> list[Alert]:
    found = []
    silent = (today - (standing.last_checkin or standing.enrolled)).days
    if silent >= rules.reminders.alert_clinician_after_days:
        found.append(Alert("silent", rules.alerts.silent.reason.format(days=silent)))
    stalled = rules.alerts.stalled_phase
    if (standing.phase_number < last_phase and standing.phase_since is not None and standing.adherence is not None
            and (today - standing.phase_since).days >= 7 * stalled.weeks
            and 100 * standing.adherence >= stalled.min_adherence):
        found.append(Alert("stalled_phase", stalled.reason.format(
            phase=standing.phase_number, weeks=(today - standing.phase_since).days // 7,
            adherence=round(100 * standing.adherence))))
    worsening = rules.alerts.pain_worsening
    window = [c.worst_pain for c in standing.recent if c.day > today - timedelta(days=worsening.window_days)]
    if len(window) >= 4:
        half = len(window) // 2
        before, after = (round(sum(part) / half, 1) for part in (window[:half], window[-half:]))
        if after - before >= worsening.min_rise:
            found.append(Alert("pain_worsening", worsening.reason.format(
                before=before, after=after, window_days=worsening.window_days)))
    for measure in measures.values():
        scored = [(r.day, r.score) for r in standing.scores if r.measure == measure.id and r.score is not None]
        if len(scored) < 2:
            continue
        (since, before), (_, after) = scored[-2:]
        if outcomes.change(measure, before, after) == "worse":
            found.append(Alert("function_worse", rules.alerts.function_worse.reason.format(
                measure=measure.name, before=f"{before:g}", after=f"{after:g}", since=since.isoformat())))
    return found
