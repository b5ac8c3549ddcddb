"""A clinician answers (issue 15), end to end: in headless Chromium on the portal that runner.serve starts beside the
real Rasa and action servers, a clinician writes to a patient in the middle of their check-in; the Rasa server says
the message as the clinic's and asks the check-in's question again, the check-in goes on, and the transcript shows
the message as the clinician's. Acknowledging the patient's urgent escalation with "tell the patient" reaches them
too. Screenshots go to artifacts/portal/."""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Iterator
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, Page, expect

from rehab_coach.adapters.storage import Store, make_engine
from rehab_coach.adapters.storage.clinic import Clinic
from rehab_coach.paths import PROJECT_ROOT
from rehab_coach.services.accounts import hash_password
from rehab_coach.services.clinician_messages import CLINIC, SEEN
from tests.browser import chromium, serious_accessibility_problems
from tests.conftest import say
from tests.e2e.conftest import Chat, Deployment, last_question, payloads
from tests.e2e.test_conversation import DAY0, GREEN, answer, finish_questions, start

pytestmark = pytest.mark.slow

ARTIFACTS = PROJECT_ROOT / "artifacts" / "portal"
PASSWORD = "a live test password"
WORDS = "Your physio here: keep the band exercises gentle today, and I'll call you at 3."
ALARM = "my calf is swollen and hot and really tender"


def events(chat: Chat, sender: str) -> list[dict]:
    url = f"{chat.servers.rasa_url}/conversations/{sender}/tracker?token={chat.servers.token}"
    with urllib.request.urlopen(url, timeout=10) as response:
        return list(json.loads(response.read())["events"])


def since_the_clinic_wrote(chat: Chat, sender: str) -> list[dict]:
    """The conversation's events from the latest turn the portal started (trigger_intent) on."""
    found = events(chat, sender)
    started = max(n for n, e in enumerate(found) if e["event"] == "user" and e.get("text", "").startswith("EXTERNAL: "))
    return found[started:]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with chromium() as launched:
        yield launched


def logged_in(chat: Chat, browser: Browser) -> Page:
    assert chat.servers.portal_url
    Clinic(make_engine(chat.database_url)).add_clinician("dr.live", hash_password(PASSWORD))
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(f"{chat.servers.portal_url}/login")
    page.get_by_label("Name").fill("dr.live")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Patients", exact=True)).to_be_visible()
    return page


def test_a_clinicians_message_mid_check_in_is_said_then_the_question_again(chat: Chat, browser: Browser,
                                                                          deployment: Deployment):
    sender, day1 = "answered-by-the-clinic", DAY0 + timedelta(days=1)
    start(chat, sender)
    assert last_question(chat.say(sender, "check in", day1)) == "pain_rest"
    assert last_question(chat.say(sender, answer("pain_rest", GREEN), day1)) == "pain_exercise"
    patient = Store(make_engine(chat.database_url)).find_patient("rest", sender)

    page = logged_in(chat, browser)
    page.goto(f"{chat.servers.portal_url}/patients/{patient.id}")
    page.get_by_label("Message (at most").fill(WORDS)
    page.screenshot(path=ARTIFACTS / "message-form.png", full_page=True)
    page.get_by_role("button", name="Send to the patient").click()
    expect(page.get_by_role("status")).to_have_text("Message sent to the patient.")
    assert serious_accessibility_problems(page) == []

    # The Rasa server said it as the clinic's, then the check-in's question again.
    turn = since_the_clinic_wrote(chat, sender)
    said = [e for e in turn if e["event"] == "bot"]
    assert [e["data"]["custom"] for e in said] == [
        {"kind": "clinician_message", "text": WORDS, "from": CLINIC},
        {"kind": "question", "field": "pain_exercise", "type": "scale", "min": 0, "max": 10}]
    assert said[0]["text"] == say("utter_clinician_message", message_text=WORDS, message_from=CLINIC)
    actions = [e["name"] for e in turn if e["event"] == "action"]
    assert actions[-3:] == ["action_clinician_message", "checkin_form", "action_listen"]
    assert not any(e["event"] == "slot" and e["name"] == "pain_exercise" for e in turn)  # not read as an answer

    # The check-in goes on where it was and records the day.
    replies = chat.say(sender, answer("pain_exercise", GREEN), day1)
    assert last_question(replies) == "pain_morning"
    replies = finish_questions(chat, sender, day1, replies, GREEN)
    assert payloads(replies, "checkin_recorded")[-1]["values"] == GREEN

    # The transcript shows the message as the clinician's, the audit log who sent it and not what it said.
    page.get_by_role("link", name="Conversation transcript").click()
    clinician = page.locator("ol.transcript > li.clinician")
    expect(clinician).to_have_count(1)
    expect(clinician.locator(".who")).to_have_text("Clinician")
    expect(clinician).to_contain_text(WORDS)
    assert serious_accessibility_problems(page) == []
    page.screenshot(path=ARTIFACTS / "clinician-message.png", full_page=True)
    api = page.request.get(f"{chat.servers.portal_url}/api/patients/{patient.id}/transcript").json()
    assert [m["sender"] for m in api if m.get("custom", {}) and m["custom"]["kind"] == "clinician_message"] == [
        "clinician"]
    page.goto(f"{chat.servers.portal_url}/audit")
    row = page.locator("tbody tr", has=page.get_by_role("cell", name="message", exact=True))
    expect(row).to_contain_text("dr.live")
    expect(row).to_contain_text(str(patient.id))
    assert WORDS not in page.content()

    # Acknowledging the patient's urgent escalation, ticked to tell them, reaches them too.
    assert payloads(chat.say(sender, ALARM, day1), "escalation")
    page.goto(f"{chat.servers.portal_url}/patients/{patient.id}")
    page.get_by_label(f'Tell the patient "{SEEN}"').check()
    page.locator("tr[id^=escalation-]").screenshot(path=ARTIFACTS / "acknowledge-and-tell.png")
    page.get_by_role("button", name=re.compile("^Acknowledge the (emergency|urgent) escalation")).click()
    expect(page.get_by_role("status")).to_have_text("Message sent to the patient.")
    said = [e for e in since_the_clinic_wrote(chat, sender) if e["event"] == "bot"]
    assert [e["data"]["custom"] for e in said] == [{"kind": "clinician_message", "text": SEEN, "from": CLINIC}]
    page.context.close()
    logs = sorted((deployment.folder / "logs").iterdir())
    assert logs and not [log.name for log in logs if WORDS in log.read_text(errors="replace")]  # no server logged it
