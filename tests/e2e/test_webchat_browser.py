"""The patient web chat in headless Chromium against the real servers: click, type, reload, isolate, refuse.

Screenshots and the click-to-reply timings are written to artifacts/webchat/.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Locator, Page, WebSocketRoute, expect

from rehab_coach.adapters.rasa_api import RasaApi
from rehab_coach.adapters.storage import Store, make_engine
from rehab_coach.paths import PROJECT_ROOT
from rehab_coach.services import chat_links, clinician_messages
from rehab_coach.settings import RASA_TOKEN
from tests.browser import chromium, serious_accessibility_problems
from tests.e2e.conftest import Deployment, tampered, token_from

pytestmark = pytest.mark.slow

ARTIFACTS = PROJECT_ROOT / "artifacts" / "webchat"
PHONE = {"width": 375, "height": 667}
# What a patient clicks for each question: onboarding, then a green first check-in.
ANSWERS = {"side": "Left", "sport": "Dance", "diagnosed": "Yes", "pain_rest": "1 out of 10",
           "pain_exercise": "2 out of 10", "pain_morning": "1 out of 10", "swelling": "None",
           "mechanical": "None", "adherence": "All of it"}


@pytest.fixture(scope="module")
def servers(deployment: Deployment):
    with deployment.start() as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=PHONE)
    yield context.new_page()
    context.close()


def messages(page: Page) -> Locator:
    return page.locator("article.rc-msg")


def say(page: Page, text: str) -> None:
    page.get_by_label("Message", exact=True).fill(text)
    page.get_by_role("button", name="Send").click()


OPEN_QUESTION = "[role=group][data-field]:has(button:enabled)"  # a question waiting for an answer


def open_question(page: Page) -> str | None:
    """The field of the question waiting for an answer, once the bot has settled."""
    groups = page.locator(OPEN_QUESTION)
    return groups.last.get_attribute("data-field") if groups.count() else None


def settled(page: Page) -> None:
    """Wait until the bot's turn ends on a question to answer or on the plan card (a turn's messages may
    arrive apart: the form's question comes after the action server has answered)."""
    expect(page.locator(f"{OPEN_QUESTION}, article[data-kind=plan]").first).to_be_visible(timeout=30_000)


def wait_for_reply(page: Page, seen: int) -> None:
    expect(messages(page).nth(seen)).to_be_visible(timeout=30_000)
    page.wait_for_timeout(300)  # the rest of the turn's messages arrive together


def check_in_by_clicking(page: Page) -> list[float]:
    """Say hi, then click every answer until the plan card appears; the click-to-reply times (ms)."""
    say(page, "hi")
    settled(page)
    timings = []
    while not page.locator("article[data-kind=plan]").count():
        field = open_question(page)
        assert field in ANSWERS, f"no answerable question on the page (last: {field}): {texts(page)[-3:]}"
        seen = messages(page).count()
        started = time.perf_counter()
        page.locator(f"[role=group][data-field={field}]").last.get_by_role(
            "button", name=ANSWERS[field], exact=True).click()
        expect(messages(page).nth(seen + 1)).to_be_visible(timeout=30_000)  # the answer, then a bot reply
        timings.append((time.perf_counter() - started) * 1000)
        settled(page)
    return timings


def texts(page: Page) -> list[str]:
    return [text.strip() for text in messages(page).locator(".rc-text").all_inner_texts()]


