"""Remote-monitoring days: per patient and calendar month, the days with check-in data, in the patient list (this
month, marked when the payer's threshold is reached) and in the monitoring_days export (every month)."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from datetime import date

import pytest
from fastapi.testclient import TestClient

from rehab_coach.adapters.storage import Store
from tests.portal.conftest import TODAY, Seeded, checkin


def days_by_month(seeded: Seeded) -> dict[tuple[int, str], int]:
    return dict(Counter((pid, value.day.isoformat()[:7]) for pid, values in seeded.checkins.items()
                        for value, _ in values))


def listed(client: TestClient) -> dict[int, tuple[int, bool]]:
    """Each patient on the list's first page: days with data this month, and whether it shows 'reached'."""
    rows = re.findall(r'<tr data-patient="(\d+)">(.*?)</tr>', client.get("/").text, re.S)
    found = {}
    for patient, row in rows:
        days = re.search(r'data-monitoring-days="(\d+)">(.*?)</td>', row, re.S)
        assert days is not None
        found[int(patient)] = (int(days[1]), "reached" in days[2])
    return found


@pytest.mark.parametrize("threshold", [2, 16])
def test_the_list_counts_this_months_days_and_marks_the_threshold(clinician_client: tuple[TestClient, str],
                                                                  seeded: Seeded, monkeypatch: pytest.MonkeyPatch,
                                                                  threshold: int):
    monkeypatch.setenv("MONITORING_DAYS_THRESHOLD", str(threshold))
    client, _ = clinician_client
    month = TODAY.isoformat()[:7]
    expected = {patient.id: days_by_month(seeded).get((patient.id, month), 0) for patient in seeded.patients.values()}
    assert listed(client) == {pid: (days, days >= threshold) for pid, days in expected.items()}
    assert f"at least {threshold} days" in client.get("/").text


def test_a_month_boundary_and_a_second_check_in_the_same_day_count_right(clinician_client: tuple[TestClient, str],
                                                                          store: Store, seeded: Seeded):
    client, _ = clinician_client
    dee = seeded.patients["dee"].id
    last_month = date.fromordinal(TODAY.replace(day=1).toordinal() - 1)
    store.save_checkin(dee, checkin(last_month, 1, 1, 1), "green")
    store.save_checkin(dee, checkin(TODAY, 1, 1, 1), "green")
    store.save_checkin(dee, checkin(TODAY, 2, 2, 2), "green")  # replaces the day's first
    assert listed(client)[dee] == (1, False)
    rows = list(csv.DictReader(io.StringIO(client.get(f"/api/exports/monitoring_days?patient_id={dee}").text)))
    assert rows == [{"patient_id": str(dee), "month": last_month.isoformat()[:7], "days": "1",
                     "reached": "False"},
                    {"patient_id": str(dee), "month": TODAY.isoformat()[:7], "days": "1", "reached": "False"}]


def test_the_export_gives_every_patients_months_and_whether_each_reached_the_threshold(
        clinician_client: tuple[TestClient, str], seeded: Seeded, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("MONITORING_DAYS_THRESHOLD", "3")
    client, _ = clinician_client
    response = client.get("/api/exports/monitoring_days?format=json")
    assert response.status_code == 200
    expected = [{"patient_id": pid, "month": month, "days": days, "reached": days >= 3}
                for (pid, month), days in sorted(days_by_month(seeded).items())]
    assert response.json() == expected
    assert 'href="/api/exports/monitoring_days?format=csv"' in client.get("/exports").text
