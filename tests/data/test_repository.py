import re
import threading
from dataclasses import replace
from datetime import date

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import IntegrityError

from bot.data import repository, services
from bot.data.engine import get_engine, session_scope
from bot.data.migrate import head_revision, upgrade
from bot.data.models import Base, Contract, GapClaim
from bot.data.repository import ContractRow

VIN = "1HGFE2F56MA104231"  # APP-100101, Jamie O'Connor, 60614
TODAY = date(2026, 11, 25)  # Wednesday before Thanksgiving


def test_migrations_build_exactly_the_models(db):
    with get_engine().connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_upgrade_is_idempotent_and_uses_wal(db):
    upgrade()
    with get_engine().connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == head_revision()
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
    tables = set(inspect(get_engine()).get_table_names())
    assert {
        "contracts",
        "gap_claims",
        "sms_opt_outs",
        "verification_failures",
        "seen_deliveries",
        "verified_conversations",
        "claim_documents",
        "claim_notifications",
    } <= tables


@pytest.mark.parametrize(
    "last_name, zip_code, vin",
    [
        ("O'Connor", "60614", VIN),
        ("oconnor", "60614-2201", VIN.lower()),
        ("O’CONNOR", "60614 2201", "1HG FE2F56-MA104231"),
    ],
)
def test_find_contract_by_identity(demo_db, last_name, zip_code, vin):
    with session_scope() as s:
        contract = repository.find_contract_by_identity(s, last_name, zip_code, vin)
        assert contract is not None and contract.contract_number == "APP-100101"


@pytest.mark.parametrize(
    "last_name, zip_code, vin",
    [
        ("Connor", "60614", VIN),
        ("O'Connor", "60615", VIN),
        ("O'Connor", "60614", "2T1BURHE4NC073158"),  # another customer's VIN
        ("Núñez", "60614", VIN),
        ("", "60614", VIN),
        ("O'Connor", "nope", VIN),
        ("O'Connor", "60614", "short"),
    ],
)
def test_find_contract_by_identity_mismatch(demo_db, last_name, zip_code, vin):
    with session_scope() as s:
        assert repository.find_contract_by_identity(s, last_name, zip_code, vin) is None


def test_accented_and_hyphenated_names_verify(demo_db):
    with session_scope() as s:
        assert repository.find_contract_by_identity(s, "nunez", "78701", "2T1BURHE4NC073158")
        assert repository.find_contract_by_identity(s, "Smith Jones", "98101", "5YJ3E1EAXPF402917")


def _row(**changes) -> ContractRow:
    base = ContractRow(
        contract_number="TST-1",
        first_name="Pat",
        last_name="Reuse",
        zip_code="66044",
        state="KS",
        vin=VIN,
        vehicle_year=2021,
        vehicle_make="Honda",
        vehicle_model="Civic",
        plan="Basic Guard",
        has_gap=True,
        purchase_date=date(2020, 1, 1),
        term_months=36,
        deductible=None,
        claims_filed=0,
        status="cancelled",
        contract_price=None,
    )
    return replace(base, **changes)


def test_identity_prefers_the_active_contract_for_a_vin(db):
    with session_scope() as s:
        repository.upsert_contract(s, _row())
        repository.upsert_contract(
            s, _row(contract_number="TST-2", status="active", purchase_date=date(2019, 1, 1))
        )
        repository.upsert_contract(s, _row(contract_number="TST-3", purchase_date=date(2023, 1, 1)))
    with session_scope() as s:
        found = repository.find_contract_by_identity(s, "reuse", "66044", VIN)
        assert found.contract_number == "TST-2"


def test_upsert_creates_then_updates_without_touching_unchanged_rows(db):
    with session_scope() as s:
        assert repository.upsert_contract(s, _row()) is True
    with session_scope() as s:
        stamp = repository.get_contract(s, "TST-1").updated_at
        assert repository.upsert_contract(s, _row()) is False
    with session_scope() as s:
        assert repository.get_contract(s, "tst-1").updated_at == stamp
        assert repository.upsert_contract(s, _row(last_name="Re-Use Two")) is False
    with session_scope() as s:
        contract = repository.get_contract(s, "TST-1")
        assert (contract.last_name_key, contract.status) == ("reusetwo", "cancelled")
        assert s.execute(select(func.count()).select_from(Contract)).scalar_one() == 1


def _contract(s, number="APP-100101") -> Contract:
    return repository.get_contract(s, number)


def test_open_claim_is_idempotent(demo_db):
    with session_scope() as s:
        claim, created = repository.open_or_get_gap_claim(s, _contract(s), "rest", TODAY)
        first = claim.reference
        assert created is True
        assert re.fullmatch(r"GAP-[23456789ABCDEFGHJKMNPQRSTVWXYZ]{8}", first)
        assert claim.documents_review_due == date(2026, 11, 30)  # Thanksgiving skipped
        assert claim.open_contract_id == claim.contract_id
    with session_scope() as s:
        again, created = repository.open_or_get_gap_claim(s, _contract(s), "sms", TODAY)
        assert (again.reference, again.channel, created) == (first, "rest", False)
        assert repository.latest_gap_claim(s, _contract(s).id).reference == first


