"""The clinic's notices of serious escalations in the portal: the overview lists those that could not be delivered
(given up after the rules' retries, no channel configured, or late), the patient page says where each stands."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from rehab_coach.adapters.clinic_channels import SlackWebhook
from rehab_coach.adapters.storage.notifications import NotificationStore
from rehab_coach.core.knowledge import default_knowledge
from rehab_coach.core.model import Escalation
from rehab_coach.services.notifications import ClinicNotifier
from tests.fakes.slack import FakeSlack
from tests.portal.conftest import Seeded

URGENT = Escalation("urgent", ("Numbness that stays needs same-day care.",), ("numb_foot",))
EMERGENCY = Escalation("emergency", ("A hot swollen calf needs emergency care.",), ("dvt",))


@pytest.fixture
def notices(engine, store, seeded: Seeded) -> dict[str, int]:
    """Ann's notice given up (Slack failing), Ben's delivered, Eve's without a channel, Cal's late (no scheduler),
    Dee's just made; the escalation of each, by name."""
    now = datetime.now(timezone.utc)
    waits = default_knowledge().rules.notifications.retry_minutes
    started = now - timedelta(minutes=sum(waits) + 5)
    ids = {name: store.save_escalation(seeded.patients[name].id, escalation, "my foot is numb", at, notify=True)
           for name, escalation, at in [("ann", URGENT, started), ("ben", EMERGENCY, started),
                                        ("eve", URGENT, now - timedelta(minutes=4)),
                                        ("cal", URGENT, now - timedelta(minutes=3)), ("dee", URGENT, now)]}
    rules, portal = default_knowledge().rules.notifications, "https://portal.example"
    with FakeSlack().running() as slack:
        slack.fail_next = [500]
        notifier = ClinicNotifier(NotificationStore(engine), [SlackWebhook(slack.url)], rules, portal)
        notifier.run_round(started)
        slack.failing = 500
        at = started
        for wait in waits:
            at += timedelta(minutes=wait)
            notifier.run_round(at)
    ClinicNotifier(NotificationStore(engine), [], rules, portal).run_round(now - timedelta(minutes=4))
    return ids


def test_the_overview_lists_the_notices_that_could_not_be_delivered_and_why(clinician_client, seeded, notices):
    client, _ = clinician_client
    page = client.get("/").text
    section = page[page.index("Notifications not delivered"):page.index("</section>")]
    shown = [(name, section.index(f'href="/patients/{seeded.patients[name].id}#escalation-{notices[name]}"'))
             for name in ("ann", "eve", "cal") if f"#escalation-{notices[name]}" in section]
    assert [name for name, _ in sorted(shown, key=lambda found: found[1])] == ["cal", "eve", "ann"]  # newest first
    attempts = len(default_knowledge().rules.notifications.retry_minutes) + 1
    assert f"not delivered: gave up after {attempts} attempts (slack: HTTP 500)" in section
    assert "not delivered: no notification channel configured" in section
    assert "not sent yet: waiting for the scheduler" in section
    for delivered_or_new in ("ben", "dee"):
        assert f"#escalation-{notices[delivered_or_new]}" not in section
    assert "numb" not in section  # the clinic's list says who and how urgently, not what


def test_the_patient_page_says_where_each_escalations_notice_stands(clinician_client, seeded, notices):
    client, _ = clinician_client
    assert "clinic notified (slack)" in client.get(f"/patients/{seeded.patients['ben'].id}").text
    ann = client.get(f"/patients/{seeded.patients['ann'].id}").text
    assert "not delivered: gave up after" in ann
    assert ann.count('class="notification"') == 1  # her routine and seeded escalations have no notice


def test_an_acknowledged_escalation_leaves_the_list_and_the_api_lists_the_same(clinician_client, seeded, notices):
    client, csrf = clinician_client
    listed = client.get("/api/notifications/undelivered").json()
    assert [(n["patient_id"], n["escalation_id"]) for n in listed] == [
        (seeded.patients[name].id, notices[name]) for name in ("cal", "eve", "ann")]
    assert listed[-1]["status"].startswith("not delivered: gave up") and listed[-1]["delivered_by"] == []
    answer = client.post(f"/api/escalations/{notices['ann']}/acknowledge", headers={"X-CSRF-Token": csrf})
    assert answer.status_code == 200, answer.text
    assert [n["patient_id"] for n in client.get("/api/notifications/undelivered").json()] == [
        seeded.patients["cal"].id, seeded.patients["eve"].id]
    assert f"#escalation-{notices['ann']}" not in client.get("/").text
