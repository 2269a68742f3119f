"""Migration 0003 (claims center) up and down over existing data; tests/scaleout runs it on PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from bot.data.engine import get_engine, reset_engine_cache
from bot.data.migrate import ALEMBIC_INI

BEFORE = "0001"
CLAIMS_TABLES = {"claim_documents", "claim_status_history", "claim_notifications", "sms_contacts"}


def alembic(url: str, action: str, revision: str) -> None:
    config = Config(str(ALEMBIC_INI))
    config.attributes["url"] = url
    getattr(command, action)(config, revision)
    reset_engine_cache()


def _insert_claim(url: str, reference: str, status: str, marker: int | None) -> None:
    with get_engine(url).begin() as conn:
        conn.execute(
            text(
                "INSERT INTO gap_claims (reference, contract_id, open_contract_id, status, channel, created_at,"
                " documents_review_due) VALUES (:r, 1, :m, :s, 'rest', :c, :d)"
            ),
            {
                "r": reference,
                "m": marker,
                "s": status,
                "c": datetime.now(timezone.utc),
                "d": date(2026, 11, 25),
            },
        )


def _statuses(url: str) -> dict[str, str]:
    with get_engine(url).connect() as conn:
        return dict(conn.execute(text("SELECT reference, status FROM gap_claims")).all())


def test_claims_center_migration_round_trip(empty_db_url: str) -> None:
    url = empty_db_url
    alembic(url, "upgrade", BEFORE)
    with get_engine(url).begin() as conn:
        conn.execute(
            text(
                "INSERT INTO contracts (id, contract_number, first_name, last_name, last_name_key, zip_code, state,"
                " vin, vehicle_year, vehicle_make, vehicle_model, plan, has_gap, purchase_date, term_months,"
                " claims_filed, status, created_at, updated_at) VALUES (1, 'APP-1', 'A', 'B', 'b', '98101', 'WA',"
                " '5YJ3E1EAXPF402917', 2023, 'Tesla', 'Model 3', 'Feature Guard', true, '2026-09-30', 60, 0,"
                " 'active', :now, :now)"
            ),
            {"now": datetime.now(timezone.utc)},
        )
    _insert_claim(url, "GAP-OLD", "open", 1)

    alembic(url, "upgrade", "head")
    assert set(inspect(get_engine(url)).get_table_names()) >= CLAIMS_TABLES
    assert _statuses(url) == {"GAP-OLD": "open"}  # existing claims keep their status
    with get_engine(url).begin() as conn:
        conn.execute(
            text("UPDATE gap_claims SET status = 'more_documents_needed' WHERE reference = 'GAP-OLD'")
        )
    with pytest.raises(IntegrityError):  # a second non-final claim on the contract
        _insert_claim(url, "GAP-TWO", "in_review", 1)
    with pytest.raises(IntegrityError):  # a non-final claim must carry the marker
        _insert_claim(url, "GAP-TWO", "approved", None)
    with pytest.raises(IntegrityError):  # a status that does not exist
        _insert_claim(url, "GAP-TWO", "closed", None)
    _insert_claim(url, "GAP-PAID", "paid", None)

    alembic(url, "downgrade", BEFORE)
    assert not CLAIMS_TABLES & set(inspect(get_engine(url)).get_table_names())
    assert _statuses(url) == {"GAP-OLD": "open", "GAP-PAID": "paid"}  # not final: "open" before 0003

    alembic(url, "upgrade", "head")
    assert _statuses(url) == {"GAP-OLD": "open", "GAP-PAID": "paid"}