@pytest.mark.parametrize("final", ["denied", "paid"])
def test_final_claim_allows_a_new_one(demo_db, final):
    with session_scope() as s:
        claim, _ = repository.open_or_get_gap_claim(s, _contract(s), "rest", TODAY)
        claim.status, claim.open_contract_id = final, None
    with session_scope() as s:
        newer, created = repository.open_or_get_gap_claim(s, _contract(s), "rest", TODAY)
        assert created and newer.reference != claim.reference
        assert repository.latest_gap_claim(s, _contract(s).id).reference == newer.reference
        assert len(repository.list_claims(s)) == 2


def test_database_refuses_a_second_open_claim(demo_db):
    with session_scope() as s:
        contract_id = _contract(s).id
        repository.open_or_get_gap_claim(s, _contract(s), "rest", TODAY)
    with pytest.raises(IntegrityError), session_scope() as s:
        s.add(
            GapClaim(
                reference="GAP-22222222",
                contract_id=contract_id,
                open_contract_id=contract_id,
                channel="rest",
                documents_review_due=TODAY,
            )
        )


def test_database_refuses_an_open_claim_without_its_marker(demo_db):
    with pytest.raises(IntegrityError), session_scope() as s:
        s.add(
            GapClaim(
                reference="GAP-33333333",
                contract_id=_contract(s).id,
                open_contract_id=None,
                status="open",
                channel="rest",
                documents_review_due=TODAY,
            )
        )


def test_lost_race_returns_the_winners_claim(demo_db, monkeypatch):
    """The PostgreSQL path: our SELECT saw nothing, the INSERT hits the UNIQUE marker."""
    with session_scope() as s:
        winner, _ = repository.open_or_get_gap_claim(s, _contract(s), "rest", TODAY)
    real_open_claim = repository._open_claim
    calls = []

    def blind_first_time(session, contract_id):
        calls.append(contract_id)
        return None if len(calls) == 1 else real_open_claim(session, contract_id)

    monkeypatch.setattr(repository, "_open_claim", blind_first_time)
    with session_scope() as s:
        claim, created = repository.open_or_get_gap_claim(s, _contract(s), "sms", TODAY)
        assert (claim.reference, created) == (winner.reference, False)
    assert len(calls) == 2
    with session_scope() as s:
        assert len(repository.list_claims(s)) == 1


def test_reference_collision_draws_again(demo_db, monkeypatch):
    with session_scope() as s:
        taken, _ = repository.open_or_get_gap_claim(s, _contract(s, "APP-100102"), "rest", TODAY)
    draws = iter([taken.reference, "GAP-NEWREF22"])
    monkeypatch.setattr(repository, "new_claim_reference", lambda: next(draws))
    with session_scope() as s:
        claim, created = repository.open_or_get_gap_claim(s, _contract(s), "rest", TODAY)
        assert (claim.reference, created) == ("GAP-NEWREF22", True)


def test_channel_must_be_short(demo_db):
    with session_scope() as s, pytest.raises(ValueError):
        repository.open_or_get_gap_claim(s, _contract(s), "x" * 21, TODAY)


def test_concurrent_openings_create_one_claim(demo_db):
    threads_n = 6
    barrier = threading.Barrier(threads_n)
    results, errors = [], []

    def worker():
        try:
            barrier.wait(timeout=10)
            results.append(services.open_gap_claim("APP-100101", "rest", TODAY))
        except Exception as exc:  # reported below; a thread cannot fail the test itself
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert len({view.reference for view, _ in results}) == 1
    assert sorted(created for _, created in results) == [False] * (threads_n - 1) + [True]
    with session_scope() as s:
        assert len(repository.list_claims(s)) == 1


def test_opt_out_round_trip(db):
    key = "hmac-sha256:" + "ab" * 32
    with session_scope() as s:
        assert repository.is_opted_out(s, key) is False
        repository.set_opt_out(s, key, True)
        repository.set_opt_out(s, key, True)
    with session_scope() as s:
        assert repository.is_opted_out(s, key) is True
        repository.set_opt_out(s, key, False)
        repository.set_opt_out(s, key, False)
    with session_scope() as s:
        assert repository.is_opted_out(s, key) is False


@pytest.mark.parametrize("raw", ["+1 785 555 0142", "7855550142", "(785) 555-0142", ""])
def test_opt_out_refuses_raw_phone_numbers(db, raw):
    with session_scope() as s, pytest.raises(ValueError):
        repository.set_opt_out(s, raw, True)
