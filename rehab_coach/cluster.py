"""Several servers on one machine (`./coach cluster`): the deployment of the README's "Several servers", to try
and to test. Each part is what real hosts run:

- PostgreSQL for the app database and Rasa's tracker store: DATABASE_URL and TRACKER_DATABASE_URL when the
  environment sets both, else a throwaway one of Debian's, on a Unix socket in a private folder (no TCP listener),
  deleted when the cluster stops;
- Redis for the conversation lock and the web chat's rooms: Debian's redis-server behind a password;
- N Rasa servers and M action servers on ports of their own, behind HAProxy at the usual ports (5005 and 5055).
  A cookie keeps a browser's socket.io session on one Rasa server: every local client is 127.0.0.1, so the
  client's address cannot;
- the clinician portal and one reminder scheduler.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from rehab_coach import bootstrap, settings
from rehab_coach.addresses import ACTIONS_PORT, PORTAL_PORT, RASA_PORT, free_port, local_url
from rehab_coach.runner import (
    LOG_DIR,
    Servers,
    launch,
    start_actions,
    start_portal,
    start_rasa,
    start_redis,
    start_scheduler,
    stop,
    wait_until_up,
    write_endpoints,
)
from rehab_coach.scheduler import EVERY
from rehab_coach.settings import DEMO_ENV, RASA_TOKEN, REDIS_PASSWORD, REST_TOKEN, secret

LOCK_STORE = "rehab_coach.adapters.lock_store.AtomicRedisLockStore"


class Postgres:
    """A throwaway PostgreSQL from Debian's binaries, reached on a Unix socket in its own folder."""

    def __init__(self, log_dir: Path) -> None:
        self.bin = max(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda path: int(path.parent.name))
        self.folder = Path(tempfile.mkdtemp(prefix="rehab-cluster-pg."))
        self.log = log_dir / "postgres.log"
        # PostgreSQL refuses to run as root: then Debian's postgres user runs it
        self.owner = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
        if self.owner:
            shutil.chown(self.folder, "postgres")
        self._run("initdb", "-D", str(self.folder / "data"), "-A", "trust", "-U", "postgres")
        self.start()
        for database in ("rehab", "rehab_tracker"):
            self._run("createdb", "-h", str(self.folder), database)

    def _run(self, program: str, *args: str) -> None:
        with self.log.open("a") as log:
            subprocess.run([*self.owner, str(self.bin / program), *args], check=True, stdout=subprocess.DEVNULL,
                           stderr=log)

    def url(self, database: str) -> str:
        return f"postgresql+psycopg2://postgres@/{database}?host={self.folder}"

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.folder / "data"), "-l", str(self.folder / "server.log"), "-w", "-o",
                  f"-k {self.folder} -c listen_addresses='' -c max_connections=200", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.folder / "data"), "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.folder)


def haproxy_config(rasa_ports: list[int], actions_ports: list[int], front_rasa: int, front_actions: int) -> str:
    """Round robin over the live servers, checked every 2 s: a server that refuses connections three times running is
    down, one that is slow (every server is, under a peak) is not; a request a server refused is sent to another.
    Socket.io's polling requests stay on one Rasa server by the COACH_SERVER cookie."""
    host = str(settings.load().coach_host)
    rasa = "".join(f"  server rasa{n} 127.0.0.1:{port} check cookie r{n}\n" for n, port in enumerate(rasa_ports, 1))
    actions = "".join(f"  server actions{n} 127.0.0.1:{port} check\n" for n, port in enumerate(actions_ports, 1))
    return f"""global
  maxconn 4096
defaults
  mode http
  timeout connect 2s
  timeout client 120s
  timeout server 120s
  timeout tunnel 1h
  retries 3
  option redispatch
  timeout check 10s
  default-server inter 2s fall 3 rise 2
frontend chat
  bind {host}:{front_rasa}
  default_backend rasa
backend rasa
  balance roundrobin
  cookie COACH_SERVER insert indirect nocache httponly
  option httpchk GET /
{rasa}frontend actions
  bind {host}:{front_actions}
  default_backend actions
backend actions
  balance roundrobin
  option httpchk GET /health
{actions}"""


@dataclass(frozen=True)
class Cluster:
    front: Servers  # HAProxy's addresses, and the tokens
    rasa: dict[int, subprocess.Popen]  # by port
    actions: dict[int, subprocess.Popen]
    environment: dict[str, str]  # every server's
    log_dir: Path
    postgres: Postgres | None

    @property
    def processes(self) -> tuple[subprocess.Popen, ...]:
        return self.front.processes


