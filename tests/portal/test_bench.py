"""The portal benchmark runs end to end, as `./coach portal-bench` runs it (tiny sizes here)."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from rehab_coach.paths import PROJECT_ROOT

pytestmark = pytest.mark.slow


def test_the_portal_benchmark_prints_its_figures():
    # Its own process, as users run it: the bench serves the portal from a thread of the process.
    done = subprocess.run([sys.executable, "-m", "rehab_coach.cli", "portal-bench", "--patients", "40", "--days", "10"],
                          cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    printed = done.stdout
    assert "seeded 40 patients x 10 days = 400 check-ins" in printed
    assert re.search(r"patient list \(first page of 40\): +\d+ ms median", printed)
    assert re.search(r"patient page \(10 check-ins and plans\): +\d+ ms median", printed)
    assert re.search(r"CSV export of all check-ins: .* \(\d[\d,]* rows/s\)", printed)
    # 10 days: the patient, the check-in's questionnaire, 10 responses, 60 observations, 10 plans; 2 PSFS (days 1 and
    # 8), each a response and its score
    assert re.search(r"FHIR Bundle of the patient with 10 days of check-ins and plans and a PSFS a week: 86 resources",
                     printed)
    assert re.search(r"FHIR export of every patient \(a Bundle a line\): .* \([\d.,]+ patients/s\)", printed)