def test_a_patient_completes_onboarding_and_a_check_in_by_clicking_and_sees_it_again_after_reload(
        page: Page, servers, deployment: Deployment):
    _, link = deployment.enrol()
    page.goto(link)
    timings = check_in_by_clicking(page)
    card = page.locator("article[data-kind=plan]")
    expect(card).to_contain_text("Today's plan")
    expect(card).to_contain_text("Phase 1")
    expect(card.locator("li").first).to_be_visible()
    page.screenshot(path=ARTIFACTS / "chat-phone.png")
    page.set_viewport_size({"width": PHONE["width"], "height": 4000})  # the whole card, not the scrolled part
    card.screenshot(path=ARTIFACTS / "plan-card.png")
    page.screenshot(path=ARTIFACTS / "conversation.png")
    page.set_viewport_size(PHONE)
    (ARTIFACTS / "click-to-reply-ms.json").write_text(json.dumps(
        {"clicks": len(timings), "median_ms": round(statistics.median(timings)), "max_ms": round(max(timings)),
         "all_ms": [round(t) for t in timings]}, indent=1))

    before = texts(page)
    page.reload()
    expect(page.locator("article[data-kind=plan]")).to_be_visible(timeout=15_000)
    assert texts(page) == before
    # answered questions stay answered: only the activity ratings offered after the check-in are open
    assert open_question(page) == "questionnaire_now"
    page.locator("[role=group][data-field=questionnaire_now]").last.get_by_role("button", name="No").click()
    expect(messages(page).last).to_contain_text("I'll ask again after your next check-in")
    assert open_question(page) is None


def test_the_check_in_works_by_keyboard_alone(page: Page, servers, deployment: Deployment):
    _, link = deployment.enrol()
    page.goto(link)
    expect(page.get_by_role("log", name="Conversation")).to_be_visible()
    for _ in range(10):
        if focused_label(page) == "Message":
            break
        page.keyboard.press("Tab")
    assert focused_label(page) == "Message"
    page.keyboard.type("hi")
    page.keyboard.press("Enter")
    settled(page)
    while not page.locator("article[data-kind=plan]").count():
        field = open_question(page)
        assert field in ANSWERS
        seen = messages(page).count()
        for _ in range(15):  # the new question took the focus; Tab along its answers
            if focused_label(page) == ANSWERS[field]:
                break
            page.keyboard.press("Tab")
        assert focused_label(page) == ANSWERS[field]
        page.keyboard.press("Enter")
        expect(messages(page).nth(seen + 1)).to_be_visible(timeout=30_000)
        settled(page)
    expect(page.locator("article[data-kind=plan]")).to_contain_text("Today's plan")


def test_a_message_sent_before_the_chat_connects_is_kept_and_sent_once_it_does(page: Page, servers,
                                                                              deployment: Deployment):
    held: list[WebSocketRoute] = []
    page.route_web_socket("**/socket.io/**", lambda ws: ws.connect_to_server() if held else held.append(ws))
    _, link = deployment.enrol()
    page.goto(link)
    expect(page.get_by_role("button", name="Send")).to_be_visible()
    say(page, "hi")  # the first connection is held open and silent: the widget is still connecting
    expect(page.get_by_role("status").filter(has_text="will be sent")).to_be_visible()
    expect(page.get_by_label("Message", exact=True)).to_have_value("")
    assert messages(page).count() == 0
    held[0].close()  # the client reconnects, and this time reaches the server
    settled(page)
    assert texts(page)[0] == "hi"


def focused_label(page: Page) -> str | None:
    """The accessible label of the focused element, looking inside shadow roots."""
    return page.evaluate("""() => {
        let el = document.activeElement;
        while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
        if (!el) return null;
        if (el.getAttribute('aria-label')) return el.getAttribute('aria-label');
        if (el.labels && el.labels.length) return el.labels[0].textContent.trim();
        return el.textContent.trim();
    }""")


def test_another_patients_browser_neither_sees_nor_receives_the_conversation(
        browser: Browser, servers, deployment: Deployment):
    (_, first_link), (_, second_link) = deployment.enrol(), deployment.enrol()
    first, second = browser.new_context(viewport=PHONE), browser.new_context(viewport=PHONE)
    mine, theirs = first.new_page(), second.new_page()
    mine.goto(first_link)
    say(mine, "hi")
    wait_for_reply(mine, 1)
    theirs.goto(second_link)
    expect(theirs.get_by_role("log", name="Conversation")).to_be_visible()
    seen = messages(mine).count()
    mine.locator("[role=group][data-field=side]").get_by_role("button", name="Right", exact=True).click()
    wait_for_reply(mine, seen + 1)
    theirs.wait_for_timeout(1000)
    assert messages(theirs).count() == 0
    first.close()
    second.close()


