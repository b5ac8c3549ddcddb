"""The portal benchmark runs end to end (tiny sizes here; `./coach portal-bench` uses 10,000 x 365)."""

from __future__ import annotations

import re

import pytest

from rehab_coach.portal_bench import main

pytestmark = pytest.mark.slow


def test_the_portal_benchmark_prints_its_three_figures(capsys):
    assert main(patients=40, days=10) == 0
    printed = capsys.readouterr().out
    assert "seeded 40 patients x 10 days = 400 check-ins" in printed
    assert re.search(r"patient list \(first page of 40\): +\d+ ms median", printed)
    assert re.search(r"patient page \(10 check-ins and plans\): +\d+ ms median", printed)
    assert re.search(r"CSV export of all check-ins: .* \(\d[\d,]* rows/s\)", printed)
