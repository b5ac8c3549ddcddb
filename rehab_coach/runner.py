"""Prepare and start the coach's processes: the Rasa server, the action server, the clinician portal and the
reminder scheduler.

Used by `./coach run`, the end-to-end tests and the benchmark, so all three run the same thing.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar

import redis
import yaml

from rehab_coach.addresses import ACTIONS_PORT, PORTAL_PORT, RASA_PORT, local_url
from rehab_coach.paths import PROJECT_ROOT, VAR_DIR
from rehab_coach.scheduler import EVERY
from rehab_coach.services.messaging import NAMES
from rehab_coach.settings import DEMO_ENV, RASA_TOKEN, REST_TOKEN, SECRETS_FILE, SMS, TELEGRAM, WHATSAPP, load, secret

MODELS_DIR = PROJECT_ROOT / "models"
LOG_DIR = VAR_DIR / "log"  # the raw output of Rasa, TensorFlow and the servers
BIN = Path(sys.executable).parent
TRAINING_TIME = LOG_DIR / "training-seconds"  # the last full training's duration: the next one's estimate
T = TypeVar("T", bound="Running")
FIRST_ESTIMATE = 150  # seconds, on a 2-core machine (README: full `rasa train --force`)


class StepFailed(RuntimeError):
    """A preparation step failed; its log's last lines have been printed."""


@contextmanager
def step(what: str) -> Iterator[None]:
    """One line per step: what is happening, then how long it took."""
    print(f"  {what} ...", end="", flush=True)
    started = time.monotonic()
    yield
    print(f" done ({time.monotonic() - started:.0f} s)", flush=True)


def _failed(what: str, log: Path) -> StepFailed:
    lines = log.read_text(errors="replace").splitlines()[-20:]
    print(" failed\n" + "\n".join(f"    {line}" for line in lines) + f"\n  the whole log: {log}", file=sys.stderr)
    return StepFailed(what)


def rasa(*args: str) -> list[str]:
    return [str(BIN / "rasa"), *args]


def prepare() -> Path:
    """Build the spaCy pipeline, migrate the database and train the model if its inputs changed."""
    from rehab_coach import bootstrap
    from rehab_coach.adapters.nlp import build_pipeline
    from rehab_coach.core.knowledge import default_knowledge

    with step("spaCy pipeline from knowledge/"):
        rebuilt = build_pipeline(default_knowledge())
    with step("database migrations"):
        bootstrap.migrate()
    return train(force=rebuilt)


def train(force: bool = False, out: Path = MODELS_DIR) -> Path:
    """Train into `out` (Rasa skips training when data, domain and config are unchanged); the newest model.

    `force` retrains even then: the spaCy pipeline is not part of Rasa's fingerprint, so a rebuilt
    pipeline (new knowledge) must force it.
    """
    command = rasa("train", "--out", str(out), *(["--force"] if force else []))
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    log = LOG_DIR / "train.log"
    estimate = float(TRAINING_TIME.read_text()) if TRAINING_TIME.exists() else FIRST_ESTIMATE
    started = time.monotonic()
    with log.open("w") as output:
        process = subprocess.Popen(command, cwd=PROJECT_ROOT, stdout=output, stderr=subprocess.STDOUT)
        while process.poll() is None:
            if sys.stdout.isatty():  # a log gets the one line at the end
                _progress("model (trained when its inputs changed)", time.monotonic() - started, estimate)
            time.sleep(1)
    took = time.monotonic() - started
    if process.returncode:
        raise _failed("training", log)
    if took > 30:  # Rasa trained (an unchanged model takes seconds)
        TRAINING_TIME.write_text(f"{took:.0f}")
    print(f"\r  model ... done ({took:.0f} s){' ' * 60}" if sys.stdout.isatty() else f"  model ... done ({took:.0f} s)",
          flush=True)
    prune_models(out)
    return newest_model(out)


