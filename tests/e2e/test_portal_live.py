"""The clinician portal that runner.serve starts beside the Rasa server reads what Rasa really stored."""

from __future__ import annotations

import re

import httpx
import pytest

from rehab_coach.adapters.storage import make_engine
from rehab_coach.adapters.storage.clinic import Clinic
from rehab_coach.portal.auth import CSRF_HEADER
from rehab_coach.services.accounts import hash_password
from tests.e2e.conftest import Chat, payloads
from tests.e2e.test_conversation import DAY0, start

pytestmark = pytest.mark.slow

PASSWORD = "a live test password"
ALARM = "<b>help</b> my calf is swollen and hot and really tender"


def test_a_clinician_reads_a_real_conversation_and_acknowledges_its_escalation(chat: Chat):
    sender = "portal-patient"
    start(chat, sender)
    assert payloads(chat.say(sender, ALARM, DAY0), "escalation")
    Clinic(make_engine(chat.database_url)).add_clinician("dr.live", hash_password(PASSWORD))
    assert chat.servers.portal_url
    with httpx.Client(base_url=chat.servers.portal_url, follow_redirects=False) as client:
        login = client.get("/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', login).group(1)  # type: ignore[union-attr]
        response = client.post("/login", data={"username": "dr.live", "password": PASSWORD, "csrf_token": token})
        assert response.status_code == 303
        csrf = client.get("/api/session").json()["csrf_token"]

        [patient] = client.get("/api/patients").json()["patients"]
        assert patient["top_urgency"] in ("emergency", "urgent") and patient["last_checkin"] == DAY0.date().isoformat()
        transcript = client.get(f"/api/patients/{patient['id']}/transcript").json()
        assert transcript[0]["sender"] == "user" and transcript[0]["text"] == "hi"
        kinds = {message["custom"]["kind"] for message in transcript if message.get("custom")}
        assert {"question", "checkin_recorded", "plan", "escalation"} <= kinds
        page = client.get(f"/patients/{patient['id']}/transcript").text
        assert "&lt;b&gt;help&lt;/b&gt;" in page and "<b>help</b>" not in page
        assert "Question: side" in page and "Plan for 2026-03-02" in page

        detail = client.get(f"/api/patients/{patient['id']}").json()
        [escalation] = [e for e in detail["escalations"] if e["message"] == ALARM]
        done = client.post(f"/api/escalations/{escalation['id']}/acknowledge", headers={CSRF_HEADER: csrf}).json()
        assert done["acknowledged"] and done["escalation"]["acknowledged_by"] == "dr.live"
        exported = client.get(f"/api/exports/checkins?format=json&patient_id={patient['id']}").json()
        assert [row["day"] for row in exported] == [DAY0.date().isoformat()]
