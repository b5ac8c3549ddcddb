"""Real servers for end-to-end tests: a trained model, the Rasa server and the action server.

Each test module gets its own databases (app data and transcripts) in a temporary folder, the
simulated clock switched on, and free ports on the loopback interface.
"""

from __future__ import annotations

import json
import secrets
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from rehab_coach import runner
from rehab_coach.adapters.storage import PatientRecord, Store, make_engine, upgrade
from rehab_coach.addresses import free_port
from rehab_coach.core import contract
from rehab_coach.services.chat_links import KEY_NAME, chat_link, enrol, issue
from rehab_coach.settings import ACTIONS_TOKEN, RASA_TOKEN, REST_TOKEN

VALIDATOR = Draft202012Validator(contract.schema())


@pytest.fixture(scope="session")
def model() -> Path:
    """The project's model, trained now if data, domain, config or knowledge changed."""
    return runner.prepare()


class Chat:
    """Talks to one running Rasa server over the REST webhook, with the simulated clock."""

    def __init__(self, servers: runner.Servers, database_url: str) -> None:
        self.servers = servers
        self.database_url = database_url

    def post(self, body: bytes, timeout: float = 30) -> tuple[int, object]:
        request = urllib.request.Request(self.servers.webhook, data=body, headers=self.servers.rest_headers)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")

    def say(self, sender: str, text: str, now: datetime) -> list[dict]:
        """Send one message; the bot's replies, every payload checked against the contract."""
        body = json.dumps({"sender": sender, "message": text, "metadata": {"now": now.isoformat()}})
        status, replies = self.post(body.encode())
        assert status == 200, (status, replies)
        assert isinstance(replies, list)
        for payload in payloads(replies):
            errors = [e.message for e in VALIDATOR.iter_errors(payload)]
            assert not errors, (payload, errors)
        return replies

    def api(self, path: str, token: str | None) -> int:
        url = f"{self.servers.rasa_url}{path}" + (f"?token={token}" if token else "")
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                return int(response.status)
        except urllib.error.HTTPError as error:
            return int(error.code)


def payloads(replies: list[dict], kind: str | None = None) -> list[dict]:
    found = [r["custom"] for r in replies if isinstance(r.get("custom"), dict)]
    return [p for p in found if kind is None or p.get("kind") == kind]


def last_question(replies: list[dict]) -> str | None:
    questions = payloads(replies, "question")
    return questions[-1]["field"] if questions else None


@dataclass(frozen=True)
class Deployment:
    """One module's databases, ports and secrets; `start()` starts both servers on them (again, for a restart)."""

    start: Callable[[], AbstractContextManager[runner.Servers]]
    database_url: str
    chat_key: str
    rasa_url: str
    env: dict[str, str]
    actions_port: int
    folder: Path

    def enrol(self) -> tuple[PatientRecord, str]:
        """A new web-chat patient of this deployment and their personal chat link."""
        patient = enrol(Store(make_engine(self.database_url)), date.today())
        return patient, chat_link(patient, self.rasa_url, datetime.now(timezone.utc), key=self.chat_key)

    def expired_token(self, patient: PatientRecord) -> str:
        """A token for the patient, signed with this deployment's key, that expired days ago."""
        now = datetime.now(timezone.utc)
        return issue(patient.sender_id, self.chat_key, now - timedelta(days=9), timedelta(days=1))


def token_from(link: str) -> str:
    """The token a personal chat link carries in its fragment."""
    return link.split("#token=", 1)[1]


def tampered(token: str) -> str:
    """The token with its claims altered and its signature kept."""
    header, claims, signature = token.split(".")
    return f"{header}.{claims[:-4]}AAAA.{signature}"


@pytest.fixture(scope="module")
def server_env() -> dict[str, str]:
    """Extra environment for this module's servers (a module may override this fixture)."""
    return {}


@pytest.fixture(scope="module")
def reminders_every() -> float | None:
    """Seconds between the reminder scheduler's rounds; None (the default here): no scheduler, since its real
    clock would remind the patients of conversations replayed on the simulated clock."""
    return None


@pytest.fixture(scope="module")
def deployment(model: Path, tmp_path_factory: pytest.TempPathFactory, server_env: dict[str, str],
               reminders_every: float | None) -> Deployment:
    folder = tmp_path_factory.mktemp("coach")
    actions_port = free_port()
    endpoints = runner.write_endpoints(folder / "endpoints.yml", actions_port)
    env = {"DATABASE_URL": f"sqlite:///{folder / 'app.sqlite3'}", "COACH_SIMULATED_CLOCK": "1",
           "TRACKER_DATABASE_URL": f"sqlite:///{folder / 'tracker.sqlite3'}",
           **{name: secrets.token_urlsafe(32) for name in (RASA_TOKEN, ACTIONS_TOKEN, REST_TOKEN, KEY_NAME)},
           **server_env}
    upgrade(env["DATABASE_URL"])
    rasa_port, portal_port = free_port(), free_port()

    def start() -> AbstractContextManager[runner.Servers]:
        return runner.serve(model, rasa_port=rasa_port, actions_port=actions_port, endpoints=endpoints, env=env,
                            log_dir=folder / "logs", portal_port=portal_port,
                            reminders_every=reminders_every)

    return Deployment(start, env["DATABASE_URL"], env[KEY_NAME], f"http://127.0.0.1:{rasa_port}", env, actions_port,
                      folder)


@pytest.fixture(scope="module")
def chat(deployment: Deployment) -> Iterator[Chat]:
    with deployment.start() as servers:
        yield Chat(servers, deployment.database_url)
