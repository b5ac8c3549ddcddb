"""Every listener of a running coach: bound to loopback, closed to callers without credentials, and no secret on
a command line. The attacks issue 11 found, replayed, and fuzzed requests: refused with a 4xx, nothing stored."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.error
import urllib.request
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rasa_sdk.endpoint import create_app
from sqlalchemy import text

from rehab_coach.adapters.storage import make_engine
from rehab_coach.rasa.action_server import secure
from rehab_coach.settings import ACTIONS_TOKEN, REST_TOKEN
from tests.e2e.conftest import Chat

pytestmark = pytest.mark.slow

WRONG = {"Authorization": "Bearer not-the-token"}


def listening_hosts(port: int) -> set[str]:
    """The addresses something listens on at `port`, from the kernel's socket tables (what `ss -ltn` shows)."""
    hosts = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                hosts.add(_address(address))
    return hosts


def _address(hexed: str) -> str:
    raw = bytes.fromhex(hexed)
    if len(raw) == 4:
        return ".".join(str(b) for b in reversed(raw))
    words = [raw[i:i + 4][::-1] for i in range(0, 16, 4)]  # four little-endian 32-bit words
    return ":".join(b"".join(words)[i:i + 2].hex() for i in range(0, 16, 2))


def call(url: str, method: str = "GET", body: bytes | None = None, headers: dict | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, data=body, method=method,
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


def stored_senders(chat: Chat) -> set[str]:
    with make_engine(chat.database_url).connect() as connection:
        return {row[0] for row in connection.execute(text("SELECT sender_id FROM patients"))}


def port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def test_every_listener_binds_to_loopback_only(chat):
    for url in (chat.servers.rasa_url, chat.servers.actions_url, chat.servers.portal_url):
        assert listening_hosts(port(url)) == {"127.0.0.1"}, url


def command_lines() -> list[str]:
    """Every running process's command line, as any user of the machine can read it."""
    return [p.read_bytes().replace(b"\0", b" ").decode(errors="replace")
            for p in Path("/proc").glob("[0-9]*/cmdline") if p.exists()]


def test_no_secret_appears_on_a_command_line(chat, deployment):
    secrets = [value for name, value in deployment.env.items() if "TOKEN" in name or "KEY" in name]
    assert len(secrets) == 4
    lines = command_lines()
    ours = [line for line in lines if "rehab_coach" in line]
    assert len(ours) >= 3  # the Rasa server, the action server and the portal are there to be read
    assert not [line for line in lines if any(secret in line for secret in secrets)]


def _rasa_routes() -> list[tuple[str, str]]:
    """(method, path) of every route of Rasa's HTTP API, path parameters filled in."""
    from rasa.server import create_app

    app = create_app(auth_token="unused")
    found = set()
    for route in app.router.routes:
        path = "/" + re.sub(r"<[^>]+>", "someone", route.path).lstrip("/")
        found |= {(method, path) for method in route.methods if method not in ("OPTIONS", "HEAD")}
    return sorted(found)


OPEN_RASA = {"/", "/version"}  # a greeting and the version numbers: nothing of a patient


def test_every_rasa_api_route_refuses_a_caller_without_the_token_or_with_a_wrong_one(chat):
    routes = _rasa_routes()
    assert len(routes) > 15
    for method, path in routes:
        if path in OPEN_RASA:
            continue
        url = f"{chat.servers.rasa_url}{path}"
        body = b"{}" if method in ("POST", "PUT") else None
        assert call(url, method, body)[0] in (401, 403), (method, path)
        assert call(f"{url}?token=wrong", method, body)[0] in (401, 403), (method, path)


def test_every_action_server_route_but_health_refuses_a_caller_without_the_token(chat, deployment):
    app = secure(create_app("actions"), "unused")
    routes = {(method, "/" + route.path.lstrip("/")) for route in app.router.routes for method in route.methods
              if method not in ("OPTIONS", "HEAD")}
    assert ("POST", "/webhook") in routes and ("GET", "/actions") in routes
    for method, path in routes - {("GET", "/health")}:
        url = f"{chat.servers.actions_url}{path}"
        body = b"{}" if method == "POST" else None
        assert call(url, method, body)[0] == 401, (method, path)
        assert call(url, method, body, WRONG)[0] == 401, (method, path)
    assert call(f"{chat.servers.actions_url}/health")[0] == 200
    good = {"Authorization": f"Bearer {deployment.env[ACTIONS_TOKEN]}"}
    assert json.loads(call(f"{chat.servers.actions_url}/actions", headers=good)[1])


def test_the_rest_channel_refuses_a_caller_without_the_token(chat, deployment):
    body = json.dumps({"sender": "someone-else", "message": "how am I doing?"}).encode()
    assert call(chat.servers.webhook, "POST", body)[0] == 401
    assert call(chat.servers.webhook, "POST", body, WRONG)[0] == 401
    assert "someone-else" not in stored_senders(chat)
    good = {"Authorization": f"Bearer {deployment.env[REST_TOKEN]}"}
    assert call(chat.servers.webhook, "POST", body, good)[0] == 200


def _action_call(sender: str) -> bytes:
    """What issue 11's attacker posted: a made-up tracker asking for a patient's progress."""
    tracker = {"sender_id": sender, "slots": {}, "latest_message": {"text": "how am I doing?"},
               "events": [{"event": "user", "text": "how am I doing?", "timestamp": 1}], "active_loop": {}}
    return json.dumps({"next_action": "action_progress", "tracker": tracker, "domain": {}, "version": "3.6.21"}
                      ).encode()


def test_the_old_attacks_on_the_action_server_are_refused_and_store_nothing(chat, deployment):
    chat.say("a-real-patient", "how am I doing?", datetime(2026, 3, 2, 8, 30))
    before = stored_senders(chat)
    assert "a-real-patient" in before
    webhook = f"{chat.servers.actions_url}/webhook"
    status, answer = call(webhook, "POST", _action_call("a-real-patient"))
    assert status == 401 and "Day" not in answer  # another patient's progress, read without credentials
    forged = "x" * 1000 + "\n" + "y" * 1000
    assert call(webhook, "POST", _action_call(forged))[0] == 401
    good = {"Authorization": f"Bearer {deployment.env[ACTIONS_TOKEN]}"}
    status, answer = call(webhook, "POST", _action_call(forged), good)
    assert status == 400 and "sender_id" in answer
    assert stored_senders(chat) == before


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=30),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=9), inner, max_size=4),
                    max_leaves=12)
