"""The clerk's commands: claims show, set-status, documents --extract."""

import hashlib
import json
import os
import subprocess
import sys
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bot.claims.intake import Upload, intake_for_contract
from bot.data import claims, services
from bot.data.engine import REPO_ROOT
from bot.ops import cli
from tests.support import samples

CONTRACT = "APP-100103"
RECEIVED = datetime(2026, 11, 23, 15, 0, tzinfo=timezone.utc)


@pytest.fixture
def claim_with_documents(demo_db, tmp_path, monkeypatch) -> str:
    monkeypatch.setenv("CLAIMS_STORAGE_DIR", str(tmp_path / "documents"))
    monkeypatch.setenv("CONTACT_ENCRYPTION_KEY", Fernet.generate_key().decode())
    claim, _ = services.open_gap_claim(CONTRACT, "socketio", date(2026, 11, 23))
    for name, data in (("title.pdf", samples.pdf()), ("odometer.jpg", samples.jpeg(gps=True))):
        assert intake_for_contract(CONTRACT, Upload(data, name, "upload_link"), now=RECEIVED).accepted
    return claim.reference


def test_show_json(claim_with_documents, capsys):
    ref = claim_with_documents
    assert cli.main(["claims", "show", ref.lower(), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert (shown["reference"], shown["status"], shown["final"], shown["contract_number"]) == (
        ref,
        "open",
        False,
        CONTRACT,
    )
    first, second = shown["documents"]
    assert first["filename"] == "title.pdf" and first["content_type"] == "application/pdf"
    assert (
        first["size"] == len(samples.pdf()) and first["sha256"] == hashlib.sha256(samples.pdf()).hexdigest()
    )
    assert first["channel"] == "upload_link"
    assert first["received_at"] == "2026-11-23T15:00:00+00:00" and first["review_due"] == "2026-11-25"
    assert second["content_type"] == "image/jpeg"
    assert [h["status"] for h in shown["history"]] == ["open"]
    assert "5YJ3E1EAXPF402917" not in json.dumps(shown) and "Smith" not in json.dumps(shown)


def test_show_text(claim_with_documents, capsys):
    assert cli.main(["claims", "show", claim_with_documents]) == 0
    out = capsys.readouterr().out
    assert (
        f"GAP claim {claim_with_documents}: open" in out
        and "title.pdf" in out
        and "review due 2026-11-25" in out
    )


def test_unknown_reference(demo_db, capsys):
    for command in (
        ["show", "GAP-NOPE2345"],
        ["set-status", "GAP-NOPE2345", "in_review"],
        ["documents", "GAP-NOPE2345"],
    ):
        assert cli.main(["claims", *command]) == 1
        assert "no GAP claim GAP-NOPE2345" in capsys.readouterr().err


def test_set_status_records_history(claim_with_documents, capsys):
    ref = claim_with_documents
    claims.set_claim_contact(ref, "widget", "conversation-7")
    assert (
        cli.main(["claims", "set-status", ref, "more_documents_needed", "--note", "need the payoff letter"])
        == 0
    )
    assert "open -> more_documents_needed; customer update queued" in capsys.readouterr().out
    assert cli.main(["claims", "set-status", ref, "more_documents_needed"]) == 0
    assert "already more_documents_needed; nothing changed" in capsys.readouterr().out
    cli.main(["claims", "show", ref, "--json"])
    history = json.loads(capsys.readouterr().out)["history"]
    assert [(h["status"], h["previous_status"], h["actor"], h["note"]) for h in history] == [
        ("open", None, "socketio", None),
        ("more_documents_needed", "open", "clerk", "need the payoff letter"),
    ]
    cli.main(["claims", "show", ref, "--json"])
    [update] = json.loads(capsys.readouterr().out)["notifications"]
    assert (update["channel"], update["state"], update["attempts"]) == ("widget", "pending", 0)
    assert cli.main(["claims", "show", ref]) == 0
    assert "widget pending   attempts 0" in capsys.readouterr().out


def test_set_status_refusals(claim_with_documents, capsys):
    ref = claim_with_documents
    assert cli.main(["claims", "set-status", ref, "paid"]) == 3
    assert "a claim that is open cannot become paid" in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:
        cli.main(["claims", "set-status", ref, "closed"])
    assert usage.value.code == 2
    assert "invalid choice: 'closed'" in capsys.readouterr().err
    assert cli.main(["claims", "set-status", ref, "denied"]) == 0
    assert "no contact stored" in capsys.readouterr().out
    assert cli.main(["claims", "set-status", ref, "in_review"]) == 3


def test_documents_extract(claim_with_documents, tmp_path, capsys):
    out_dir = tmp_path / "out"
    assert cli.main(["claims", "documents", claim_with_documents, "--extract", str(out_dir)]) == 0
    written = sorted(p.name for p in out_dir.iterdir())
    assert written == ["01-title.pdf", "02-odometer.jpg"]
    assert (out_dir / "01-title.pdf").read_bytes() == samples.pdf()
    assert b"PhoneMaker" not in (out_dir / "02-odometer.jpg").read_bytes()  # stored without EXIF
    assert cli.main(["claims", "documents", claim_with_documents]) == 0
    assert "title.pdf" in capsys.readouterr().out


def test_extract_refuses_a_damaged_store(claim_with_documents, tmp_path, capsys):
    stored = next(p for p in (tmp_path / "documents").rglob("*") if p.is_file() and ".tmp" not in p.parts)
    stored.write_bytes(b"tampered")
    assert cli.main(["claims", "documents", claim_with_documents, "--extract", str(tmp_path / "out")]) == 1
    assert "damaged" in capsys.readouterr().err
    stored.unlink()
    assert cli.main(["claims", "documents", claim_with_documents, "--extract", str(tmp_path / "out")]) == 1
    assert "missing" in capsys.readouterr().err


def test_set_status_as_a_process(claim_with_documents):
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "claims", "set-status", claim_with_documents, "in_review"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    record = claims.get_claim_record(claim_with_documents)
    assert record is not None and record.status == "in_review"
    assert Path(os.environ["DATABASE_URL"].removeprefix("sqlite:///")).exists()
