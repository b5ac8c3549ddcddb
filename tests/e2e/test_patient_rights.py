"""Right of access and right to erasure against the real servers: `./coach patient-export` gives the patient's
whole record; `./coach patient-delete` leaves nothing of them in any table of either database, nor in the running
Rasa server's memory, and their chat link stops working. The audit log keeps who, when and the number."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest
from fhir.resources.bundle import Bundle
from sqlalchemy import inspect, text

from rehab_coach import cli
from rehab_coach.adapters.storage import Store, make_engine
from rehab_coach.adapters.storage.clinic import Clinic
from rehab_coach.services.accounts import hash_password
from tests.e2e.conftest import Chat, token_from
from tests.e2e.test_conversation import GREEN, check_in, start
from tests.e2e.test_webchat_socket import Browserless

pytestmark = pytest.mark.slow

WORDS = "my zebrafish ankle burns behind the bone"  # words nobody else says, to search for afterwards
SENDER = "rights-patient"


@pytest.fixture
def environment(deployment, monkeypatch):
    """The command line on this deployment's databases and secrets, acting as clinician dr.eve."""
    for name, value in deployment.env.items():
        monkeypatch.setenv(name, value)
    if Clinic(make_engine(deployment.database_url)).login_record("dr.eve") is None:
        Clinic(make_engine(deployment.database_url)).add_clinician("dr.eve", hash_password("x" * 16))


def rows_mentioning(url: str, needles: list[str]) -> list[tuple[str, str]]:
    """(table, row) of every row, in every table of the database, whose text holds one of the needles."""
    engine = make_engine(url)
    found = []
    with engine.connect() as connection:
        for table in inspect(engine).get_table_names():
            for row in connection.execute(text(f'SELECT * FROM "{table}"')):
                line = " ".join(str(value) for value in row)
                found += [(table, line) for needle in needles if needle in line]
    return found


def patient_rows(url: str, patient_id: int) -> dict[str, int]:
    """How many rows of each table other than the audit log point at the patient."""
    engine = make_engine(url)
    counts = {}
    with engine.connect() as connection:
        for table in inspect(engine).get_table_names():
            columns = {c["name"] for c in inspect(engine).get_columns(table)}
            key = "id" if table == "patients" else "patient_id" if "patient_id" in columns else None
            if key and table != "audit_log":
                counts[table] = connection.execute(text(f'SELECT COUNT(*) FROM "{table}" WHERE {key} = :p'),
                                                   {"p": patient_id}).scalar_one()
    return counts


def test_a_patient_gets_their_whole_record_then_is_erased_without_a_trace(chat: Chat, deployment, environment,
                                                                         tmp_path: Path, capsys):
    start(chat, SENDER)
    check_in(chat, SENDER, datetime(2026, 3, 3, 8, 30), GREEN)
    chat.say(SENDER, f"{WORDS}, and my calf is swollen, hot and red", datetime(2026, 3, 3, 9, 0))
    patient = Store(make_engine(deployment.database_url)).find_patient("rest", SENDER)
    assert patient is not None and rows_mentioning(deployment.env["TRACKER_DATABASE_URL"], [WORDS])

    url = chat.servers.rasa_url
    assert cli.main(["patient-export", str(patient.id), "--by", "dr.eve", "--url", url, "--to", str(tmp_path)]) == 0
    record = json.loads((tmp_path / f"patient-{patient.id}-record.json").read_text())
    assert record["patient"]["sender_id"] == SENDER and record["patient"]["profile"]["sport"] == "dance"
    assert len(record["checkins"]) == 2 and record["plans"] and record["escalations"][0]["message"].startswith(WORDS)
    assert any(m["text"].startswith(WORDS) for m in record["transcript"] if m["sender"] == "user")
    page = (tmp_path / f"patient-{patient.id}-record.html").read_text()
    assert WORDS in page and "Your Rehab Coach record" in page
    assert (tmp_path / f"patient-{patient.id}-record.json").stat().st_mode & 0o777 == 0o600
    assert cli.main(["fhir-export", str(patient.id), "--by", "dr.eve", "--url", url, "--to", str(tmp_path)]) == 0
    standard = tmp_path / f"patient-{patient.id}.fhir.json"
    bundle = Bundle.parse_raw(standard.read_text())  # every resource validated
    found = Counter(entry.resource.resource_type for entry in bundle.entry)
    assert (found["QuestionnaireResponse"], found["Observation"], found["Flag"], found["Communication"]) == (
        2, 12, 1, 1)
    assert standard.stat().st_mode & 0o777 == 0o600

    assert cli.main(["patient-delete", str(patient.id), "--by", "dr.eve", "--url", url, "--yes"]) == 0
    assert "did not confirm" not in capsys.readouterr().err  # the running server dropped its copy too
    for database in (deployment.database_url, deployment.env["TRACKER_DATABASE_URL"]):
        assert rows_mentioning(database, [SENDER, WORDS, "zebrafish"]) == []
    assert set(patient_rows(deployment.database_url, patient.id).values()) == {0}
    with make_engine(deployment.database_url).connect() as connection:
        audit = connection.execute(text("SELECT action, detail FROM audit_log WHERE patient_id = :p"),
                                   {"p": patient.id}).all()
    assert ("erase", None) in audit and ("export_record", None) in audit

    # The same sender writing again is a new conversation: nothing of the old one comes back from memory.
    chat.say(SENDER, "hi", datetime(2026, 3, 4, 8, 30))
    assert rows_mentioning(deployment.env["TRACKER_DATABASE_URL"], [WORDS, "zebrafish"]) == []


async def test_an_erased_patients_chat_link_stops_working(chat: Chat, deployment, environment):
    patient, link = deployment.enrol()
    visitor = Browserless(chat.servers.rasa_url)
    assert await visitor.open(token_from(link)) == patient.sender_id
    await visitor.say("hi", until_kind="question")
    await visitor.close()
    assert cli.main(["patient-delete", str(patient.id), "--by", "dr.eve", "--url", chat.servers.rasa_url,
                     "--yes"]) == 0
    assert "not valid" in await Browserless(chat.servers.rasa_url).refusal(token_from(link))
