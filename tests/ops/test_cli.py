import json
import os
import sqlite3
import subprocess
import sys
import types
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.data import repository, services
from bot.data.engine import REPO_ROOT, session_scope
from bot.data.models import Contract
from bot.ops import cli

FIXTURES = Path(__file__).parents[1] / "data" / "fixtures"
DEMO_CSV = REPO_ROOT / "data" / "demo" / "contracts.csv"


def _count() -> int:
    with session_scope() as s:
        return s.execute(select(func.count()).select_from(Contract)).scalar_one()


def test_db_upgrade_from_another_directory(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.db'}"}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "db", "upgrade"],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(REPO_ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "up to date" in done.stdout
    with sqlite3.connect(tmp_path / "fresh.db") as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert {"alembic_version", "contracts", "gap_claims", "sms_opt_outs"} <= tables


def test_import_demo_then_reimport_is_idempotent(db, capsys):
    assert cli.main(["contracts", "import", str(DEMO_CSV)]) == 0
    assert capsys.readouterr().out.strip() == "imported 10 (created 10, updated 0), rejected 0"
    assert cli.main(["contracts", "import", str(DEMO_CSV)]) == 0
    assert capsys.readouterr().out.strip() == "imported 10 (created 0, updated 10), rejected 0"
    assert _count() == 10


def test_import_reports_bad_rows_and_keeps_good_ones(db, capsys):
    assert cli.main(["contracts", "import", str(FIXTURES / "contracts_bad_rows.csv")]) == 1
    out, err = capsys.readouterr()
    assert out.strip() == "imported 2 (created 2, updated 0), rejected 10"
    rejected = {int(line.split("line ")[1].split(":")[0]): line for line in err.splitlines()}
    assert sorted(rejected) == [3, 4, 5, 6, 7, 8, 9, 11, 12, 13]
    assert "check digit" in rejected[3] and "…012345" in rejected[3]
    assert "zip_code" in rejected[4]
    assert "plan" in rejected[5]
    assert "has_gap" in rejected[6]
    assert "purchase_date" in rejected[7]
    assert "status" in rejected[8] and "deductible" in rejected[8]
    assert "expected 17 fields" in rejected[9]
    assert "repeats line 2" in rejected[11]
    assert "vin" in rejected[12] and "state" in rejected[13]
    assert "1HGCV1F31LA012345" not in err and "Badvin" not in err
    with session_scope() as s:
        good = repository.get_contract(s, "TST-0009")
        assert (good.plan, good.has_gap, good.deductible, good.contract_price) == (
            "Major Guard",
            False,
            None,
            None,
        )
        assert repository.get_contract(s, "TST-0001").last_name == "Goodrow"  # not "Duplicate"


def test_wrong_header_imports_nothing(db, capsys):
    assert cli.main(["contracts", "import", str(FIXTURES / "contracts_wrong_header.csv")]) == 2
    assert "header must be exactly" in capsys.readouterr().err
    assert _count() == 0


def test_missing_file_is_a_usage_error(db, capsys, tmp_path):
    assert cli.main(["contracts", "import", str(tmp_path / "nope.csv")]) == 2
    assert "nope.csv" in capsys.readouterr().err


def test_import_is_one_transaction(db, monkeypatch, capsys):
    real_upsert = repository.upsert_contract
    calls = []

    def fail_on_second(session, row):
        calls.append(row.contract_number)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real_upsert(session, row)

    monkeypatch.setattr("bot.data.contracts_csv.upsert_contract", fail_on_second)
    with pytest.raises(RuntimeError):
        cli.main(["contracts", "import", str(FIXTURES / "contracts_good.csv")])
    assert _count() == 0


def test_show_masks_the_vin(demo_db, capsys):
    services.open_gap_claim("APP-100104", "sms")
    assert cli.main(["contracts", "show", "app-100104"]) == 0
    out = capsys.readouterr().out
    assert "Contract APP-100104 (active)" in out
    assert "…530264" in out and "1FTEW1EP0LK530264" not in out
    assert "Major Guard" in out and "66044 / KS" in out and "$3,200.00" in out
    assert "GAP-" in out


def test_show_unknown_contract(demo_db, capsys):
    assert cli.main(["contracts", "show", "APP-404"]) == 1
    assert "no contract APP-404" in capsys.readouterr().err


def test_claims_list(demo_db, capsys):
    assert cli.main(["claims", "list"]) == 0
    assert capsys.readouterr().out.strip() == "no GAP claims"
    claim, _ = services.open_gap_claim("APP-100101", "rest")
    assert cli.main(["claims", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed == [
        {
            "reference": claim.reference,
            "status": "open",
            "contract_number": "APP-100101",
            "channel": "rest",
            "created_at": claim.created_at.isoformat(),
            "documents_review_due": claim.documents_review_due.isoformat(),
        }
    ]
    assert cli.main(["claims", "list"]) == 0
    assert claim.reference in capsys.readouterr().out


def test_demo_seed_only_into_an_empty_database(db, capsys):
    assert cli.main(["demo", "seed"]) == 0
    assert "created 10" in capsys.readouterr().out
    services.open_gap_claim("APP-100101", "rest")
    assert cli.main(["demo", "seed"]) == 0
    assert "skipped" in capsys.readouterr().out
    assert _count() == 10


def test_unmigrated_database_gets_a_hint(capsys):
    assert cli.main(["contracts", "show", "APP-100101"]) == 1
    assert "db upgrade" in capsys.readouterr().err


def test_other_packages_can_add_commands(monkeypatch, capsys):
    def add_commands(sub):
        faq = sub.add_parser("faq").add_subparsers(dest="command", required=True)
        faq.add_parser("export").set_defaults(func=lambda args: print("exported") or 0)

    monkeypatch.setitem(sys.modules, "fake_ext", types.SimpleNamespace(add_commands=add_commands))
    monkeypatch.setattr(cli, "_extension_modules", lambda: ["fake_ext"])
    assert cli.main(["faq", "export"]) == 0
    assert capsys.readouterr().out.strip() == "exported"


def test_extension_modules_are_found_by_file(monkeypatch, tmp_path):
    (tmp_path / "faq").mkdir()
    (tmp_path / "faq" / "commands.py").write_text("")
    (tmp_path / "web").mkdir()
    monkeypatch.setattr(cli, "PACKAGE_DIR", tmp_path)
    assert cli._extension_modules() == ["bot.faq.commands"]
