"""The pain trend chart: rest, exercise and morning pain over time as a small, accessible SVG. Pure."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from html import escape

from rehab_coach.core.model import PAIN_RANGE, CheckIn

# (field, legend label, colour, dash pattern): lines differ by dash as well as colour, so the chart reads
# without colour vision too; each colour has at least 4.5:1 contrast on white.
SERIES = (
    ("pain_rest", "At rest", "#1f4e9c", ""),
    ("pain_exercise", "During exercise", "#a33a00", "6 3"),
    ("pain_morning", "On waking", "#1b6e20", "2 3"),
)
WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 40, 16, 36, 40
PHASE_COLOUR = "#555555"


@dataclass(frozen=True)
class PhaseChange:
    """The day a patient's plans moved to another phase (the first plan counts as entering its phase)."""

    day: date
    phase_number: int


def phase_changes(plans: Iterable[tuple[date, int]]) -> list[PhaseChange]:
    """Where the phase differs from the previous plan's, from (day, phase_number) pairs in day order."""
    changes: list[PhaseChange] = []
    for day, number in plans:
        if not changes or changes[-1].phase_number != number:
            changes.append(PhaseChange(day, number))
    return changes


def pain_chart(checkins: Sequence[CheckIn], changes: Sequence[PhaseChange] = (), title: str = "Pain over time") -> str:
    """The chart as an SVG document fragment; an explanatory placeholder when there are no check-ins."""
    label = escape(title)
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" '
            f'role="img" aria-label="{label}" class="pain-chart"><title>{label}</title>')
    if not checkins:
        return (f'{head}<desc>No check-ins yet.</desc>'
                f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle" font-size="14" fill="#333">'
                "No check-ins yet</text></svg>")
    first, last = checkins[0].day, checkins[-1].day
    parts = [head, f"<desc>{escape(_description(checkins, changes))}</desc>", _axes(first, last), _legend()]
    parts += [_phase_marker(change, first, last) for change in changes if first <= change.day <= last]
    parts += [_series(checkins, field, name, colour, dash, first, last) for field, name, colour, dash in SERIES]
    parts.append("</svg>")
    return "".join(parts)


def x_of(day: date, first: date, last: date) -> float:
    """The horizontal position of `day`; a single day sits in the middle."""
    span = (last - first).days
    inner = WIDTH - LEFT - RIGHT
    if span == 0:
        return round(LEFT + inner / 2, 1)
    return round(LEFT + inner * (day - first).days / span, 1)


def y_of(pain: int) -> float:
    """The vertical position of a 0-10 pain score (10 at the top)."""
    low, high = PAIN_RANGE
    inner = HEIGHT - TOP - BOTTOM
    return round(TOP + inner * (high - pain) / (high - low), 1)


def _description(checkins: Sequence[CheckIn], changes: Sequence[PhaseChange]) -> str:
    latest = checkins[-1]
    text = (f"{len(checkins)} check-ins from {checkins[0].day.isoformat()} to {latest.day.isoformat()}. "
            f"Latest: rest {latest.pain_rest}, exercise {latest.pain_exercise}, morning {latest.pain_morning}.")
    if changes:
        text += " Phase changes: " + ", ".join(f"phase {c.phase_number} on {c.day.isoformat()}" for c in changes) + "."
    return text


def _axes(first: date, last: date) -> str:
    low, high = PAIN_RANGE
    grid = []
    for pain in range(low, high + 1, 2):
        y = y_of(pain)
        grid.append(f'<line x1="{LEFT}" y1="{y}" x2="{WIDTH - RIGHT}" y2="{y}" stroke="#d0d0d0" stroke-width="1"/>'
                    f'<text x="{LEFT - 6}" y="{y + 4}" text-anchor="end" font-size="11" fill="#333">{pain}</text>')
    baseline = HEIGHT - BOTTOM + 16
    dates = [f'<text x="{LEFT}" y="{baseline}" font-size="11" fill="#333">{first.isoformat()}</text>']
    if last != first:
        dates.append(f'<text x="{WIDTH - RIGHT}" y="{baseline}" text-anchor="end" font-size="11" fill="#333">'
                     f"{last.isoformat()}</text>")
    return f'<g aria-hidden="true">{"".join(grid)}{"".join(dates)}</g>'


def _legend() -> str:
    items, x = [], LEFT
    for _, name, colour, dash in SERIES:
        items.append(f'<line x1="{x}" y1="14" x2="{x + 24}" y2="14" stroke="{colour}" stroke-width="2.5"'
                     f'{_dash(dash)}/><text x="{x + 30}" y="18" font-size="12" fill="#222">{name}</text>')
        x += 150
    items.append(f'<line x1="{x}" y1="6" x2="{x}" y2="22" stroke="{PHASE_COLOUR}" stroke-dasharray="4 3"/>'
                 f'<text x="{x + 6}" y="18" font-size="12" fill="#222">Phase change</text>')
    return f'<g class="legend">{"".join(items)}</g>'


def _phase_marker(change: PhaseChange, first: date, last: date) -> str:
    x = x_of(change.day, first, last)
    return (f'<g class="phase-change"><title>Phase {change.phase_number} from {change.day.isoformat()}</title>'
            f'<line x1="{x}" y1="{TOP - 6}" x2="{x}" y2="{HEIGHT - BOTTOM}" stroke="{PHASE_COLOUR}" '
            f'stroke-dasharray="4 3"/><text x="{x + 3}" y="{TOP - 8}" font-size="11" fill="#222">'
            f"P{change.phase_number}</text></g>")


def _series(checkins: Sequence[CheckIn], field: str, name: str, colour: str, dash: str,
            first: date, last: date) -> str:
    points = [(x_of(c.day, first, last), y_of(getattr(c, field)), c) for c in checkins]
    line = " ".join(f"{x},{y}" for x, y, _ in points)
    dots = "".join(f'<circle cx="{x}" cy="{y}" r="3" fill="{colour}"><title>{c.day.isoformat()}: {name.lower()} '
                   f"{getattr(c, field)}</title></circle>" for x, y, c in points)
    return (f'<g class="series" data-series="{field}"><polyline points="{line}" fill="none" stroke="{colour}" '
            f'stroke-width="2"{_dash(dash)}/>{dots}</g>')


def _dash(pattern: str) -> str:
    return f' stroke-dasharray="{pattern}"' if pattern else ""
