"""Accounts, sessions and CSRF: only logged-in clinicians get anything, and only from their own pages."""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta, timezone

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from rehab_coach import cli
from rehab_coach.adapters.storage import Store
from rehab_coach.adapters.storage.clinic import Clinic, Clinician
from rehab_coach.adapters.storage.tables import ClinicianRow, ClinicianSessionRow
from rehab_coach.portal import auth
from rehab_coach.services import accounts as accounts_service
from rehab_coach.services.accounts import Accounts
from tests.portal.conftest import PASSWORD, Seeded, form_token, log_in

SECURITY_HEADERS = {
    "content-security-policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
                               "frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}


def concrete(path: str) -> str:
    """A route's path with every parameter filled in."""
    return re.sub(r"\{[^}]+\}", "1", path)


def test_a_clinician_logs_in_with_the_right_password_and_out_again(client: TestClient, clinician: Clinician,
                                                                   engine: Engine):
    csrf = log_in(client)
    assert client.get("/").status_code == 200
    assert "dr.ada" in client.get("/").text
    response = client.post("/logout", data={"csrf_token": csrf})
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert client.get("/").headers["location"] == "/login"
    assert client.get("/api/session").status_code == 401
    with engine.connect() as connection:  # the session is gone server-side, not only from the browser
        assert connection.execute(select(func.count()).select_from(ClinicianSessionRow)).scalar_one() == 0


def test_the_session_cookie_is_http_only_strict_and_holds_no_stored_value(client: TestClient, clinician: Clinician,
                                                                          engine: Engine):
    token = form_token(client.get("/login").text)
    response = client.post("/login", data={"username": "dr.ada", "password": PASSWORD, "csrf_token": token})
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith(auth.SESSION_COOKIE + "="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain http (a local run): a Secure cookie would never come back
    value = cookie.split(";")[0].split("=", 1)[1]
    with engine.connect() as connection:
        stored = connection.execute(select(ClinicianSessionRow.token_hash)).scalar_one()
    assert stored == accounts_service.token_hash(value) != value


def test_over_https_the_cookies_are_secure(app: FastAPI, clinician: Clinician):
    with TestClient(app, base_url="https://portal.example", follow_redirects=False) as client:
        page = client.get("/login")
        assert "Secure" in page.headers["set-cookie"]
        response = client.post("/login", data={"username": "dr.ada", "password": PASSWORD,
                                               "csrf_token": form_token(page.text)})
        session_cookie = next(c for c in response.headers.get_list("set-cookie")
                              if c.startswith(auth.SESSION_COOKIE + "="))
        assert "Secure" in session_cookie


def test_wrong_passwords_in_a_row_lock_the_name_for_a_while(app: FastAPI, clinician: Clinician):
    accounts, now = app.state.accounts, datetime.now(timezone.utc)
    for _ in range(accounts_service.MAX_FAILED_LOGINS):
        assert accounts.authenticate("dr.ada", "a wrong password!", now) is None
    assert accounts.authenticate("dr.ada", PASSWORD, now) is None  # the right password, but locked
    later = now + accounts_service.LOCKOUT + timedelta(seconds=1)
    assert accounts.authenticate("dr.ada", PASSWORD, later) == clinician


def test_a_successful_login_forgets_earlier_wrong_passwords(app: FastAPI, clinician: Clinician):
    accounts, now = app.state.accounts, datetime.now(timezone.utc)
    for _ in range(2):
        for _ in range(accounts_service.MAX_FAILED_LOGINS - 1):
            accounts.authenticate("dr.ada", "a wrong password!", now)
        assert accounts.authenticate("dr.ada", PASSWORD, now) == clinician


@pytest.mark.parametrize("username, password", [("dr.ada", "wrong password!!"), ("nobody", PASSWORD), ("", "")])
def test_a_wrong_name_or_password_is_refused_without_saying_which(client: TestClient, clinician: Clinician,
                                                                   username: str, password: str):
    token = form_token(client.get("/login").text)
    response = client.post("/login", data={"username": username, "password": password, "csrf_token": token})
    assert response.status_code == 401
    assert "Wrong name or password." in response.text
    assert auth.SESSION_COOKIE not in response.headers.get("set-cookie", "")
    assert client.get("/").status_code == 303


def test_the_login_form_needs_its_csrf_token(client: TestClient, clinician: Clinician):
    client.get("/login")
    for token in (None, "forged"):
        data = {"username": "dr.ada", "password": PASSWORD, **({"csrf_token": token} if token else {})}
        assert client.post("/login", data=data).status_code == 403
    assert client.get("/").status_code == 303


def test_an_expired_session_is_refused(client: TestClient, clinician: Clinician, clinic: Clinic):
    clinic.open_session(clinician.id, accounts_service.token_hash("old-token"), "csrf",
                        datetime.now(timezone.utc) - timedelta(minutes=1))
    client.cookies.set(auth.SESSION_COOKIE, "old-token")
    assert client.get("/").headers["location"] == "/login"
    assert client.get("/api/patients").status_code == 401


def test_every_route_but_login_refuses_a_visitor_who_is_not_logged_in(app: FastAPI, client: TestClient,
                                                                      seeded: Seeded):
    routes = [(method, route.path) for route in app.routes if isinstance(route, APIRoute) for method in route.methods]
    assert len(routes) >= 18  # enumerated from the app, so a new route cannot be forgotten
    for method, path in routes:
        if path == "/login":
            continue
        response = client.request(method, concrete(path))
        if path.startswith("/api/"):
            assert response.status_code == 401, (method, path)
        else:
            assert (response.status_code, response.headers.get("location")) == (303, "/login"), (method, path)
    # An id that exists changes nothing.
    assert client.get(f"/api/patients/{seeded.patients['ann'].id}").status_code == 401
    assert client.get("/api/openapi.json").status_code == 401


def test_every_page_form_refuses_a_missing_or_wrong_csrf_token(clinician_client: tuple[TestClient, str],
                                                               seeded: Seeded, clinic: Clinic):
    client, csrf = clinician_client
    ann = seeded.patients["ann"].id
    escalation = seeded.escalations[ann][0]["id"]
    forms = ["/logout", "/patients", f"/patients/{ann}/escalations/{escalation}/acknowledge", f"/patients/{ann}/erase"]
    for path in forms:
        for data in ({}, {"csrf_token": "forged"}, {"csrf_token": csrf[:-1]}):
            response = client.post(path, data={**data, "confirm": str(ann)})
            assert response.status_code == 403, (path, data)
            assert "CSRF" in response.text
    assert client.get("/").status_code == 200  # still logged in
    assert clinic.patients(datetime.now().date())[1] == len(seeded.patients)  # nobody enrolled
    assert not any(e.acknowledged for e in Store(clinic.engine).escalations(ann))


def test_api_writes_need_the_csrf_header(clinician_client: tuple[TestClient, str], seeded: Seeded):
    client, csrf = clinician_client
    escalation = seeded.escalations[seeded.patients["ann"].id][0]["id"]
    for headers in ({}, {auth.CSRF_HEADER: "forged"}):
        assert client.post("/api/patients", json={}, headers=headers).status_code == 403
        assert client.post(f"/api/escalations/{escalation}/acknowledge", headers=headers).status_code == 403
    assert client.post("/api/patients", json={"label": "api"}, headers={auth.CSRF_HEADER: csrf}).status_code == 201


def test_every_response_carries_the_security_headers(clinician_client: tuple[TestClient, str], seeded: Seeded):
    client, _ = clinician_client
    ann = seeded.patients["ann"].id
    for path in ("/", "/login", f"/patients/{ann}", "/api/patients", "/api/exports/checkins?format=csv", "/nowhere"):
        response = client.get(path)
        for name, value in SECURITY_HEADERS.items():
            assert response.headers.get(name) == value, (path, name)
        assert response.headers["cache-control"] == "no-store"
    anonymous = TestClient(client.app, follow_redirects=False)
    assert anonymous.get("/").headers["x-content-type-options"] == "nosniff"


def test_the_openapi_description_is_served_only_to_clinicians(clinician_client: tuple[TestClient, str]):
    client, _ = clinician_client
    schema = client.get("/api/openapi.json").json()
    assert all(path.startswith("/api/") for path in schema["paths"])
    assert {"/api/patients", "/api/patients/{patient_id}", "/api/exports/{kind}"} <= set(schema["paths"])
    assert client.get("/docs").status_code == 404  # no docs page pulling scripts from a CDN


# -- accounts from the command line ----------------------------------------------------------------------

@pytest.fixture
def cli_database(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DATABASE_URL", database_url)
    return database_url


def create(name: str, stdin: str, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return cli.main(["create-clinician", name, "--password-stdin"])


def clinicians(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return list(connection.execute(select(ClinicianRow.username)).scalars())


def test_create_clinician_stores_an_argon2_hash_that_logs_in(cli_database: str, engine: Engine, client: TestClient,
                                                             monkeypatch: pytest.MonkeyPatch):
    assert create("dr.grace", "a long enough password\n", monkeypatch) == 0
    record = Clinic(engine).login_record("dr.grace")
    assert record is not None and record.password_hash.startswith("$argon2id$")
    assert "a long enough password" not in record.password_hash
    log_in(client, "dr.grace", "a long enough password")


def test_create_clinician_refuses_a_short_password(cli_database: str, engine: Engine, monkeypatch, capsys):
    assert create("dr.short", "eleven char\n", monkeypatch) == 1
    assert "at least 12 characters" in capsys.readouterr().err
    assert clinicians(engine) == []


def test_create_clinician_refuses_a_name_that_is_taken(cli_database: str, engine: Engine, monkeypatch, capsys):
    assert create("dr.ada", "first password here\n", monkeypatch) == 0
    assert create("dr.ada", "second password here\n", monkeypatch) == 1
    assert "already" in capsys.readouterr().err
    assert Accounts(Clinic(engine)).authenticate("dr.ada", "first password here") is not None


def test_create_clinician_asks_twice_and_refuses_two_different_passwords(cli_database: str, engine: Engine,
                                                                         monkeypatch, capsys):
    answers = iter(["the first password", "another password"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert cli.main(["create-clinician", "dr.typo"]) == 1
    assert "differ" in capsys.readouterr().err
    answers = iter(["the same password", "the same password"])
    assert cli.main(["create-clinician", "dr.typo"]) == 0
    assert clinicians(engine) == ["dr.typo"]


def test_create_clinician_without_a_terminal_says_how_to_pass_the_password(cli_database: str, engine: Engine,
                                                                           monkeypatch, capsys):
    def no_terminal(prompt: str = "") -> str:
        raise EOFError

    monkeypatch.setattr("getpass.getpass", no_terminal)
    assert cli.main(["create-clinician", "dr.script"]) == 1
    assert "--password-stdin" in capsys.readouterr().err
    assert clinicians(engine) == []


def test_there_is_no_default_account_after_migration(engine: Engine, client: TestClient):
    assert clinicians(engine) == []
    for username, password in (("admin", "admin"), ("admin", "password"), ("clinician", "clinician")):
        token = form_token(client.get("/login").text)
        response = client.post("/login", data={"username": username, "password": password, "csrf_token": token})
        assert response.status_code == 401
