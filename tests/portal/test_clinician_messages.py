"""A clinician's message to a patient (issue 15), from the patient's page, the API and an acknowledgement: checked,
sent through the real RasaApi to a fake Rasa server, audited without its text, a Rasa failure shown on the page; the
transcript shows it as the clinician's."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from datetime import datetime, timezone

import pytest
from fastapi.testclient import TestClient
from rasa.shared.core.events import BotUttered
from sqlalchemy import insert

from rehab_coach.adapters.storage import Store, make_engine
from rehab_coach.adapters.storage.clinic import Clinic
from rehab_coach.adapters.transcripts import EVENTS
from rehab_coach.addresses import free_port
from rehab_coach.core import contract
from rehab_coach.portal.auth import CSRF_HEADER
from rehab_coach.portal.present import describe, speaker
from rehab_coach.services.clinician_messages import CLINIC, FROM, INTENT, MAX_LENGTH, SEEN, TEXT
from tests.fakes.rasa import Call, FakeRasa
from tests.portal.conftest import Seeded

Client = tuple[TestClient, str]
WORDS = "Rest it today, Ann; I'll call you at 3 about the swelling."


@pytest.fixture
def rasa() -> Iterator[FakeRasa]:
    with FakeRasa().running() as fake:
        yield fake


@pytest.fixture
def chat_url(rasa: FakeRasa) -> str:
    return rasa.url


def sent(sender_id: str, text: str) -> Call:
    """The call that has the Rasa server say `text` to the patient, on the channel they last wrote on."""
    return Call(f"/conversations/{sender_id}/trigger_intent", {"output_channel": "latest", "token": ""},
                {"name": INTENT, "entities": {TEXT: text, FROM: CLINIC}})


def without_token(calls: list[Call]) -> list[Call]:
    return [Call(c.path, {**c.query, "token": ""} if "token" in c.query else c.query, c.body) for c in calls]


def messages_audited(clinic: Clinic) -> list[tuple[str, int | None, str | None]]:
    return [(e.clinician, e.patient_id, e.detail) for e in clinic.audit_events() if e.action == "message"]


def test_a_message_from_the_patients_page_reaches_rasa_and_is_audited_without_its_text(
        clinician_client: Client, seeded: Seeded, rasa: FakeRasa, clinic: Clinic, caplog):
    client, csrf = clinician_client
    ann = seeded.patients["ann"]
    page = client.get(f"/patients/{ann.id}").text
    assert f'action="/patients/{ann.id}/messages"' in page and f'maxlength="{MAX_LENGTH}"' in page
    caplog.set_level(logging.DEBUG)
    done = client.post(f"/patients/{ann.id}/messages", data={"csrf_token": csrf, "text": f"  {WORDS}\n"})
    assert (done.status_code, done.headers["location"]) == (303, f"/patients/{ann.id}?sent=1#message")
    assert without_token(rasa.calls) == [sent(ann.sender_id, WORDS)]  # stripped
    assert rasa.calls[0].query["token"]  # the Rasa server's API token
    assert messages_audited(clinic) == [("dr.ada", ann.id, None)]
    assert not any(WORDS in (event.detail or "") for event in clinic.audit_events())
    assert not any("Rest it today" in record.getMessage() for record in caplog.records)
    assert "Message sent to the patient." in client.get(f"/patients/{ann.id}?sent=1").text


def test_the_api_sends_a_message_like_the_page(clinician_client: Client, seeded: Seeded, rasa: FakeRasa,
                                              clinic: Clinic):
    client, csrf = clinician_client
    ben = seeded.patients["ben"]
    refused = client.post(f"/api/patients/{ben.id}/messages", json={"text": WORDS})  # no CSRF header
    assert refused.status_code == 403 and rasa.calls == []
    answer = client.post(f"/api/patients/{ben.id}/messages", json={"text": WORDS}, headers={CSRF_HEADER: csrf})
    assert (answer.status_code, answer.json()) == (201, {"patient_id": ben.id, "signed": CLINIC})
    assert without_token(rasa.calls) == [sent(ben.sender_id, WORDS)]
    assert messages_audited(clinic) == [("dr.ada", ben.id, None)]


def test_without_a_session_nothing_is_sent(client: TestClient, seeded: Seeded, rasa: FakeRasa, clinic: Clinic):
    ann = seeded.patients["ann"].id
    assert client.post(f"/api/patients/{ann}/messages", json={"text": WORDS}).status_code == 401
    page = client.post(f"/patients/{ann}/messages", data={"text": WORDS})
    assert (page.status_code, page.headers["location"]) == (303, "/login")
    assert rasa.calls == [] and messages_audited(clinic) == []


@pytest.mark.parametrize(("text", "reason"), [
    ("", "The message is empty"), (" \n\t ", "The message is empty"),
    ("x" * (MAX_LENGTH + 1), f"The message has {MAX_LENGTH + 1} characters: at most {MAX_LENGTH} can be sent"),
])
def test_an_empty_or_too_long_message_is_refused_with_the_reason(clinician_client: Client, seeded: Seeded,
                                                                 rasa: FakeRasa, clinic: Clinic, text, reason):
    client, csrf = clinician_client
    ann = seeded.patients["ann"].id
    page = client.post(f"/patients/{ann}/messages", data={"csrf_token": csrf, "text": text})
    assert page.status_code == 400 and reason in page.text and "Nothing was sent" in page.text
    api = client.post(f"/api/patients/{ann}/messages", json={"text": text}, headers={CSRF_HEADER: csrf})
    assert api.status_code == 400 and reason in api.json()["detail"]
    assert rasa.calls == [] and messages_audited(clinic) == []
    assert client.post(f"/patients/{ann}/messages", data={"csrf_token": csrf, "text": "x" * MAX_LENGTH}
                       ).status_code == 303  # the longest that can be sent


def test_a_message_to_nobody_or_without_the_csrf_token_is_not_sent(clinician_client: Client, seeded: Seeded,
                                                                   rasa: FakeRasa):
    client, csrf = clinician_client
    assert client.post("/patients/999999/messages", data={"csrf_token": csrf, "text": WORDS}).status_code == 404
    assert client.post("/api/patients/999999/messages", json={"text": WORDS},
                       headers={CSRF_HEADER: csrf}).status_code == 404
    forged = client.post(f"/patients/{seeded.patients['ann'].id}/messages", data={"csrf_token": "forged",
                                                                                   "text": WORDS})
    assert forged.status_code == 403 and rasa.calls == []


def test_a_rasa_server_that_fails_gives_a_clear_error_and_nothing_else_breaks(clinician_client: Client,
                                                                              seeded: Seeded, rasa: FakeRasa,
                                                                              clinic: Clinic):
    client, csrf = clinician_client
    ann = seeded.patients["ann"].id
    rasa.failing = 500  # e.g. the patient's channel refused the send
    page = client.post(f"/patients/{ann}/messages", data={"csrf_token": csrf, "text": WORDS})
    assert page.status_code == 502
    assert re.search(r'role="alert">The message could not be delivered \(HTTPError 500\): the coach&#39;s server is '
                     r"not running, or the patient&#39;s channel could not send it", page.text)
    api = client.post(f"/api/patients/{ann}/messages", json={"text": WORDS}, headers={CSRF_HEADER: csrf})
    assert api.status_code == 502 and "could not be delivered" in api.json()["detail"]
    assert messages_audited(clinic) == [("dr.ada", ann, "not delivered (HTTPError 500)")] * 2
    assert WORDS not in page.text  # the error does not echo the message either
    assert client.get(f"/patients/{ann}").status_code == 200  # the portal goes on
    rasa.failing = 0
    assert client.post(f"/patients/{ann}/messages", data={"csrf_token": csrf, "text": WORDS}).status_code == 303


@pytest.mark.parametrize("chat_url", [f"http://127.0.0.1:{free_port()}"])  # nothing listens there
def test_a_rasa_server_out_of_reach_gives_a_clear_error(clinician_client: Client, seeded: Seeded, clinic: Clinic):
    client, csrf = clinician_client
    ann = seeded.patients["ann"].id
    page = client.post(f"/patients/{ann}/messages", data={"csrf_token": csrf, "text": WORDS})
    assert page.status_code == 502 and "could not be delivered (URLError)" in page.text
    assert messages_audited(clinic) == [("dr.ada", ann, "not delivered (URLError)")]


def test_acknowledging_a_serious_escalation_can_tell_the_patient_the_clinic_has_seen_it(
        clinician_client: Client, seeded: Seeded, rasa: FakeRasa, clinic: Clinic, store: Store):
    client, csrf = clinician_client
    ann = seeded.patients["ann"]
    urgent, routine = (e["id"] for e in seeded.escalations[ann.id])
    page = client.get(f"/patients/{ann.id}").text
    checkbox = f'name="tell_patient" value="true"> Tell the patient "{SEEN}"'
    assert page.count(checkbox) == 1  # the urgent one's form; the routine one has none
    assert page.index(checkbox) < page.index(f'id="escalation-{routine}"')

    done = client.post(f"/patients/{ann.id}/escalations/{urgent}/acknowledge",
                       data={"csrf_token": csrf, "tell_patient": "true"})
    assert (done.status_code, done.headers["location"]) == (303, f"/patients/{ann.id}?sent=1#escalation-{urgent}")
    assert store.escalation(urgent).acknowledged_by == "dr.ada"
    assert without_token(rasa.calls) == [sent(ann.sender_id, SEEN)]
    assert messages_audited(clinic) == [("dr.ada", ann.id, f"escalation {urgent}")]

    client.post(f"/patients/{ann.id}/escalations/{routine}/acknowledge", data={"csrf_token": csrf})
    assert store.escalation(routine).acknowledged and len(rasa.calls) == 1  # not ticked: not told


def test_an_acknowledgement_stands_when_telling_the_patient_fails(clinician_client: Client, seeded: Seeded,
                                                                 rasa: FakeRasa, store: Store):
    client, csrf = clinician_client
    ann = seeded.patients["ann"].id
    urgent = seeded.escalations[ann][0]["id"]
    rasa.failing = 503
    page = client.post(f"/patients/{ann}/escalations/{urgent}/acknowledge",
                       data={"csrf_token": csrf, "tell_patient": "true"})
    assert page.status_code == 502
    assert "The escalation is acknowledged. The message could not be delivered" in page.text
    assert store.escalation(urgent).acknowledged_by == "dr.ada"


def test_the_transcript_shows_a_clinicians_message_as_the_clinicians(clinician_client: Client, seeded: Seeded,
                                                                     tracker_url: str):
    client, _ = clinician_client
    ann = seeded.patients["ann"]
    payload = contract.clinician_message(WORDS, CLINIC)
    said = BotUttered(f"Message from your clinic: {WORDS}", {"custom": payload},
                      timestamp=datetime(2025, 3, 10, 9, tzinfo=timezone.utc).timestamp())
    engine = make_engine(tracker_url)
    with engine.begin() as connection:
        connection.execute(insert(EVENTS), [{"sender_id": ann.sender_id, "type_name": "bot",
                                             "timestamp": said.timestamp, "data": json.dumps(said.as_dict())}])
    engine.dispose()
    transcript = client.get(f"/api/patients/{ann.id}/transcript").json()
    assert [m["sender"] for m in transcript] == ["user", "bot", "user", "bot", "bot", "clinician"]
    assert transcript[-1]["custom"] == payload
    page = client.get(f"/patients/{ann.id}/transcript").text
    item = page.split('<li class="clinician">')[1].split("</li>")[0]
    assert '<span class="who">Clinician</span>' in item and "Rest it today, Ann" in item
    assert 'Clinician&#39;s message from the portal, signed &#34;your clinic&#34;' in item
    assert page.count('<span class="who">Coach</span>') == 3  # the coach's own messages stay the coach's


def test_payloads_and_speakers_read_as_a_clinicians_message():
    payload = contract.clinician_message(WORDS, CLINIC)
    assert describe(payload).heading == 'Clinician\'s message from the portal, signed "your clinic"'
    assert speaker({"sender": "bot", "text": WORDS, "custom": payload}) == "clinician"
    assert speaker({"sender": "bot", "text": WORDS, "custom": {**payload, "kind": "notice"}}) == "bot"
    assert speaker({"sender": "user", "text": WORDS, "custom": payload}) == "user"  # a patient cannot pose as one