@pytest.mark.parametrize("make_link", ["tampered", "expired", "missing"])
def test_a_tampered_expired_or_missing_link_is_refused(page: Page, servers, deployment: Deployment, make_link):
    patient, link = deployment.enrol()
    url, expected = {
        "tampered": (f"{servers.rasa_url}/chat/#token={tampered(token_from(link))}", chat_links.INVALID),
        "expired": (f"{servers.rasa_url}/chat/#token={deployment.expired_token(patient)}", chat_links.EXPIRED),
        "missing": (f"{servers.rasa_url}/chat/", chat_links.MISSING),
    }[make_link]
    page.goto(url)
    expect(page.get_by_role("alert").filter(has_text=expected)).to_be_visible(timeout=15_000)
    expect(page.get_by_label("Message", exact=True)).to_be_disabled()
    assert messages(page).count() == 0


def test_a_clinicians_message_reaches_the_open_chat_as_the_clinics_then_the_question_again(
        page: Page, servers, deployment: Deployment):
    patient, link = deployment.enrol()
    page.goto(link)
    say(page, "hi")
    settled(page)
    clinician_messages.send(RasaApi(servers.rasa_url, deployment.env[RASA_TOKEN]), patient.sender_id,
                            "See you on Tuesday.")
    message = page.locator("article[data-kind=clinician_message]")
    expect(message).to_contain_text("Message from your clinic: See you on Tuesday.", timeout=30_000)
    expect(message.locator(".rc-sr")).to_have_text("Your clinic:")  # what a screen reader announces: not the coach
    settled(page)
    assert open_question(page) == "side"  # onboarding asks its question again


def test_a_red_flag_shows_the_urgent_banner_and_no_exercise(page: Page, servers, deployment: Deployment):
    _, link = deployment.enrol()
    page.goto(link)
    say(page, "hi")
    wait_for_reply(page, 1)
    say(page, "my calf is swollen, red and hot and it hurts to walk")
    banner = page.locator("[role=alert][data-urgency]")
    expect(banner).to_be_visible(timeout=30_000)
    assert banner.get_attribute("data-urgency") in {"emergency", "urgent"}
    expect(banner).to_contain_text("now" if banner.get_attribute("data-urgency") == "emergency" else "today")
    banner.screenshot(path=ARTIFACTS / "escalation-banner.png")
    assert page.locator("article[data-kind=plan]").count() == 0


def test_the_page_has_no_serious_accessibility_violations_and_fits_a_phone(
        page: Page, servers, deployment: Deployment):
    _, link = deployment.enrol()
    page.goto(link)
    check_in_by_clicking(page)
    say(page, "how am I doing?")
    expect(page.locator("article[data-kind=progress]")).to_be_visible(timeout=30_000)
    assert not serious_accessibility_problems(page)
    assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")


def test_the_chat_page_is_served_with_a_strict_policy(page: Page, servers):
    response = page.goto(f"{servers.rasa_url}/chat/")
    assert response is not None and response.ok
    headers = response.headers
    assert "default-src 'self'" in headers["content-security-policy"]
    assert headers["referrer-policy"] == "no-referrer"


def test_the_browsers_time_zone_becomes_the_patients(browser: Browser, servers, deployment: Deployment):
    patient, link = deployment.enrol()
    context = browser.new_context(viewport=PHONE, timezone_id="Asia/Tokyo")
    page = context.new_page()
    page.goto(link)
    say(page, "when is my reminder?")
    wait_for_reply(page, 1)
    expect(messages(page).nth(1)).to_contain_text("Asia/Tokyo")
    assert Store(make_engine(deployment.database_url)).patient_by_id(patient.id).timezone == "Asia/Tokyo"
    context.close()
