"""Exports: CSV and JSON of one patient's or everyone's records, exactly as stored, streamed in chunks."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from rehab_coach.adapters.storage import Store
from rehab_coach.adapters.storage.clinic import EXPORT_FIELDS
from rehab_coach.portal import exports
from rehab_coach.portal.auth import SESSION_COOKIE
from rehab_coach.portal.exports import csv_cell, csv_chunks, json_chunks
from tests.portal.conftest import Seeded, checkin

KINDS = ("checkins", "plans", "escalations")


def expected_rows(seeded: Seeded, kind: str, patient_id: int | None) -> list[dict[str, Any]]:
    """What the fixtures stored, in export order (by patient, then date), with the exports' columns."""
    rows: list[dict[str, Any]] = []
    for pid in sorted(seeded.checkins):
        if patient_id is not None and pid != patient_id:
            continue
        if kind == "checkins":
            rows += [{"patient_id": pid, "day": value.day.isoformat(), **value.values(), "day_class": day_class}
                     for value, day_class in sorted(seeded.checkins[pid], key=lambda pair: pair[0].day)]
        elif kind == "plans":
            rows += [{"patient_id": pid, **plan} for plan in seeded.plans[pid]]
        else:
            for escalation in seeded.escalations[pid]:
                acknowledged = escalation["urgency"] == "emergency"  # the fixture acknowledged Eve's
                rows.append({"patient_id": pid, **escalation,
                             "acknowledged_by": "dr.bob" if acknowledged else None,
                             "acknowledged_at": _hour_after(escalation["created_at"]) if acknowledged else None})
    return [{name: row[name] for name in EXPORT_FIELDS[kind]} for row in rows]


def _hour_after(iso: str) -> str:
    return (datetime.fromisoformat(iso) + timedelta(hours=1)).isoformat()


def as_csv_text(row: dict[str, Any]) -> dict[str, str]:
    return {name: csv_cell(value) for name, value in row.items()}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("one_patient", [True, False])
def test_json_exports_match_the_stored_records_exactly(clinician_client: tuple[TestClient, str], seeded: Seeded,
                                                       kind: str, one_patient: bool):
    client, _ = clinician_client
    patient_id = seeded.patients["ann"].id if one_patient else None
    query = f"?format=json&patient_id={patient_id}" if one_patient else "?format=json"
    response = client.get(f"/api/exports/{kind}{query}")
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    name = f"{kind}-patient-{patient_id}.json" if one_patient else f"{kind}-all.json"
    assert response.headers["content-disposition"] == f'attachment; filename="{name}"'
    assert response.json() == expected_rows(seeded, kind, patient_id)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("one_patient", [True, False])
def test_csv_exports_match_the_stored_records_exactly(clinician_client: tuple[TestClient, str], seeded: Seeded,
                                                      kind: str, one_patient: bool):
    client, _ = clinician_client
    patient_id = seeded.patients["ann"].id if one_patient else None
    query = f"?format=csv&patient_id={patient_id}" if one_patient else "?format=csv"
    response = client.get(f"/api/exports/{kind}{query}")
    assert response.status_code == 200 and response.headers["content-type"] == "text/csv; charset=utf-8"
    reader = csv.DictReader(io.StringIO(response.text))
    assert tuple(reader.fieldnames or ()) == EXPORT_FIELDS[kind]
    assert list(reader) == [as_csv_text(row) for row in expected_rows(seeded, kind, patient_id)]


def test_csv_cells_keep_text_and_json_and_disarm_spreadsheet_formulas(clinician_client: tuple[TestClient, str],
                                                                      seeded: Seeded):
    client, _ = clinician_client
    text = client.get(f"/api/exports/escalations?format=csv&patient_id={seeded.patients['ann'].id}").text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0]["message"] == "<script>alert('pwned')</script> my calf is swollen"
    assert rows[0]["reasons"] == '["urgent reason"]'
    assert rows[1]["message"] == "'=HYPERLINK(\"http://evil\")"  # a formula is shown, never run
    assert csv_cell(None) == "" and csv_cell(3) == "3" and csv_cell("-2 days") == "'-2 days"
    assert csv_cell({"b": 1, "a": [2]}) == '{"a": [2], "b": 1}'


def test_exports_of_an_unknown_patient_or_kind_are_refused(clinician_client: tuple[TestClient, str]):
    client, _ = clinician_client
    assert client.get("/api/exports/checkins?patient_id=9999").status_code == 404
    assert client.get("/api/exports/passwords").status_code == 422
    assert client.get("/api/exports/checkins?format=xlsx").status_code == 422


async def body_messages(app: Any, path: str, query: str, cookie: str) -> list[bytes]:
    """The response body as the ASGI messages the app sends (a test client would join them into one)."""
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.4"}, "http_version": "1.1",
             "method": "GET", "scheme": "http", "path": path, "raw_path": path.encode(), "root_path": "",
             "query_string": query.encode(), "headers": [(b"host", b"testserver"), (b"cookie", cookie.encode())],
             "client": ("127.0.0.1", 50000), "server": ("testserver", 80)}
    await app(scope, receive, send)
    assert sent[0]["status"] == 200
    return [message["body"] for message in sent if message["type"] == "http.response.body" and message["body"]]


@pytest.mark.parametrize("fmt", ["csv", "json"])
async def test_exports_are_streamed_a_chunk_at_a_time(clinician_client: tuple[TestClient, str], store: Store,
                                                      monkeypatch: pytest.MonkeyPatch, fmt: str):
    client, _ = clinician_client
    patient = store.patient("rest", "long-course", date(2020, 1, 1))
    for n in range(120):
        store.save_checkin(patient.id, checkin(date(2020, 1, 1) + timedelta(days=n), 1, 2, 1), "green")
    monkeypatch.setattr(exports, "ROWS_PER_CHUNK", 25)
    cookie = f"{SESSION_COOKIE}={client.cookies[SESSION_COOKIE]}"
    chunks = await body_messages(client.app, "/api/exports/checkins", f"format={fmt}&patient_id={patient.id}", cookie)
    assert len(chunks) >= 120 // 25
    body = b"".join(chunks).decode()
    assert (len(json.loads(body)) if fmt == "json" else len(body.strip().splitlines()) - 1) == 120


def test_the_stream_builders_are_lazy():
    pulled = []

    def rows():
        for n in range(1000):
            pulled.append(n)
            yield {"patient_id": n}

    first = next(csv_chunks(rows(), ("patient_id",)))
    assert first.startswith("patient_id\r\n0\r\n") and len(pulled) == exports.ROWS_PER_CHUNK
    pulled.clear()
    chunks = json_chunks(rows())
    assert next(chunks) == "[" and pulled == []