@contextmanager
def cluster(model: Path, rasa_servers: int = 2, action_servers: int = 2, env: dict[str, str] | None = None,
            log_dir: Path = LOG_DIR, rasa_port: int = RASA_PORT, actions_port: int = ACTIONS_PORT,
            portal_port: int | None = PORTAL_PORT, reminders_every: float | None = None,
            timeout: float = 300) -> Iterator[Cluster]:
    """Start the cluster (HAProxy at `rasa_port` and `actions_port`); stop it all on exit."""
    environment = {**os.environ, DEMO_ENV: "0", **(env or {})}
    token, rest_token = (environment.get(name) or secret(name) for name in (RASA_TOKEN, REST_TOKEN))
    log_dir.mkdir(parents=True, exist_ok=True)
    processes: list[subprocess.Popen] = []
    database = None
    try:
        if not (environment.get("DATABASE_URL") and environment.get("TRACKER_DATABASE_URL")):
            database = Postgres(log_dir)
            environment.update(DATABASE_URL=database.url("rehab"), TRACKER_DATABASE_URL=database.url("rehab_tracker"))
        redis_port = free_port()
        environment[REDIS_PASSWORD] = environment.get(REDIS_PASSWORD) or secret(REDIS_PASSWORD)
        processes.append(start_redis(redis_port, environment[REDIS_PASSWORD], log_dir))
        environment["REDIS_URL"] = f"redis://127.0.0.1:{redis_port}/0"
        bootstrap.migrate(environment["DATABASE_URL"])
        endpoints = write_endpoints(log_dir / "cluster-endpoints.yml", actions_port, LOCK_STORE)

        actions = {port: start_actions(port, environment, log_dir)
                   for port in [free_port() for _ in range(action_servers)]}
        rasa = {port: start_rasa(model, port, endpoints, {**environment, RASA_TOKEN: token}, log_dir)
                for port in [free_port() for _ in range(rasa_servers)]}
        processes += [*actions.values(), *rasa.values()]
        config = log_dir / "haproxy.cfg"
        config.write_text(haproxy_config(list(rasa), list(actions), rasa_port, actions_port))
        haproxy = subprocess.Popen(["/usr/sbin/haproxy", "-f", str(config), "-db"],
                                   stdout=(log_dir / "haproxy.log").open("w"), stderr=subprocess.STDOUT)
        processes.append(haproxy)
        front_rasa, portal_url = local_url(rasa_port), None
        if portal_port is not None:
            processes.append(start_portal(portal_port, front_rasa, environment, log_dir))
            portal_url = local_url(portal_port)
            wait_until_up(f"{portal_url}/login", processes[-1], timeout)
        for port, process in actions.items():
            wait_until_up(f"{local_url(port)}/health", process, timeout)
        for port, process in rasa.items():
            wait_until_up(local_url(port), process, timeout)
        wait_until_up(front_rasa, haproxy, timeout)
        if reminders_every is not None:
            processes.append(start_scheduler(front_rasa, reminders_every, {**environment, RASA_TOKEN: token},
                                             log_dir / "scheduler-cluster.log"))
        front = Servers(front_rasa, local_url(actions_port), token, rest_token, tuple(processes), portal_url)
        yield Cluster(front, rasa, actions, environment, log_dir, database)
    finally:
        stop(processes)
        if database is not None:
            database.remove()


def main(rasa_servers: int, action_servers: int) -> int:
    """`./coach cluster`."""

    def banner(started: Cluster) -> str:
        front = started.front
        return (
            "Rehab Coach is running on several servers.\n"
            f"  HAProxy:          {front.rasa_url}  (chat at /chat/, REST webhook, HTTP API: as in ./coach run)\n"
            f"  Rasa servers:     {', '.join(local_url(port) for port in started.rasa)}\n"
            f"  Action servers:   {front.actions_url} (HAProxy) -> "
            f"{', '.join(local_url(port) for port in started.actions)}\n"
            f"  Clinician portal: {front.portal_url}/\n"
            f"  Databases:        {started.environment['DATABASE_URL']} and TRACKER_DATABASE_URL beside it"
            f"{' (throwaway: deleted on stop)' if started.postgres else ''}\n"
            f"  Redis:            {started.environment['REDIS_URL']} (REDIS_PASSWORD in var/secrets.env)\n"
            f"  Logs:             {LOG_DIR}/\n")

    return launch("Rehab Coach's cluster", f"PostgreSQL, Redis, {rasa_servers} Rasa servers, {action_servers} action "
                  "servers, HAProxy, portal, scheduler",
                  lambda model: cluster(model, rasa_servers, action_servers, reminders_every=EVERY),
                  banner)
