"""Scale-out topology on one machine: Rasa replicas + action servers sharing
PostgreSQL (tracker store and contracts DB) and Redis (lock store).

`make topology` runs this: it starts PostgreSQL and Redis (scripts/services.sh),
migrates and seeds the contracts database, starts N action servers and N Rasa
servers (replica i calls action server i) with deploy/endpoints.production.yml,
prints the URLs and stops everything on Ctrl-C or when one process dies.

The commands are the ones `make run` uses (bot.ops.launcher), so a replica here is
a production replica in miniature. tests/scaleout/ drives the same `Topology`
class against throwaway databases.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from bot.ops import launcher
from bot.ops.health import responds
from bot.settings import ROOT, generated_secrets

PRODUCTION_ENDPOINTS = "deploy/endpoints.production.yml"
START_TIMEOUT_SECONDS = 300
STOP_GRACE_SECONDS = 15
# Per Rasa process. Rasa's default (50 + 100 overflow) would let two replicas
# open 300 connections to a server that allows 200 (scripts/services.sh).
DEFAULT_SQL_POOL_SIZE = "10"
DEFAULT_SQL_MAX_OVERFLOW = "10"


# --- services ------------------------------------------------------------------


def services_env_file() -> Path:
    return Path(os.environ.get("SERVICES_VAR", ROOT / "var")) / "services.env"


def start_services() -> dict[str, str]:
    """Start PostgreSQL and Redis (idempotent) and return var/services.env as a dict."""
    subprocess.run([str(ROOT / "scripts" / "services.sh"), "start"], cwd=ROOT, check=True)
    out: dict[str, str] = {}
    for line in services_env_file().read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            out[key] = value
    return out


def postgres_url(services: dict[str, str], database: str) -> str:
    return (
        f"postgresql://{services['PG_USER']}:{services['PG_PASSWORD']}"
        f"@{services['PG_HOST']}:{services['PG_PORT']}/{database}"
    )


def _admin_execute(services: dict[str, str], sql: str) -> None:
    import psycopg2  # only needed here; the app itself goes through SQLAlchemy

    conn = psycopg2.connect(postgres_url(services, "postgres"))
    try:
        conn.autocommit = True  # CREATE/DROP DATABASE cannot run in a transaction
        with conn.cursor() as cur:
            cur.execute(sql)
    finally:
        conn.close()


def _safe(name: str) -> str:
    if not name.replace("_", "").isalnum():
        raise ValueError(f"unsafe database name {name!r}")
    return name


def create_database(services: dict[str, str], name: str, template: str | None = None) -> str:
    """A new database owned by the project role (a copy of ``template`` if given); its URL."""
    sql = f'CREATE DATABASE "{_safe(name)}"'
    if template:
        sql += f' TEMPLATE "{_safe(template)}"'
    _admin_execute(services, sql)
    return postgres_url(services, name)


def drop_database(services: dict[str, str], name: str) -> None:
    _admin_execute(services, f'DROP DATABASE IF EXISTS "{_safe(name)}" WITH (FORCE)')


def production_env(
    services: dict[str, str], tracker_db: str, contracts_db: str, base: dict[str, str] | None = None
) -> dict[str, str]:
    """Environment for processes using deploy/endpoints.production.yml."""
    env = dict(os.environ if base is None else base)
    env.update(
        PYTHONPATH=str(ROOT),
        RASA_TELEMETRY_ENABLED="false",
        RASA_ENDPOINTS=PRODUCTION_ENDPOINTS,
        DATABASE_URL=postgres_url(services, contracts_db),
        TRACKER_DB_HOST=services["TRACKER_DB_HOST"],
        TRACKER_DB_PORT=services["TRACKER_DB_PORT"],
        TRACKER_DB_NAME=tracker_db,
        TRACKER_DB_USER=services["TRACKER_DB_USER"],
        TRACKER_DB_PASSWORD=services["TRACKER_DB_PASSWORD"],
        REDIS_HOST=services["REDIS_HOST"],
        REDIS_PORT=services["REDIS_PORT"],
        REDIS_PASSWORD=services["REDIS_PASSWORD"],
        REDIS_DB=services["REDIS_DB"],
    )
    env.setdefault("SQL_POOL_SIZE", DEFAULT_SQL_POOL_SIZE)
    env.setdefault("SQL_MAX_OVERFLOW", DEFAULT_SQL_MAX_OVERFLOW)
    return env


def run_cli(env: dict[str, str], *args: str) -> str:
    """`python -m bot ARGS` with ``env``; returns stdout, raises on failure."""
    result = subprocess.run(
        [sys.executable, "-m", "bot", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise RuntimeError(f"python -m bot {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def prepare_contracts_db(env: dict[str, str]) -> None:
    """Migrations, then the demo contracts (skipped when contracts exist)."""
    run_cli(env, "db", "upgrade")
    run_cli(env, "demo", "seed")


# --- processes -----------------------------------------------------------------


@dataclass
class Process:
    """One child in its own process group, logging to a file."""

    name: str
    command: list[str]
    env: dict[str, str]
    health_url: str
    log_path: Path
    proc: subprocess.Popen | None = None
    _log: IO[bytes] | None = field(default=None, repr=False)

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            self.command,
            cwd=ROOT,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def exited(self) -> int | None:
        return None if self.proc is None else self.proc.poll()

    def stop(self, grace: float = STOP_GRACE_SECONDS) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


def wait_healthy(processes: Sequence[Process], timeout: float = START_TIMEOUT_SECONDS) -> None:
    """Poll every health URL until all answer 200; RuntimeError if one exits or time runs out."""
    deadline = time.monotonic() + timeout
    pending = list(processes)
    while pending:
        for p in processes:
            code = p.exited()
            if code is not None:
                raise RuntimeError(f"{p.name} exited with code {code}:\n{p.log_tail()}")
        pending = [p for p in pending if not responds(p.health_url)]
        if not pending:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"timed out waiting for {', '.join(p.name for p in pending)}:\n{pending[0].log_tail()}"
            )
        time.sleep(0.5)


# --- the topology ----------------------------------------------------------------


class Topology:
    """N action servers and N Rasa replicas; replica i calls action server i."""

    def __init__(
        self,
        model: str,
        env: dict[str, str],
        rasa_ports: Sequence[int],
        action_ports: Sequence[int],
        log_dir: Path,
    ) -> None:
        if len(rasa_ports) != len(action_ports):
            raise ValueError("one action server per Rasa replica")
        self.model = model
        self.env = dict(env)
        self.rasa_ports = list(rasa_ports)
        self.action_ports = list(action_ports)
        self.log_dir = log_dir
        self.actions: list[Process] = []
        self.replicas: list[Process] = []

    @property
    def rasa_urls(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for port in self.rasa_ports]

    @property
    def rest_urls(self) -> list[str]:
        return [f"{url}/webhooks/rest/webhook" for url in self.rasa_urls]

    def _pair(self, index: int) -> list[Process]:
        """The action server and Rasa replica of pair ``index``, as bot.ops.launcher builds them."""
        environ = dict(self.env)
        environ.update(
            RASA_PORT=str(self.rasa_ports[index]),
            ACTION_PORT=str(self.action_ports[index]),
            ACTION_SERVER_URL=f"http://127.0.0.1:{self.action_ports[index]}/webhook",
            PUBLIC_HOST=environ.get("PUBLIC_HOST", "127.0.0.1"),
        )
        conf = launcher.settings(environ)
        child_env = {**launcher.child_environment(conf), **environ, **conf}
        by_name = {s.name: s for s in launcher.services(self.model, conf)}
        # Replicas listen on loopback here (RASA_INTERFACE); in production the
        # load balancer reaches them on a private network (docs/deployment.md).
        interface = ["--interface", environ.get("RASA_INTERFACE", "127.0.0.1")]
        out = []
        for key, label, extra in (("action server", "actions", []), ("Rasa server", "rasa", interface)):
            service = by_name[key]
            out.append(
                Process(
                    f"{label}-{index + 1}",
                    service.command + extra,
                    child_env,
                    service.health_url,
                    self.log_dir / f"{label}-{index + 1}.log",
                )
            )
        return out

    def start(self, timeout: float = START_TIMEOUT_SECONDS) -> None:
        for index in range(len(self.rasa_ports)):
            action, rasa = self._pair(index)
            self.actions.append(action)
            self.replicas.append(rasa)
        try:
            for p in self.actions + self.replicas:
                p.start()
            wait_healthy(self.actions + self.replicas, timeout)
        except BaseException:
            self.stop()
            raise

    def first_exit(self) -> str | None:
        for p in self.actions + self.replicas:
            code = p.exited()
            if code is not None:
                return f"{p.name} exited with code {code}"
        return None

    def stop(self) -> None:
        for p in self.replicas + self.actions:
            if p.proc is not None and p.proc.poll() is None:
                os.killpg(p.proc.pid, signal.SIGTERM)
        for p in self.replicas + self.actions:
            p.stop()


# --- `make topology` ---------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True, help="trained model (.tar.gz)")
    parser.add_argument("--replicas", type=int, default=int(os.environ.get("REPLICAS", "2")))
    parser.add_argument(
        "--rasa-port",
        type=int,
        default=int(os.environ.get("RASA_PORT", "5005")),
        help="first replica's port; replica i listens on RASA_PORT + i",
    )
    parser.add_argument(
        "--action-port",
        type=int,
        default=int(os.environ.get("ACTION_PORT", "5055")),
        help="first action server's port; action server i on ACTION_PORT + i",
    )
    args = parser.parse_args(argv)
    if args.replicas < 1:
        parser.error("--replicas must be at least 1")

    services = start_services()
    env = production_env(services, services["TRACKER_DB_NAME"], services["DATABASE_URL"].rsplit("/", 1)[1])
    # Every replica and action server shares this run's secrets (production sets them).
    env.update(generated_secrets(env))
    prepare_contracts_db(env)

    topology = Topology(
        args.model,
        env,
        [args.rasa_port + i for i in range(args.replicas)],
        [args.action_port + i for i in range(args.replicas)],
        ROOT / "var" / "topology",
    )

    def on_signal(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)  # also when started in the background (SIGINT ignored)
    print(
        f"starting {args.replicas} Rasa replicas and {args.replicas} action servers "
        f"(logs in var/topology/)...",
        flush=True,
    )
    try:
        topology.start()
        print(
            "\nScale-out topology is running (PostgreSQL 127.0.0.1:"
            f"{services['PG_PORT']}, Redis 127.0.0.1:{services['REDIS_PORT']}):"
        )
        for rasa, action, url in zip(topology.replicas, topology.actions, topology.rest_urls):
            print(f"  {rasa.name:<10} {url}   (calls {action.name} on {action.health_url.rsplit('/', 1)[0]})")
        print(
            "Send any turn to any replica; put a load balancer in front for one URL "
            "(docs/deployment.md).\nPress Ctrl-C to stop.\n",
            flush=True,
        )
        while True:
            problem = topology.first_exit()
            if problem:
                print(f"\n{problem}; stopping everything", file=sys.stderr)
                return 1
            time.sleep(1)
    except KeyboardInterrupt:
        print("\nstopping...", file=sys.stderr)
        return 0
    except RuntimeError as exc:
        print(f"\nstartup failed: {exc}", file=sys.stderr)
        return 1
    finally:
        topology.stop()


if __name__ == "__main__":
    sys.exit(main())
