"""A conversation survives a restart of the Rasa server and the action server.

Mid-way through the GAP claim form (last name given, ZIP asked), the whole
product is stopped (`make run`'s launcher, so the Rasa server, the action
server and the web app all go) and started again on the same databases; the
next message must continue at the same question. Run twice: with the embedded
default configuration (endpoints.yml: SQLite tracker store, in-memory locks)
and with the production one (deploy/endpoints.production.yml: PostgreSQL
tracker store and contracts DB, Redis lock store; scripts/services.sh starts
them). Both configurations run side by side on their own ports (16005-6,
16055-6, 16080-1) with throwaway databases, beside the shared `stack` fixture.
"""

from __future__ import annotations

import json
import os
import sqlite3
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2
import pytest
import redis

from bot.ops import topology
from bot.ops.health import responds
from bot.ops.model import current_model
from bot.ops.supervisor import Child, Supervisor
from bot.rasa_server.senders import conversation_id
from bot.settings import ROOT
from tests.support.launch import launcher as launcher_child
from tests.support.ports import ports
from tests.support.services import start_services

TODAY = "2026-11-24"
# Own ports per configuration, so both run at once (two Rasa servers load in
# parallel in much less than twice the time of one) and beside `stack`.
PORTS = {
    "embedded": ports(RASA_PORT=16005, ACTION_PORT=16055, WEB_PORT=16080),
    "production": ports(RASA_PORT=16006, ACTION_PORT=16056, WEB_PORT=16081),
}
SMITH_JONES = ("Smith-Jones", "98101", "5YJ3E1EAXPF402917", "APP-100103")  # demo contract with GAP


def model_path() -> str:
    model = current_model()
    if not model.exists():
        pytest.fail(f"no trained model at {model}: run `make train` (make test does)")
    return str(model)


def say(rasa_url: str, sender: str, text: str) -> str:
    body = json.dumps({"sender": sender, "message": text}).encode()
    req = urllib.request.Request(
        f"{rasa_url}/webhooks/rest/webhook", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=60) as resp:
        assert resp.status == 200
        replies: list[dict] = json.loads(resp.read())
    return "\n".join(r.get("text", "") for r in replies)


def pid_listening(port: int) -> int | None:
    """PID of the process listening on TCP ``port`` (from /proc), or None."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:  # LISTEN
                inodes.add(fields[9])
    if not inodes:
        return None
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            for fd in (proc / "fd").iterdir():
                link = os.readlink(fd)
                if link.startswith("socket:[") and link[8:-1] in inodes:
                    return int(proc.name)
        except OSError:
            continue
    return -1  # listening, owner not visible


@dataclass
class Run:
    """One configuration's product (`make run`'s launcher) and what it said."""

    name: str
    env: dict[str, str]
    log_dir: Path
    replies: dict[str, str] = field(default_factory=dict)
    pids: list[dict[str, int | None]] = field(default_factory=list)
    claims: list[dict] = field(default_factory=list)
    stored: list[str] = field(default_factory=list)  # user messages in the configured tracker store
    launcher: Child | None = None
    supervisor: Supervisor = field(default_factory=lambda: Supervisor(stop_grace_seconds=30))

    @property
    def ports(self) -> dict[str, str]:
        return PORTS[self.name]

    @property
    def rasa(self) -> str:
        return f"http://127.0.0.1:{self.ports['RASA_PORT']}"

    def start(self, model: str) -> None:
        self.launcher = self.supervisor.start(
            launcher_child(
                f"{self.name} launcher",
                model,
                self.env,
                self.log_dir / f"{self.name}-{len(self.pids) + 1}.log",
                f"{self.rasa}/",
            )
        )

    def ready(self) -> None:
        """After wait_healthy: every child answers; note their PIDs."""
        assert responds(f"http://127.0.0.1:{self.ports['ACTION_PORT']}/health")
        self.pids.append(
            {name: pid_listening(int(port)) for name, port in self.ports.items() if name != "WEB_PORT"}
        )

    def stop(self) -> None:
        if self.launcher is not None:
            self.supervisor.stop([self.launcher])
        for port in self.ports.values():  # everything the launcher started is gone
            assert pid_listening(int(port)) is None, f"port {port} still in use after stop"


def _environment(name: str, tmp: Path, services: dict[str, str] | None, dbs: list[str]) -> dict[str, str]:
    env = dict(os.environ)
    env.update(PORTS[name])
    env.update(
        PYTHONPATH=str(ROOT),
        ASSISTANT_TODAY=TODAY,
        ACTION_SERVER_URL=f"http://127.0.0.1:{PORTS[name]['ACTION_PORT']}/webhook",
        TWILIO_AUTH_TOKEN=env.get("TWILIO_AUTH_TOKEN", "e2e-test-token"),
    )
    if services is None:  # endpoints.yml: SQLite tracker store, in-memory lock store
        env.update(
            RASA_ENDPOINTS="endpoints.yml",
            DATABASE_URL=f"sqlite:///{tmp / 'contracts.db'}",
            TRACKER_DB=str(tmp / "trackers.db"),
        )
        return env
    suffix = uuid.uuid4().hex[:10]
    trackers, contracts = f"test_persist_trackers_{suffix}", f"test_persist_contracts_{suffix}"
    for db in (trackers, contracts):
        topology.create_database(services, db)
        dbs.append(db)
    env["TRACKER_DB"] = str(tmp / "unused-trackers.db")
    return topology.production_env(services, trackers, contracts, env)


def stored_user_messages(run: Run, services: dict[str, str], sender: str) -> list[str]:
    """The sender's user messages, in order, read straight from the configured tracker store."""
    query = "SELECT data FROM events WHERE sender_id = {} AND type_name = 'user' ORDER BY id"
    if run.name == "embedded":
        with closing(sqlite3.connect(run.env["TRACKER_DB"])) as conn:
            rows = conn.execute(query.format("?"), (conversation_id("rest", sender),)).fetchall()
    else:
        url = topology.postgres_url(services, run.env["TRACKER_DB_NAME"])
        with closing(psycopg2.connect(url)) as conn, conn.cursor() as cur:
            cur.execute(query.format("%s"), (conversation_id("rest", sender),))
            rows = cur.fetchall()
    return [json.loads(data)["text"] for (data,) in rows]


