"""Scale-out topology on one machine: Rasa replicas + action servers sharing
PostgreSQL (tracker store and contracts DB) and Redis (lock store), with the
web app and nginx in front of everything on one port.

`make topology` runs this after `make services` has started PostgreSQL and Redis;
it migrates and seeds the contracts database, starts N action servers and N Rasa
servers (replica i calls action server i) with deploy/endpoints.production.yml,
the web app and nginx (bot/ops/nginx.py, deploy/nginx/) on LB_PORT, prints the
URLs, restarts a process that dies while the others keep serving, and stops
everything on Ctrl-C or SIGTERM.

The commands are the ones `make run` uses (bot.ops.launcher), so a replica here is
a production replica in miniature. tests/scaleout/ drives the same `Topology`
class against throwaway databases.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from bot.claims.widget import push_route_url
from bot.ops import nginx, stack
from bot.ops.supervisor import Child, LaunchFailed, Supervisor, stop_on_signals
from bot.settings import ROOT, VAR_DIR, generated_secrets, load, settings

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


class ServicesNotRunning(RuntimeError):
    """var/services.env is missing: PostgreSQL and Redis were never started here."""


def read_services() -> dict[str, str]:
    """The running PostgreSQL and Redis, as scripts/services.sh (`make services`) wrote them."""
    path = services_env_file()
    if not path.exists():
        raise ServicesNotRunning(f"{path} is missing: start PostgreSQL and Redis with `make services`")
    out: dict[str, str] = {}
    for line in path.read_text().splitlines():
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


# --- the topology ----------------------------------------------------------------


class Topology:
    """N action servers and N Rasa replicas under one supervisor; replica i calls action server i.

    With ``lb_port`` (and ``web_port``) it also runs the web app and nginx in
    front of everything on that one port (bot/ops/nginx.py). A process that
    dies is restarted (bot/ops/supervisor.py) while the others keep serving.
    """

    def __init__(
        self,
        model: str,
        env: dict[str, str],
        rasa_ports: Sequence[int],
        action_ports: Sequence[int],
        log_dir: Path,
        *,
        lb_port: int | None = None,
        web_port: int | None = None,
        replica_env: Sequence[Mapping[str, str]] = (),
    ) -> None:
        if len(rasa_ports) != len(action_ports):
            raise ValueError("one action server per Rasa replica")
        if replica_env and len(replica_env) != len(rasa_ports):
            raise ValueError("replica_env: one mapping per replica")
        if (lb_port is None) != (web_port is None):
            raise ValueError("the load balancer and the web app go together")
        self.model = model
        self.env = dict(env)
        self.rasa_ports = list(rasa_ports)
        self.action_ports = list(action_ports)
        self.log_dir = log_dir
        self.lb_port = lb_port
        self.web_port = web_port
        # Added to ``env`` for one replica only (tools/lock_race.py compares lock stores side by side).
        self.replica_env = [dict(extra) for extra in replica_env] or [{} for _ in rasa_ports]
        self.actions: list[Child] = []
        self.replicas: list[Child] = []
        self.front: list[Child] = []  # the web app and nginx, when there is a load balancer
        self.supervisor = Supervisor(stop_grace_seconds=STOP_GRACE_SECONDS)

    @property
    def rasa_urls(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for port in self.rasa_ports]

    @property
    def rest_urls(self) -> list[str]:
        return [f"{url}/webhooks/rest/webhook" for url in self.rasa_urls]

    @property
    def lb_url(self) -> str:
        if self.lb_port is None:
            raise ValueError("this topology has no load balancer")
        return f"http://127.0.0.1:{self.lb_port}"

    def _pair(self, index: int) -> tuple[Child, Child]:
        """The action server and Rasa replica of pair ``index``, as `make run` builds them."""
        environ = {
            **self.env,
            **self.replica_env[index],
            "RASA_PORT": str(self.rasa_ports[index]),
            "ACTION_PORT": str(self.action_ports[index]),
            "ACTION_SERVER_URL": f"http://127.0.0.1:{self.action_ports[index]}/webhook",
            "REPLICA_NAME": replica_name(index),
        }
        environ.setdefault("PUBLIC_HOST", "127.0.0.1")
        if self.lb_port is not None:
            # The page comes through nginx: socket.io accepts only CORS_ORIGINS.
            environ.setdefault("CORS_ORIGINS", " ".join(self._page_origins(environ["PUBLIC_HOST"])))
            # Sanic trusts nginx's X-Forwarded-For hop: failed identity checks are
            # counted per client, not per load balancer (docs/security.md).
            environ.setdefault("SANIC_PROXIES_COUNT", "1")
        conf = load(environ)
        env = stack.child_environment(conf, environ)
        n = index + 1
        action = stack.action_server(
            conf, env, name=f"actions-{n}", log_file=self.log_dir / f"actions-{n}.log"
        )
        # Replicas listen on RASA_INTERFACE (loopback by default); in production the
        # load balancer reaches them on a private network (docs/deployment.md).
        rasa = stack.rasa_server(
            self.model,
            conf,
            env,
            name=f"rasa-{n}",
            interface=conf.rasa_interface,
            log_file=self.log_dir / f"rasa-{n}.log",
        )
        return action, rasa

    def _page_origins(self, public_host: str) -> list[str]:
        """Where browsers load the demo page from: nginx, by any of the host's loopback names."""
        hosts = dict.fromkeys([public_host, "localhost", "127.0.0.1"])
        return [f"http://{host}:{self.lb_port}" for host in hosts]

    def _front(self) -> list[Child]:
        """The web app (its widget talks to the load balancer), nginx in front of everything, and
        one claims worker (the outbox is shared, so one is enough)."""
        environ = {**self.env, "LB_PORT": str(self.lb_port), "WEB_PORT": str(self.web_port)}
        environ.setdefault("PUBLIC_HOST", "127.0.0.1")
        environ["RASA_URL"] = f"http://{load(environ).public_host}:{self.lb_port}"
        # The claims worker pushes a status update to every replica: the widget is on one of them.
        environ.setdefault(
            "WIDGET_PUSH_URL", ",".join(push_route_url(f"127.0.0.1:{port}") for port in self.rasa_ports)
        )
        conf = load(environ)
        env = stack.child_environment(conf, environ)
        replicas = [
            nginx.Replica(replica_name(i), f"127.0.0.1:{port}") for i, port in enumerate(self.rasa_ports)
        ]
        config = nginx.write_config(
            self.log_dir / "nginx", f"{conf.web_host}:{conf.lb_port}", replicas, f"127.0.0.1:{conf.web_port}"
        )
        return [
            stack.web_app(conf, env, log_file=self.log_dir / "web.log"),
            stack.load_balancer(conf, config, env, log_file=self.log_dir / "nginx.log"),
            stack.claims_worker(conf, env, log_file=self.log_dir / "claims-worker.log"),
        ]

    def start(self, timeout: float = START_TIMEOUT_SECONDS) -> None:
        for index in range(len(self.rasa_ports)):
            action, rasa = self._pair(index)
            self.actions.append(action)
            self.replicas.append(rasa)
        if self.lb_port is not None:
            self.front = self._front()
        for child in self.actions + self.replicas + self.front:
            self.supervisor.start(child)
        try:
            self.supervisor.wait_healthy(self.supervisor.children, timeout)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        self.supervisor.stop()


