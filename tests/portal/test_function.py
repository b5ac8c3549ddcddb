"""Outcome measures in the portal: a patient's PSFS over time with the changes that matter marked (2 points on the
mean, 3 on one activity, against the first score), the licensed ones not configured, and an alert when the latest
score fell by its important difference."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

from fastapi.testclient import TestClient

from rehab_coach.adapters.storage import Store
from rehab_coach.core.outcomes import Response
from tests.portal.conftest import TODAY, Seeded

ACTIVITIES = ("relevé", "jumps", "pointe")


def psfs(store: Store, patient_id: int, weeks_ago: int, answers: tuple, score: float | None) -> None:
    store.save_response(patient_id, Response("psfs", TODAY - timedelta(weeks=weeks_ago), ACTIVITIES, answers, score))


def function_rows(page: str) -> list[list[str]]:
    section = page.split('id="function"')[1].split("<h2")[0]
    psfs_table = section.split("</table>")[0]
    return [[" ".join(unescape(re.sub(r"<[^>]+>", " ", cell)).split()) for cell in
             re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", psfs_table.split("<tbody>")[1], re.S)]


def test_the_psfs_trend_marks_the_changes_that_matter(clinician_client: tuple[TestClient, str], store: Store,
                                                      seeded: Seeded):
    client, _ = clinician_client
    ann = seeded.patients["ann"]
    psfs(store, ann.id, 3, (2, 3, 4), 3.0)
    psfs(store, ann.id, 2, (5, 3, None), 4.0)  # relevé up 3: matters; the mean by 1: not yet; pointe skipped
    psfs(store, ann.id, 1, (6, 5, 5), 5.3)  # the mean up 2.3: matters
    page = client.get(f"/patients/{ann.id}").text
    assert function_rows(page) == [
        [str(TODAY - timedelta(weeks=3)), "relevé: 2 jumps: 3 pointe: 4", "3", ""],
        [str(TODAY - timedelta(weeks=2)), "relevé: 5 better jumps: 3 pointe: skipped", "4", ""],
        [str(TODAY - timedelta(weeks=1)), "relevé: 6 better jumps: 5 pointe: 5", "5.3", "better"],
    ]
    section = page.split('id="function"')[1].split("<h2")[0]
    for licensed in ("FAAM ADL", "FAAM Sports", "LEFS"):
        heading = section.split(f"({licensed})</h3>")[1]
        assert heading.lstrip().startswith('<p class="muted">Not configured')


def test_a_function_score_worse_by_its_important_difference_is_alerted_on_the_list(
        clinician_client: tuple[TestClient, str], store: Store, seeded: Seeded):
    client, _ = clinician_client
    ben = seeded.patients["ben"]
    psfs(store, ben.id, 2, (7, 7, 7), 7.0)
    psfs(store, ben.id, 1, (5, 4, 6), 5.0)
    api = {p["id"]: p for p in client.get("/api/patients").json()["patients"]}
    assert {a["rule"]: a["reason"] for a in api[ben.id]["alerts"]}["function_worse"] == (
        f"Patient-Specific Functional Scale (PSFS) down from 7 to 5 since {TODAY - timedelta(weeks=2)}")
