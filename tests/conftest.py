"""Every test here gets its own SQLite file under tmp_path via DATABASE_URL.

The schema is built once per session by the Alembic migrations (never
create_all) into a template file, which each database test copies.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import skops.io  # noqa: F401  # before Rasa and TensorFlow, as bot/rasa_server/__main__.py does: 6 s less collection

from bot.data.contracts_csv import import_contracts
from bot.data.engine import REPO_ROOT, reset_engine_cache
from bot.data.migrate import upgrade

DEMO_CSV = REPO_ROOT / "data" / "demo" / "contracts.csv"
# The claims center's fixtures (``conf``, ``claim_ref``), shared by tests/claims, tests/web and tests/ops.
pytest_plugins = ("tests.support.claims",)


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


TEST_SECRET_KEY = "unit-test-secret-key"


@pytest.fixture(autouse=True)
def secret_key(monkeypatch: pytest.MonkeyPatch) -> str:
    """ASSISTANT_SECRET_KEY for signatures, client hashes and tracker encryption (bot/domain/keys.py)."""
    monkeypatch.setenv("ASSISTANT_SECRET_KEY", TEST_SECRET_KEY)
    return TEST_SECRET_KEY


@pytest.fixture(autouse=True)
def isolated_database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Point DATABASE_URL at an empty, unmigrated file: var/assistant.db is never touched."""
    url = sqlite_url(tmp_path / "test.db")
    monkeypatch.setenv("DATABASE_URL", url)
    reset_engine_cache()
    yield url
    reset_engine_cache()


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(sqlite_url(path))
    reset_engine_cache()  # closes the connections so the file can be copied whole
    return path


@pytest.fixture
def db(isolated_database_url: str, migrated_template: Path, tmp_path: Path) -> str:
    """An empty, migrated database; returns its URL."""
    shutil.copy(migrated_template, tmp_path / "test.db")
    return isolated_database_url


@pytest.fixture
def demo_db(db: str) -> str:
    """The migrated database loaded with data/demo/contracts.csv."""
    result = import_contracts(DEMO_CSV)
    assert result.rejected == [] and result.created == 10
    return db


# tests/security/ attacks the running stack, as tests/e2e/ does.
_TIERS = {"e2e": "e2e", "scaleout": "scaleout", "security": "e2e"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test with its tier from its folder, so `-m "not e2e"` needs no list of files."""
    for item in items:
        parts = Path(str(item.fspath)).relative_to(REPO_ROOT).parts
        for folder, marker in _TIERS.items():
            if folder in parts:
                item.add_marker(marker)
        if parts[-1] == "test_rasa.py" or "conversations_heldout" in parts:
            item.add_marker("model")