def replica_name(index: int) -> str:
    """Replica ``index``'s REPLICA_NAME (the start of its socket.io session ids)."""
    return f"r{index + 1}"


# --- `make topology` ---------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    conf = settings()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True, help="trained model (.tar.gz)")
    parser.add_argument("--replicas", type=int, default=conf.replicas)
    parser.add_argument(
        "--rasa-port",
        type=int,
        default=conf.rasa_port,
        help="first replica's port; replica i listens on RASA_PORT + i",
    )
    parser.add_argument(
        "--action-port",
        type=int,
        default=conf.action_port,
        help="first action server's port; action server i on ACTION_PORT + i",
    )
    parser.add_argument("--lb-port", type=int, default=conf.lb_port, help="nginx, the one public port")
    parser.add_argument("--web-port", type=int, default=conf.web_port, help="the web app behind nginx")
    args = parser.parse_args(argv)
    if args.replicas < 1:
        parser.error("--replicas must be at least 1")

    try:
        services = read_services()
    except ServicesNotRunning as problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    env = production_env(services, services["TRACKER_DB_NAME"], services["DATABASE_URL"].rsplit("/", 1)[1])
    # Every replica and action server shares this run's secrets (production sets them).
    env.update(generated_secrets(env))
    prepare_contracts_db(env)

    topology = Topology(
        args.model,
        env,
        [args.rasa_port + i for i in range(args.replicas)],
        [args.action_port + i for i in range(args.replicas)],
        VAR_DIR / "topology",
        lb_port=args.lb_port,
        web_port=args.web_port,
    )
    stop_on_signals(topology.supervisor)
    print(
        f"starting {args.replicas} Rasa replicas, {args.replicas} action servers, "
        "the web app and nginx (logs in var/topology/)...",
        flush=True,
    )
    try:
        topology.start()
        print(
            "\nScale-out topology is running (PostgreSQL 127.0.0.1:"
            f"{services['PG_PORT']}, Redis 127.0.0.1:{services['REDIS_PORT']}):"
        )
        web, balancer = topology.front
        print(f"  {balancer.name:<10} {balancer.public_url}   the demo page, REST, SMS and socket.io")
        for rasa, action in zip(topology.replicas, topology.actions):
            print(f"  {rasa.name:<10} {rasa.public_url}   (calls {action.name} on {action.public_url})")
        print(f"  {web.name:<10} {web.public_url}")
        print("Press Ctrl-C to stop.\n", flush=True)
        topology.supervisor.serve_forever()
        return 0
    except KeyboardInterrupt:
        print("\nstopping...", file=sys.stderr)
        return 0
    except LaunchFailed as exc:
        print(f"\n{exc}; stopping everything", file=sys.stderr)
        return 1
    finally:
        topology.stop()


if __name__ == "__main__":
    sys.exit(main())