SENDERS = st.text(min_size=0, max_size=140) | st.sampled_from(["ok-sender", "web-0123", "whatsapp:+4412"])


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(next_action=st.sampled_from(["action_progress", "action_session_start", "no_such_action"]) | st.integers(),
       sender=SENDERS, events=JSON, slots=JSON)
def test_fuzzed_action_calls_never_crash_the_action_server_and_refused_ones_store_nothing(
        chat, deployment, next_action, sender, events, slots):
    before = stored_senders(chat)
    body = json.dumps({"next_action": next_action, "domain": {},
                       "tracker": {"sender_id": sender, "events": events, "slots": slots}}).encode()
    good = {"Authorization": f"Bearer {deployment.env[ACTIONS_TOKEN]}"}
    status, _ = call(f"{chat.servers.actions_url}/webhook", "POST", body, good)
    assert status < 500, body
    if status >= 400:
        assert stored_senders(chat) == before


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=JSON | st.fixed_dictionaries({"sender": SENDERS, "message": st.text(max_size=60) | st.integers()}),
       token=st.booleans())
def test_fuzzed_rest_requests_never_crash_and_refused_ones_store_nothing(chat, deployment, body, token):
    before = stored_senders(chat)
    headers = {"Authorization": f"Bearer {deployment.env[REST_TOKEN]}"} if token else {}
    status, _ = call(chat.servers.webhook, "POST", json.dumps(body).encode(), headers)
    assert status < 500, body
    if not token:
        assert status == 401
    if status >= 400:
        assert stored_senders(chat) == before


@pytest.mark.parametrize(("given", "line"), [
    ({"TWILIO_WHATSAPP_NUMBER": "+14155238886"}, "setting TWILIO_ACCOUNT_SID: needed by the whatsapp channel"),
    ({"TELEGRAM_BOT_USERNAME": "CoachTestBot"}, "setting TELEGRAM_TOKEN: missing"),
])
def test_the_rasa_server_stops_at_start_with_one_line_for_a_channel_switched_on_without_its_credentials(
        model, tmp_path, given, line):
    """The server's own process, as ./coach run starts it: it stops before it listens."""
    env = {"PATH": "", "HOME": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path / 'app.sqlite3'}",
           "RASA_AUTH_TOKEN": "t" * 32, "ACTION_SERVER_TOKEN": "a" * 32, **given}
    result = subprocess.run([sys.executable, "-m", "rehab_coach.rasa.server", "run", "--model", str(model),
                             "--port", "9"], capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode != 0
    assert (result.stdout + result.stderr).strip().splitlines()[-1].startswith(line)