def _progress(what: str, elapsed: float, estimate: float) -> None:
    """One line, redrawn: `what`, a bar and the time left by the last training's duration."""
    share = min(elapsed / estimate, 0.99)
    bar = "#" * int(share * 20) + "." * (20 - int(share * 20))
    left = max(estimate - elapsed, 0)
    print(f"\r  {what} [{bar}] about {left:.0f} s left ", end="", flush=True)


def _models(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.tar.gz"), key=lambda path: path.stat().st_mtime)


def newest_model(folder: Path = MODELS_DIR) -> Path:
    models = _models(folder)
    if not models:
        raise FileNotFoundError(f"no trained model in {folder}")
    return models[-1]


def prune_models(folder: Path, keep: int = 3) -> None:
    """Delete all but the newest `keep` models (each is ~30 MB; Rasa keeps every one it trains)."""
    for old in _models(folder)[:-keep]:
        old.unlink()


def write_endpoints(path: Path, actions_port: int, lock_store: str | None = None) -> Path:
    """The project's endpoints file with another action server port, and a lock store when given (the tracker
    store's database is TRACKER_DATABASE_URL's when that is set)."""
    endpoints = yaml.safe_load((PROJECT_ROOT / "endpoints.yml").read_text(encoding="utf-8"))
    endpoints["action_endpoint"]["url"] = f"{local_url(actions_port)}/webhook"
    if lock_store:
        endpoints["lock_store"] = {"type": lock_store}
    path.write_text(yaml.safe_dump(endpoints))
    return path


# How each messaging channel's provider reaches its webhook.
_TWILIO_CALLS = "Twilio calls it under TWILIO_WEBHOOK_BASE_URL"
PROVIDER_CALLS = {TELEGRAM: "public over HTTPS: ./coach telegram-webhook --url https://...",
                  WHATSAPP: _TWILIO_CALLS, SMS: _TWILIO_CALLS}


class Running(Protocol):
    """What `launch` starts: its processes, watched until one stops."""

    @property
    def processes(self) -> tuple[subprocess.Popen, ...]: ...


@dataclass(frozen=True)
class Servers:
    rasa_url: str
    actions_url: str
    token: str  # the Rasa HTTP API's
    rest_token: str  # the REST channel's: `Authorization: Bearer <rest_token>`
    processes: tuple[subprocess.Popen, ...]
    portal_url: str | None = None  # None when serve() was asked not to start the portal

    @property
    def webhook(self) -> str:
        return f"{self.rasa_url}/webhooks/rest/webhook"

    @property
    def rest_headers(self) -> dict[str, str]:
        return {"Content-Type": "application/json", "Authorization": f"Bearer {self.rest_token}"}


def _http_get(url: str) -> None:
    with urllib.request.urlopen(url, timeout=2):
        pass


def wait_until_up(url: str, process: subprocess.Popen, timeout: float, probe: Callable[[str], object] = _http_get
                  ) -> None:
    """Until `probe(url)` stops raising OSError (an HTTP GET by default); fails if `process` exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: the server exited with code {process.returncode}")
        try:
            probe(url)
            return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"{url} did not come up within {timeout:.0f} s")


def start_actions(port: int, environment: dict[str, str], log_dir: Path) -> subprocess.Popen:
    """The action server alone (also to bring it back after a stop, in tests)."""
    return subprocess.Popen(
        [sys.executable, "-m", "rehab_coach.rasa.action_server", "--port", str(port)],
        cwd=PROJECT_ROOT, env=environment,
        stdout=(log_dir / f"actions-{port}.log").open("a"), stderr=subprocess.STDOUT,
    )


def start_redis(port: int, password: str, log_dir: Path, timeout: float = 30) -> subprocess.Popen:
    """Debian's redis-server at `port` on the settings' interface, behind `password`. Its configuration goes on its
    standard input, so the password is on no command line; it keeps nothing on disk (it holds conversation locks
    and web chat messages in passing)."""
    process = subprocess.Popen(["redis-server", "-"], stdin=subprocess.PIPE, cwd=log_dir,
                               stdout=(log_dir / f"redis-{port}.log").open("a"), stderr=subprocess.STDOUT)
    assert process.stdin is not None
    process.stdin.write(f'bind {load().coach_host}\nport {port}\nrequirepass "{password}"\nsave ""\n'
                        'appendonly no\n'.encode())
    process.stdin.close()

    def ping(url: str) -> None:
        try:
            redis.Redis.from_url(url, password=password, socket_timeout=2).ping()
        except redis.ConnectionError as error:
            raise OSError(error) from error

    wait_until_up(f"redis://127.0.0.1:{port}/0", process, timeout, ping)
    return process


def start_rasa(model: Path, port: int, endpoints: Path, environment: dict[str, str], log_dir: Path
               ) -> subprocess.Popen:
    """A Rasa server with the HTTP API (behind the token in `environment`) and the coach's channels."""
    return subprocess.Popen(
        [sys.executable, "-m", "rehab_coach.rasa.server", "run", "--model", str(model), "--port", str(port),
         "--enable-api", "--endpoints", str(endpoints), "--cors", "*"],
        cwd=PROJECT_ROOT, env=environment,
        stdout=(log_dir / f"rasa-{port}.log").open("w"), stderr=subprocess.STDOUT,
    )


def start_portal(port: int, chat_url: str, environment: dict[str, str], log_dir: Path) -> subprocess.Popen:
    """The clinician portal, its chat links pointing at `chat_url`."""
    return subprocess.Popen(
        [sys.executable, "-m", "rehab_coach.portal", "--port", str(port), "--chat-url", chat_url],
        cwd=PROJECT_ROOT, env=environment,
        stdout=(log_dir / f"portal-{port}.log").open("w"), stderr=subprocess.STDOUT,
    )


def start_scheduler(rasa_url: str, every: float, environment: dict[str, str], log: Path) -> subprocess.Popen:
    """The reminder scheduler, a round every `every` seconds, sending through the Rasa server at `rasa_url`."""
    return subprocess.Popen(
        [sys.executable, "-m", "rehab_coach.scheduler", "--rasa-url", rasa_url, "--every", str(every)],
        cwd=PROJECT_ROOT, env=environment,
        stdout=log.open("w"), stderr=subprocess.STDOUT,
    )


@contextmanager
def serve(
    model: Path,
    rasa_port: int = RASA_PORT,
    actions_port: int = ACTIONS_PORT,
    endpoints: Path | None = None,
    env: dict[str, str] | None = None,
    log_dir: Path = LOG_DIR,
    timeout: float = 300,
    portal_port: int | None = PORTAL_PORT,
    reminders_every: float | None = None,
) -> Iterator[Servers]:
    """Start the action server, the Rasa server (HTTP API behind a token), unless `portal_port` is None the
    clinician portal, and when `reminders_every` is given the reminder scheduler (a round every that many
    seconds: `./coach run` starts it; tests and benchmarks that replay conversations on a simulated clock do
    not); stop them all on exit.

    The portal reads the app database and the tracker store named by DATABASE_URL and
    TRACKER_DATABASE_URL in `env` (or their defaults), and its chat links point at this Rasa server.
    """
    # Anonymous demo chat only when asked for, never inherited from the shell by accident.
    environment = {**os.environ, DEMO_ENV: "0", **(env or {})}
    token, rest_token = (environment.get(name) or secret(name) for name in (RASA_TOKEN, REST_TOKEN))
    log_dir.mkdir(parents=True, exist_ok=True)
    processes: list[subprocess.Popen] = []
    try:
        actions = start_actions(actions_port, environment, log_dir)
        processes.append(actions)
        server = start_rasa(model, rasa_port, endpoints or Path("endpoints.yml"), {**environment, RASA_TOKEN: token},
                            log_dir)
        processes.append(server)
        actions_url, rasa_url = local_url(actions_port), local_url(rasa_port)
        portal_url = None
        if portal_port is not None:
            portal = start_portal(portal_port, rasa_url, environment, log_dir)
            processes.append(portal)
            portal_url = local_url(portal_port)
            wait_until_up(f"{portal_url}/login", portal, timeout)
        wait_until_up(f"{actions_url}/health", actions, timeout)
        wait_until_up(rasa_url, server, timeout)
        if reminders_every is not None:
            processes.append(start_scheduler(rasa_url, reminders_every, {**environment, RASA_TOKEN: token},
                                             log_dir / f"scheduler-{rasa_port}.log"))
        yield Servers(rasa_url, actions_url, token, rest_token, tuple(processes), portal_url)
    finally:
        stop(processes)


def stop(processes: list[subprocess.Popen]) -> None:
    """Ask each to stop, then kill the ones still running 20 s later."""
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def until_stopped(processes: tuple[subprocess.Popen, ...]) -> int:
    """Wait for Ctrl-C (0), or for one of `processes` to stop by itself (1)."""
    try:
        while all(process.poll() is None for process in processes):
            time.sleep(1)
        print(f"a server stopped unexpectedly; see {LOG_DIR}/", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nstopping")
        return 0


def launch(title: str, parts: str, start: Callable[[Path], AbstractContextManager[T]],
           banner: Callable[[T], str]) -> int:
    """Prepare, start, print where to open it, stop all on Ctrl-C (or SIGTERM): `./coach run` and `./coach
    cluster`."""
    # Without this, SIGTERM (a process manager, `kill`) would end this process and leave the servers running.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"Preparing {title} (raw output of each step: var/log/)")
    try:
        model = prepare()
    except StepFailed:
        return 1
    print(f"  {parts} ...", end="", flush=True)
    with ExitStack() as stack:
        try:
            started = stack.enter_context(start(model))
        except (RuntimeError, TimeoutError, subprocess.CalledProcessError) as error:
            print(f" failed: {error}\n  their logs: {LOG_DIR}/", file=sys.stderr)
            return 1
        print(" up", flush=True)
        print(f"\n{banner(started)}Press Ctrl-C to stop.", flush=True)
        return until_stopped(started.processes)


def main(demo: bool = False) -> int:
    """`./coach run`."""
    secrets_file = SECRETS_FILE.relative_to(PROJECT_ROOT)

    def banner(servers: Servers) -> str:
        chat = (f"{servers.rasa_url}/chat/  (demo mode: anyone can open it, no personal link needed)" if demo else
                f"{servers.rasa_url}/chat/#token=...  (a patient's personal link: ./coach enrol prints one)")
        return (
            "Rehab Coach is running.\n"
            f"  Patient chat:   {chat}\n"
            f"  REST webhook:   POST {servers.webhook}  (body: {{\"sender\": \"you\", \"message\": \"hi\"}}; "
            f"{'open in demo mode' if demo else f'Authorization: Bearer ${REST_TOKEN} from {secrets_file}'})\n"
            f"  Rasa HTTP API:  {servers.rasa_url}  (?token=${RASA_TOKEN} from {secrets_file})\n"
            f"  Action server:  {servers.actions_url}\n"
            f"  Clinician portal: {servers.portal_url}/ (create an account: ./coach create-clinician NAME)\n"
            f"  Reminders:      sent every {EVERY:.0f} s to the patients due (log: {LOG_DIR}/scheduler-*.log)\n"
            + "".join(f"  {NAMES[channel] + ':':<16}POST {servers.rasa_url}/webhooks/{channel}/webhook  "
                      f"({PROVIDER_CALLS[channel]})\n" for channel in load().messaging_channels))

    return launch("Rehab Coach", "servers: Rasa, actions, clinician portal, reminder scheduler",
                  lambda model: serve(model, env={DEMO_ENV: "1" if demo else "0"}, reminders_every=EVERY),
                  banner)
