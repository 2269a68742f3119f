"""Scale-out fixtures: the project's PostgreSQL and Redis (scripts/services.sh
starts them, installing them first if needed) with throwaway databases.

- ``cluster``: two Rasa replicas and two action servers (production
  endpoints) on ports 17005-6 / 17055-6, sharing one tracker database, one
  contracts database and Redis.
- ``balanced``: the same plus the web app and nginx in front, as `make
  topology` runs them (ports 17015-6 / 17065-6, web app 17080, nginx 17090).
- ``db`` / ``demo_db``: override the SQLite fixtures of tests/conftest.py with
  a fresh migrated PostgreSQL database per test, so the contracts-DB tests of
  tests/data/ can be run again here against PostgreSQL.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.data.engine import reset_engine_cache
from bot.data.migrate import upgrade
from bot.ops import topology
from bot.ops.model import current_model
from bot.ops.supervisor import POLL_SECONDS, Supervisor
from bot.settings import generated_secrets
from tests.support.ports import port
from tests.support.services import start_services

TODAY = "2026-11-24"
RASA_PORTS = (port(17005), port(17006))
ACTION_PORTS = (port(17055), port(17056))
BALANCED_RASA_PORTS = (port(17015), port(17016))
BALANCED_ACTION_PORTS = (port(17065), port(17066))
TWILIO_TOKEN = "scaleout-twilio-token"


def _name(kind: str) -> str:
    return f"test_{kind}_{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="session")
def services() -> dict[str, str]:
    """PostgreSQL + Redis running (started here if they are not); their settings."""
    return start_services()


@dataclass(frozen=True)
class Cluster:
    rest_urls: list[str]
    env: dict[str, str]  # production environment: DATABASE_URL etc. for `python -m bot`
    tracker_url: str
    topology: topology.Topology

    def cli(self, *args: str) -> str:
        return topology.run_cli(self.env, *args)


def _supervise(supervisor: Supervisor, serving: threading.Event) -> None:
    """Restart a process that dies, as `make topology`'s main loop does, while ``serving``.

    The children it restarts get PR_SET_PDEATHSIG from this thread: it must
    live until the topology stops.
    """
    while serving.is_set():
        supervisor.poll()
        time.sleep(POLL_SECONDS)


@contextmanager
def _started(
    services: dict[str, str],
    log_dir: Path,
    rasa_ports: Sequence[int],
    action_ports: Sequence[int],
    lb_port: int | None = None,
    web_port: int | None = None,
) -> Iterator[Cluster]:
    """A topology (with ``lb_port``: the web app and nginx in front) on throwaway databases."""
    model = current_model()
    if not model.exists():
        pytest.fail(f"no trained model at {model}: run `make train` (make test does)")
    trackers, contracts = _name("scaleout_trackers"), _name("scaleout_contracts")
    topology.create_database(services, trackers)
    topology.create_database(services, contracts)
    env = topology.production_env(services, trackers, contracts)
    env.update(ASSISTANT_TODAY=TODAY, TWILIO_AUTH_TOKEN=TWILIO_TOKEN, **generated_secrets({}))
    cluster = topology.Topology(
        str(model), env, rasa_ports, action_ports, log_dir, lb_port=lb_port, web_port=web_port
    )
    serving = threading.Event()
    supervise = threading.Thread(target=_supervise, args=(cluster.supervisor, serving))
    try:
        topology.prepare_contracts_db(env)
        cluster.start()
        serving.set()
        supervise.start()
        yield Cluster(cluster.rest_urls, env, topology.postgres_url(services, trackers), cluster)
    finally:
        serving.clear()
        if supervise.is_alive():
            supervise.join()
        cluster.stop()
        topology.drop_database(services, trackers)
        topology.drop_database(services, contracts)


@pytest.fixture(scope="module")  # two Rasa processes (~2.2 GB): only while test_replicas runs
def cluster(services: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    with _started(services, tmp_path_factory.mktemp("topology"), RASA_PORTS, ACTION_PORTS) as started:
        yield started


@pytest.fixture(scope="module")  # only while test_load_balancer runs
def balanced(services: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """The `make topology` processes with the web app and nginx in front (``topology.lb_url``)."""
    with _started(
        services,
        tmp_path_factory.mktemp("balanced"),
        BALANCED_RASA_PORTS,
        BALANCED_ACTION_PORTS,
        lb_port=port(17090),
        web_port=port(17080),
    ) as started:
        yield started


@pytest.fixture(scope="session")
def pg_template(services: dict[str, str]) -> Iterator[str]:
    """A migrated, empty database that each test's database is copied from."""
    name = _name("repo_template")
    url = topology.create_database(services, name)
    try:
        upgrade(url)
        reset_engine_cache()  # no open connection may remain on a template
        yield name
    finally:
        reset_engine_cache()
        topology.drop_database(services, name)


@contextmanager
def _throwaway_database(
    services: dict[str, str], monkeypatch: pytest.MonkeyPatch, kind: str, template: str | None = None
) -> Iterator[str]:
    """A new PostgreSQL database (a copy of ``template``, else empty) as DATABASE_URL, dropped after."""
    name = _name(kind)
    url = topology.create_database(services, name, template=template)
    monkeypatch.setenv("DATABASE_URL", url)
    reset_engine_cache()
    try:
        yield url
    finally:
        reset_engine_cache()
        topology.drop_database(services, name)


@pytest.fixture
def db(
    isolated_database_url: str,  # tests/conftest.py's autouse fixture runs first; we replace its URL
    services: dict[str, str],
    pg_template: str,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[str]:
    """An empty, migrated PostgreSQL database; returns its URL (also in DATABASE_URL)."""
    with _throwaway_database(services, monkeypatch, "repo", pg_template) as url:
        yield url


@pytest.fixture
def empty_db_url(
    isolated_database_url: str, services: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """An empty, unmigrated PostgreSQL database (the migration round trip of tests/data/)."""
    with _throwaway_database(services, monkeypatch, "migration") as url:
        yield url
