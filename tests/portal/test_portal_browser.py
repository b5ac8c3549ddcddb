"""The portal in headless Chromium, served by its own process (`python -m rehab_coach.portal`): log in, find the
urgent patient first, open their page with the chart, read the transcript, acknowledge, log out; the patient list's
alerts and monitoring days.

Screenshots go to artifacts/portal/.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from rehab_coach.adapters.storage import Store
from rehab_coach.adapters.storage.clinic import Clinician
from rehab_coach.core.outcomes import Response
from rehab_coach.paths import PROJECT_ROOT
from rehab_coach.runner import wait_until_up
from rehab_coach.services.chat_links import KEY_NAME
from tests.browser import chromium, serious_accessibility_problems
from tests.e2e.conftest import free_port
from tests.portal.conftest import PASSWORD, TODAY, Seeded, checkin

pytestmark = pytest.mark.slow

ARTIFACTS = PROJECT_ROOT / "artifacts" / "portal"
THRESHOLD = min(TODAY.day, 7)  # monitoring days: Ann, who checked in on each of the last 7 days, reaches it


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only: the browser sees the same pages on either database, and the server is a process of its own."""
    from rehab_coach.adapters.storage import upgrade

    url = f"sqlite:///{tmp_path / 'app.sqlite3'}"
    upgrade(url)
    return url


@pytest.fixture
def portal_env() -> dict[str, str]:
    """The portal's own settings, beside the databases' (a test parametrizes this)."""
    return {}


@pytest.fixture
def portal_url(database_url: str, tracker_url: str, seeded: Seeded, clinician: Clinician, portal_env: dict[str, str],
               tmp_path: Path) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "TRACKER_DATABASE_URL": tracker_url,
           KEY_NAME: "browser-test-chat-key-" + "y" * 20, **portal_env}
    with (tmp_path / "portal.log").open("w") as log:
        process = subprocess.Popen([sys.executable, "-m", "rehab_coach.portal", "--port", str(port)],
                                   cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            url = f"http://127.0.0.1:{port}"
            wait_until_up(f"{url}/login", process, timeout=60)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=20)


@pytest.fixture
def browser() -> Iterator[Browser]:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with chromium() as launched:
        yield launched


def test_a_clinician_logs_in_opens_the_urgent_patient_and_reads_the_transcript(portal_url: str, browser: Browser,
                                                                               seeded: Seeded):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    page.goto(f"{portal_url}/patients/{seeded.patients['ann'].id}")
    expect(page).to_have_url(f"{portal_url}/login")  # not logged in: to the login page
    expect(page.get_by_role("heading", name="Rehab Coach · clinician log in")).to_be_visible()
    assert serious_accessibility_problems(page) == []
    page.screenshot(path=ARTIFACTS / "login.png")
    page.get_by_label("Name").fill("dr.ada")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("heading", name="Patients", exact=True)).to_be_visible()
    first_row = page.locator("tbody tr").first
    expect(first_row).to_contain_text("1 urgent")
    assert serious_accessibility_problems(page) == []
    page.screenshot(path=ARTIFACTS / "patient-list.png", full_page=True)

    first_row.get_by_role("link").click()
    chart = page.get_by_role("img", name=f"Pain over time, patient {seeded.patients['ann'].id}")
    expect(chart).to_be_visible()
    assert chart.locator("polyline").count() == 3 and chart.locator("g.phase-change").count() == 2
    expect(page.locator("td.text").first).to_have_text("<script>alert('pwned')</script> my calf is swollen")
    assert serious_accessibility_problems(page) == []
    page.screenshot(path=ARTIFACTS / "patient-page.png", full_page=True)

    page.get_by_role("button", name="Acknowledge the urgent escalation", exact=False).click()
    expect(page.get_by_role("heading", name="Escalations (1 open)")).to_be_visible()
    expect(page.locator(f"#escalation-{seeded.escalations[seeded.patients['ann'].id][0]['id']}")).to_contain_text(
        "dr.ada")

    page.get_by_role("link", name="Conversation transcript").click()
    transcript = page.locator("ol.transcript > li")
    expect(transcript).to_have_count(5)
    expect(transcript.nth(2)).to_contain_text("<script>alert('pwned')</script> my calf is swollen")
    expect(page.locator(".payload[data-kind=plan]")).to_contain_text("Calf stretch on a step")
    assert serious_accessibility_problems(page) == []
    page.screenshot(path=ARTIFACTS / "transcript.png", full_page=True)
    assert dialogs == []  # the patient's <script> never ran

    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(f"{portal_url}/login")
    page.goto(f"{portal_url}/")
    expect(page).to_have_url(f"{portal_url}/login")
    context.close()


