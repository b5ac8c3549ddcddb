"""The pain chart: one line per pain score, a marker per phase change, a placeholder without data."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date, timedelta

import pytest

from rehab_coach.core.model import CheckIn
from rehab_coach.portal import charts
from rehab_coach.portal.charts import PhaseChange, pain_chart, phase_changes

SVG = "{http://www.w3.org/2000/svg}"
START = date(2025, 3, 1)


def day(offset: int, rest: int, exercise: int, morning: int) -> CheckIn:
    return CheckIn(day=START + timedelta(days=offset), pain_rest=rest, pain_exercise=exercise, pain_morning=morning,
                   swelling="none", mechanical="none", adherence="all")


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def points(root: ET.Element, field: str) -> list[tuple[float, float]]:
    group = root.find(f"{SVG}g[@data-series='{field}']")
    assert group is not None
    line = group.find(f"{SVG}polyline")
    assert line is not None
    return [(float(x), float(y)) for x, y in (pair.split(",") for pair in line.attrib["points"].split())]


def test_each_pain_score_is_a_line_through_one_point_per_check_in():
    checkins = [day(0, 4, 6, 5), day(1, 2, 4, 3), day(3, 0, 10, 1)]
    root = parse(pain_chart(checkins))
    for field in ("pain_rest", "pain_exercise", "pain_morning"):
        line = points(root, field)
        assert len(line) == 3
        assert [y for _, y in line] == [charts.y_of(getattr(c, field)) for c in checkins]
    xs = [x for x, _ in points(root, "pain_rest")]
    assert xs[0] == charts.LEFT and xs[-1] == charts.WIDTH - charts.RIGHT
    assert xs[1] - xs[0] == pytest.approx((xs[2] - xs[0]) / 3, abs=0.1)  # spaced by date, not by index


def test_higher_pain_is_drawn_higher_and_the_scale_spans_the_plot():
    assert charts.y_of(10) == charts.TOP
    assert charts.y_of(0) == charts.HEIGHT - charts.BOTTOM
    assert charts.y_of(7) < charts.y_of(3)


def test_every_point_names_its_date_and_value_for_screen_readers_and_hover():
    root = parse(pain_chart([day(0, 4, 6, 5)]))
    titles = [t.text for t in root.iter(f"{SVG}title")]
    assert "2025-03-01: during exercise 6" in titles
    assert "2025-03-01: on waking 5" in titles


def test_a_single_check_in_sits_in_the_middle():
    root = parse(pain_chart([day(0, 1, 2, 3)]))
    [(x, _)] = points(root, "pain_morning")
    assert x == charts.LEFT + (charts.WIDTH - charts.LEFT - charts.RIGHT) / 2


def test_phase_changes_are_marked_where_the_phase_moves():
    plans = [(START, 1), (START + timedelta(days=1), 1), (START + timedelta(days=2), 2),
             (START + timedelta(days=3), 2), (START + timedelta(days=4), 1)]
    changes = phase_changes(plans)
    assert changes == [PhaseChange(START, 1), PhaseChange(START + timedelta(days=2), 2),
                       PhaseChange(START + timedelta(days=4), 1)]
    root = parse(pain_chart([day(i, 1, 1, 1) for i in range(5)], changes))
    markers = root.findall(f"{SVG}g[@class='phase-change']")
    assert [m.find(f"{SVG}title").text for m in markers] == [  # type: ignore[union-attr]
        "Phase 1 from 2025-03-01", "Phase 2 from 2025-03-03", "Phase 1 from 2025-03-05"]
    x_positions = [float(m.find(f"{SVG}line").attrib["x1"]) for m in markers]  # type: ignore[union-attr]
    assert x_positions == [charts.x_of(c.day, START, START + timedelta(days=4)) for c in changes]


def test_a_phase_change_outside_the_check_ins_is_not_drawn():
    root = parse(pain_chart([day(0, 1, 1, 1), day(1, 1, 1, 1)], [PhaseChange(START + timedelta(days=9), 2)]))
    assert root.findall(f"{SVG}g[@class='phase-change']") == []


def test_no_check_ins_gives_a_labelled_placeholder():
    root = parse(pain_chart([]))
    assert root.attrib["role"] == "img" and root.attrib["aria-label"] == "Pain over time"
    assert "No check-ins yet" in "".join(root.itertext())
    assert root.find(f"{SVG}g[@data-series='pain_rest']") is None


def test_the_chart_has_a_title_a_description_and_a_legend():
    root = parse(pain_chart([day(0, 1, 2, 3), day(1, 2, 3, 4)], title="Pain <over> time"))
    assert root.find(f"{SVG}title").text == "Pain <over> time"  # type: ignore[union-attr]
    assert root.attrib["aria-label"] == "Pain <over> time"  # escaped in the markup, so it parses back
    assert "2 check-ins from 2025-03-01 to 2025-03-02" in root.find(f"{SVG}desc").text  # type: ignore[operator,union-attr]
    legend = "".join(root.find(f"{SVG}g[@class='legend']").itertext())  # type: ignore[union-attr]
    for label in ("At rest", "During exercise", "On waking", "Phase change"):
        assert label in legend
