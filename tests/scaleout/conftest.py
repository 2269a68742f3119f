"""Scale-out fixtures: the project's PostgreSQL and Redis (scripts/services.sh
starts them, installing them first if needed) with throwaway databases.

- ``cluster``: the `make topology` processes (two Rasa replicas, two action
  servers, production endpoints) on ports 17005-6 / 17055-6, sharing one
  tracker database, one contracts database and Redis.
- ``db`` / ``demo_db``: override the SQLite fixtures of tests/conftest.py with
  a fresh migrated PostgreSQL database per test, so the contracts-DB tests of
  tests/data/ can be run again here against PostgreSQL.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from bot.data.engine import reset_engine_cache
from bot.data.migrate import upgrade
from bot.ops import topology
from bot.ops.model import current_model
from bot.settings import generated_secrets
from tests.support.ports import port

TODAY = "2026-11-24"
RASA_PORTS = (port(17005), port(17006))
ACTION_PORTS = (port(17055), port(17056))


def _name(kind: str) -> str:
    return f"test_{kind}_{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="session")
def services() -> dict[str, str]:
    """PostgreSQL + Redis running (started here if they are not); their settings."""
    return topology.start_services()


@dataclass(frozen=True)
class Cluster:
    rest_urls: list[str]
    env: dict[str, str]  # production environment: DATABASE_URL etc. for `python -m bot`
    tracker_url: str

    def cli(self, *args: str) -> str:
        return topology.run_cli(self.env, *args)


@pytest.fixture(scope="module")  # two Rasa processes (~2.2 GB): only while test_replicas runs
def cluster(services: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    model = current_model()
    if not model.exists():
        pytest.fail(f"no trained model at {model}: run `make train` (make test does)")
    trackers, contracts = _name("scaleout_trackers"), _name("scaleout_contracts")
    topology.create_database(services, trackers)
    topology.create_database(services, contracts)
    env = topology.production_env(services, trackers, contracts)
    env.update(ASSISTANT_TODAY=TODAY, **generated_secrets({}))
    cluster = topology.Topology(
        str(model), env, RASA_PORTS, ACTION_PORTS, tmp_path_factory.mktemp("topology")
    )
    try:
        topology.prepare_contracts_db(env)
        cluster.start()
        yield Cluster(cluster.rest_urls, env, topology.postgres_url(services, trackers))
    finally:
        cluster.stop()
        topology.drop_database(services, trackers)
        topology.drop_database(services, contracts)


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


@pytest.fixture
def db(
    isolated_database_url: str,  # tests/conftest.py's autouse fixture runs first; we replace its URL
    services: dict[str, str],
    pg_template: str,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[str]:
    """An empty, migrated PostgreSQL database; returns its URL (also in DATABASE_URL)."""
    name = _name("repo")
    url = topology.create_database(services, name, template=pg_template)
    monkeypatch.setenv("DATABASE_URL", url)
    reset_engine_cache()
    try:
        yield url
    finally:
        reset_engine_cache()
        topology.drop_database(services, name)
