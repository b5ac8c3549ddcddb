"""Schemathesis against the portal's OpenAPI description, logged in: no generated request gets a 5xx."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    allow_header_conformance,
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from rehab_coach.portal.auth import CSRF_HEADER, SESSION_COOKIE
from tests.fakes.rasa import FakeRasa
from tests.portal.conftest import Seeded


@pytest.fixture
def chat_url() -> Iterator[str]:
    """A fake Rasa server takes the messages the fuzzer sends patients (no call leaves the machine)."""
    with FakeRasa().running() as rasa:
        yield rasa.url


@pytest.fixture
def credentials(clinician_client: tuple[TestClient, str], seeded: Seeded) -> dict[str, str]:
    """A logged-in clinician's cookie and CSRF header, on a database with patients in it."""
    client, csrf = clinician_client
    return {"Cookie": f"{SESSION_COOKIE}={client.cookies[SESSION_COOKIE]}", CSRF_HEADER: csrf}


@pytest.fixture
def api_schema(app: FastAPI, credentials: dict[str, str]):
    return schemathesis.openapi.from_asgi("/api/openapi.json", app, headers=credentials)


schema = schemathesis.pytest.from_fixture("api_schema")
# No 5xx, and every answer as the description says. (Refusals without a session or CSRF token are tested in
# test_auth.py: here every request carries both, which schemathesis's own auth checks cannot take away.)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance, allow_header_conformance]


@schema.parametrize()
@settings(max_examples=25, suppress_health_check=list(HealthCheck))
def test_no_generated_request_makes_the_api_fail(case, credentials: dict[str, str]):
    case.call_and_validate(headers=credentials, checks=CHECKS)