def logged_in(browser: Browser, portal_url: str) -> tuple[BrowserContext, Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{portal_url}/login")
    page.get_by_label("Name").fill("dr.ada")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    return context, page


@pytest.mark.parametrize("portal_env", [{"MONITORING_DAYS_THRESHOLD": str(THRESHOLD)}])
def test_the_patient_list_shows_alerts_with_their_reasons_and_the_monitoring_days_reached(
        portal_url: str, browser: Browser, store: Store, seeded: Seeded):
    gus = store.patient("socketio", "web-gus", TODAY - timedelta(days=10))  # silent since enrolment
    fay = store.patient("socketio", "web-fay", TODAY - timedelta(days=5))
    for n, worst in zip(range(5, -1, -1), (2, 2, 2, 5, 5, 5), strict=True):  # pain rising
        store.save_checkin(fay.id, checkin(TODAY - timedelta(days=n), 0, worst, 0), "green")
    hal = store.patient("socketio", "web-hal", TODAY - timedelta(days=20))
    store.save_checkin(hal.id, checkin(TODAY, 1, 2, 1), "green")
    for weeks, score in ((2, 7), (1, 4)):  # PSFS down by more than its important difference
        store.save_response(hal.id, Response("psfs", TODAY - timedelta(weeks=weeks), ("jumps",), (score,), score))
    context, page = logged_in(browser, portal_url)

    expect(page.get_by_role("columnheader", name="Alerts")).to_be_visible()
    expect(page.locator(f"tr[data-patient='{gus.id}'] .alert")).to_have_text(["No check-in for 10 days"])
    expect(page.locator(f"tr[data-patient='{fay.id}'] .alert")).to_have_text(
        ["Worst daily pain up from 2.0 to 5.0 over the last 7 days"])
    expect(page.locator(f"tr[data-patient='{hal.id}'] .alert")).to_have_text(
        [f"Patient-Specific Functional Scale (PSFS) down from 7 to 4 since {TODAY - timedelta(weeks=2)}"])
    ann = page.locator(f"tr[data-patient='{seeded.patients['ann'].id}'] td[data-monitoring-days]")
    expect(ann).to_have_text(f"{THRESHOLD} reached")
    expect(ann.locator(".badge.reached")).to_be_visible()
    assert serious_accessibility_problems(page) == []
    page.screenshot(path=ARTIFACTS / "patient-list-alerts.png", full_page=True)
    context.close()


def test_the_patient_page_shows_the_psfs_trend_with_the_changes_that_matter(portal_url: str, browser: Browser,
                                                                             store: Store, seeded: Seeded):
    ann = seeded.patients["ann"]
    activities = ("relevé", "jumps", "pointe")
    for weeks, answers, score in ((3, (2, 3, 4), 3.0), (2, (5, 3, None), 4.0), (1, (6, 5, 5), 5.3)):
        store.save_response(ann.id, Response("psfs", TODAY - timedelta(weeks=weeks), activities, answers, score))
    context, page = logged_in(browser, portal_url)
    page.goto(f"{portal_url}/patients/{ann.id}#function")

    table = page.get_by_role("table", name="Patient-Specific Functional Scale (PSFS), oldest first")
    expect(table.locator("tbody tr")).to_have_count(3)
    expect(table.locator("tbody tr").nth(1)).to_contain_text("relevé: 5 better")
    expect(table.locator("tbody tr").nth(1)).to_contain_text("pointe: skipped")
    expect(table.locator("tbody tr").nth(2).locator("td").last).to_have_text("better")
    expect(page.get_by_text("Not configured").first).to_be_visible()
    assert serious_accessibility_problems(page) == []
    page.screenshot(path=ARTIFACTS / "patient-function.png", full_page=True)
    context.close()
