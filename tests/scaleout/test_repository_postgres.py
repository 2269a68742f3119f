"""The contracts-DB tests of tests/data/ again, against PostgreSQL.

Production keeps contracts and GAP claims in PostgreSQL (DATABASE_URL), where
concurrent writers are not serialised the way SQLite's BEGIN IMMEDIATE
serialises them: the UNIQUE open-claim marker is what keeps a claim single.
The `db` / `demo_db` fixtures here (tests/scaleout/conftest.py) give each test
a fresh migrated PostgreSQL database, so the same test functions exercise the
PostgreSQL path. Only the SQLite-specific WAL check is replaced by its
PostgreSQL counterpart below.
"""

from __future__ import annotations

import threading
from datetime import date

from sqlalchemy import inspect, text

import tests.claims.test_status_and_contacts as claims_status_tests
import tests.data.test_claims_migration as claims_migration_tests
import tests.data.test_repository as repository_tests
import tests.data.test_services as services_tests
from bot.data import repository, services
from bot.data.engine import get_engine, session_scope
from bot.data.migrate import head_revision, upgrade
from bot.data.services import ClaimView

SQLITE_ONLY = {"test_upgrade_is_idempotent_and_uses_wal"}


def _reexport(module) -> None:
    for name, value in vars(module).items():
        if name.startswith("test_") and callable(value) and name not in SQLITE_ONLY:
            globals()[name] = value


_reexport(repository_tests)
_reexport(services_tests)
_reexport(claims_migration_tests)
_reexport(claims_status_tests)

TODAY = date(2026, 11, 25)


GAP_CONTRACTS = ["APP-100101", "APP-100103", "APP-100108", "APP-100110"]  # active, with GAP


def test_runs_on_postgresql(db):
    assert get_engine().dialect.name == "postgresql"


def test_upgrade_is_idempotent_on_postgresql(db):
    upgrade()
    upgrade()
    with get_engine().connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == head_revision()
    tables = {"contracts", "gap_claims", "sms_opt_outs", "verification_failures", "seen_deliveries"}
    tables |= {"verified_conversations", "claim_documents", "claim_notifications"}
    assert tables <= set(inspect(get_engine()).get_table_names())


def test_many_threads_many_contracts_one_claim_each(demo_db):
    """8 threads per contract, 4 contracts, all released at once: one claim per contract."""
    per_contract = 8
    workers = [number for number in GAP_CONTRACTS for _ in range(per_contract)]
    barrier = threading.Barrier(len(workers))
    results: list[tuple[str, ClaimView, bool]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker(number: str) -> None:
        try:
            barrier.wait(timeout=30)
            view, created = services.open_gap_claim(number, "rest", TODAY)
            with lock:
                results.append((number, view, created))
        except BaseException as exc:  # reported below; a thread cannot fail the test itself
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == [] and len(results) == len(workers)
    for number in GAP_CONTRACTS:
        mine = [(view, created) for n, view, created in results if n == number]
        assert len({view.reference for view, _ in mine}) == 1, number
        assert sum(created for _, created in mine) == 1, number
    with session_scope() as s:
        claims = repository.list_claims(s)
        assert sorted(c.contract.contract_number for c in claims) == sorted(GAP_CONTRACTS)