def redis_lock_reads(services: dict[str, str]) -> int:
    """Lock-store script calls Redis has served (the lock is taken on every message)."""
    client = redis.Redis(
        host=services["REDIS_HOST"], port=int(services["REDIS_PORT"]), password=services["REDIS_PASSWORD"]
    )
    try:
        stats = client.info("commandstats")
        # The atomic lock store (bot/rasa_server/lock_store.py) runs its steps as Lua scripts.
        return sum(int(stats.get(f"cmdstat_{c}", {}).get("calls", 0)) for c in ("evalsha", "eval"))
    finally:
        client.close()


def _both(runs: list[Run], step: Callable[[Run], None]) -> None:
    with ThreadPoolExecutor(len(runs)) as pool:
        for future in [pool.submit(step, run) for run in runs]:
            future.result()


@pytest.fixture(scope="module")
def restarted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Run]]:
    """Both configurations: talk, stop everything, start again, talk on."""
    tmp = tmp_path_factory.mktemp("persistence")
    services = start_services()
    dbs: list[str] = []
    model = model_path()
    runs = [
        Run("embedded", _environment("embedded", tmp, None, dbs), tmp),
        Run("production", _environment("production", tmp, services, dbs), tmp),
    ]
    last_name, zip_code, vin, _ = SMITH_JONES
    sender = f"persist-{uuid.uuid4().hex}"

    def first_half(run: Run) -> None:
        run.replies["start"] = say(run.rasa, sender, "start my GAP claim")
        run.replies["last_name"] = say(run.rasa, sender, last_name)

    def second_half(run: Run) -> None:
        run.replies["zip"] = say(run.rasa, sender, zip_code)
        run.replies["vin"] = say(run.rasa, sender, vin)
        run.replies["yes"] = say(run.rasa, sender, "yes")
        run.claims = json.loads(topology.run_cli(run.env, "claims", "list", "--json"))

    redis_before = redis_lock_reads(services)
    try:
        for half in (first_half, second_half):
            for run in runs:
                run.start(model)
            try:
                for run in runs:
                    run.supervisor.wait_healthy(run.supervisor.children, timeout=300)
                for run in runs:
                    run.ready()
                _both(runs, half)
            finally:
                for run in runs:
                    run.stop()
        for run in runs:
            run.stored = stored_user_messages(run, services, sender)
        runs[1].replies["redis_lock_reads"] = str(redis_lock_reads(services) - redis_before)
        yield {run.name: run for run in runs}
    finally:
        for run in runs:
            run.supervisor.stop()
        for db in dbs:
            topology.drop_database(services, db)


CONFIGURATIONS = ["embedded", "production"]


@pytest.mark.parametrize("name", CONFIGURATIONS)
def test_the_rasa_and_action_servers_really_restarted(restarted: dict[str, Run], name: str) -> None:
    before, after = restarted[name].pids
    for port in ("RASA_PORT", "ACTION_PORT"):
        assert before[port] and after[port] and before[port] != after[port], (port, before, after)


@pytest.mark.parametrize("name", CONFIGURATIONS)
def test_gap_claim_form_continues_at_the_same_question(restarted: dict[str, Run], name: str) -> None:
    replies = restarted[name].replies
    assert "what's the last name on the contract?" in replies["start"]
    assert "What's the ZIP code on your contract?" in replies["last_name"]
    # after the restart: the ZIP answers the pending question, the VIN is asked next
    asked = replies["zip"]
    assert "17-character VIN" in asked and "ZIP" not in asked, asked
    _, _, vin, _ = SMITH_JONES
    assert vin[-6:] in replies["vin"] and vin not in replies["vin"], replies["vin"]
    assert "Reference: GAP-" in replies["yes"], replies["yes"]


@pytest.mark.parametrize("name", CONFIGURATIONS)
def test_the_claim_is_created_once(restarted: dict[str, Run], name: str) -> None:
    run = restarted[name]
    reference = run.replies["yes"].split("Reference: ")[1].split(".")[0]
    assert [(c["reference"], c["contract_number"]) for c in run.claims] == [(reference, SMITH_JONES[3])]


@pytest.mark.parametrize("name", CONFIGURATIONS)
def test_the_conversation_is_in_the_configured_tracker_store(restarted: dict[str, Run], name: str) -> None:
    # The identity answers are stored masked (bot/rasa_server/tracker_privacy.py).
    assert restarted[name].stored == ["start my GAP claim", "[last_name]", "[zip_code]", "[vin]", "yes"]


def test_production_configuration_uses_postgresql_and_redis(restarted: dict[str, Run]) -> None:
    run = restarted["production"]
    assert run.env["RASA_ENDPOINTS"] == "deploy/endpoints.production.yml"
    assert not Path(run.env["TRACKER_DB"]).exists(), "Rasa fell back to the SQLite tracker store"
    assert run.env["DATABASE_URL"].startswith("postgresql://")
    # Five messages, each reading the Redis lock at least once.
    assert int(run.replies["redis_lock_reads"]) >= 5
