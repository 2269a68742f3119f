"""A contract's fields agree everywhere they are written down.

The model (bot/data/models.py), the migration that builds its table, the CSV
columns (bot/data/contracts_csv.py), the validated row and the frozen view
(bot/data/repository.py, services.py) and the `contracts show` CLI
(bot/ops/cli.py) each list the fields; adding one in one place fails here
until it is added to all. (tests/data/test_repository.py also compares the
migrated schema with the models column by column, types included.)
"""

from __future__ import annotations

import ast
import csv
import inspect as pyinspect
import textwrap
from dataclasses import fields

from sqlalchemy import inspect

from bot.data.contracts_csv import COLUMNS
from bot.data.engine import REPO_ROOT, get_engine
from bot.data.models import Contract
from bot.data.repository import ContractRow
from bot.data.services import ContractView
from bot.ops import cli

# Columns the database keeps for itself: not part of a contract record.
BOOKKEEPING = ("id", "last_name_key", "created_at", "updated_at")
# What the CLI prints instead of a raw field (the VIN masked, the vehicle in one phrase).
SHOWN_AS = {
    "vin": "masked_vin",
    "vehicle_year": "vehicle",
    "vehicle_make": "vehicle",
    "vehicle_model": "vehicle",
}

RECORD = [f.name for f in fields(ContractRow)]


def test_model_columns_are_the_record_plus_bookkeeping() -> None:
    columns = [c.name for c in Contract.__table__.columns]
    assert [c for c in columns if c not in BOOKKEEPING] == RECORD
    assert set(BOOKKEEPING) <= set(columns)


def test_migration_builds_the_model_columns(db: str) -> None:
    migrated = [c["name"] for c in inspect(get_engine()).get_columns("contracts")]
    assert migrated == [c.name for c in Contract.__table__.columns]
    nullable = {c["name"]: c["nullable"] for c in inspect(get_engine()).get_columns("contracts")}
    assert nullable == {c.name: c.nullable for c in Contract.__table__.columns}


def test_csv_columns_are_the_record() -> None:
    assert COLUMNS == RECORD
    with (REPO_ROOT / "data" / "demo" / "contracts.csv").open(encoding="utf-8", newline="") as fh:
        assert next(csv.reader(fh)) == COLUMNS


def test_view_fields_are_the_record() -> None:
    assert [f.name for f in fields(ContractView)] == RECORD


def test_cli_shows_every_field() -> None:
    source = textwrap.dedent(pyinspect.getsource(cli._cmd_contracts_show))
    shown = {
        node.attr
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "c"
    }
    missing = [f for f in RECORD if SHOWN_AS.get(f, f) not in shown]
    assert not missing, f"`contracts show` does not print: {missing}"
