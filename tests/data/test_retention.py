"""Conversation retention and erasure (bot/data/retention.py, `python -m bot privacy ...`)."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered

from bot.data import retention, services
from bot.data.deliveries import DatabaseDeliveryLog
from bot.data.engine import session_scope
from bot.data.models import SeenDelivery, VerificationFailure, VerifiedConversation
from bot.data.throttle import DatabaseFailureCounter
from bot.ops import cli
from bot.rasa_server.tracker_store import AssistantSQLTrackerStore

ROOT = Path(__file__).resolve().parents[2]
DAY = 86_400.0


@pytest.fixture
def trackers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A tracker store file (the embedded endpoints.yml reads TRACKER_DB)."""
    path = tmp_path / "trackers.db"
    monkeypatch.setenv("TRACKER_DB", str(path))
    monkeypatch.setenv("RASA_ENDPOINTS", "endpoints.yml")
    return path


def converse(path: Path, sender: str, at: float) -> None:
    store = AssistantSQLTrackerStore(
        domain=Domain.load(str(ROOT / "domain.yml")), dialect="sqlite", db=str(path)
    )
    tracker = asyncio.new_event_loop().run_until_complete(store.get_or_create_tracker(sender))
    tracker.update(UserUttered("hi", {"name": "greet", "confidence": 1.0}, timestamp=at))
    tracker.update(ActionExecuted("utter_greet", timestamp=at))
    asyncio.new_event_loop().run_until_complete(store.save(tracker))
    store.engine.dispose()


def senders(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        return {row[0] for row in conn.execute("SELECT sender_id FROM events")}


def test_the_tracker_store_url_comes_from_the_endpoints_file(trackers: Path) -> None:
    assert retention.tracker_store_url() == f"sqlite:///{trackers}"


def test_purge_deletes_whole_idle_conversations_and_expired_shared_state(db: str, trackers: Path) -> None:
    now = 1_800_000_000.0
    converse(trackers, "rest:old", now - 40 * DAY)
    converse(trackers, "rest:recent", now - 1 * DAY)
    services.remember_verified_conversation("rest:old", "APP-100103", now - 40 * DAY)
    DatabaseDeliveryLog().first_time("sms", "SM-old", ttl_seconds=60, now=now - DAY)
    DatabaseFailureCounter().record(["k"], at=now - DAY, forget_before=now - 2 * DAY)

    removed = retention.purge(30, now=now)

    assert removed.conversations == 1 and removed.events >= 2
    assert senders(trackers) == {"rest:recent"}
    with session_scope() as session:
        assert session.query(VerifiedConversation).count() == 0
        assert session.query(SeenDelivery).count() == 0
        assert session.query(VerificationFailure).count() == 0


def test_erase_deletes_every_conversation_that_verified_the_contract(db: str, trackers: Path) -> None:
    now = 1_800_000_000.0
    for sender in ("rest:a", "sms:b", "socketio:c"):
        converse(trackers, sender, now)
    services.remember_verified_conversation("rest:a", "APP-100103")
    services.remember_verified_conversation("sms:b", "APP-100103")
    services.remember_verified_conversation("socketio:c", "APP-100101")

    removed = retention.erase_contract(" app-100103 ")

    assert removed.conversations == 2
    assert senders(trackers) == {"socketio:c"}
    with session_scope() as session:
        assert [r.conversation_id for r in session.query(VerifiedConversation)] == ["socketio:c"]


def test_the_commands(db: str, trackers: Path, capsys: pytest.CaptureFixture[str]) -> None:
    converse(trackers, "rest:a", 1_000_000.0)  # long ago
    services.remember_verified_conversation("rest:a", "APP-100103")
    assert cli.main(["privacy", "erase", "--contract", "APP-100103"]) == 0
    assert "erased 1 conversation(s)" in capsys.readouterr().out
    assert cli.main(["privacy", "purge", "--older-than", "30"]) == 0
    assert "purged 0 conversation(s)" in capsys.readouterr().out
    assert cli.main(["privacy", "purge", "--older-than", "-1"]) == 2
    with pytest.raises(SystemExit):
        cli.main(["privacy", "erase"])  # the contract is required
