"""The tracker store: what it stores, what it publishes, and how it bounds replays."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from rasa.core.brokers.broker import EventBroker
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from bot.rasa_server.tracker_store import (
    DEFAULT_COMPACT_AFTER_EVENTS,
    AssistantSQLTrackerStore,
    compact_after_events,
    compaction_events,
    events_in_current_session,
)

ROOT = Path(__file__).resolve().parents[2]
SENDER = "tracker-store-test-0001"


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain.yml"))


class RecordingBroker(EventBroker):
    def __init__(self) -> None:
        self.published: list[dict[str, Any]] = []

    def publish(self, event: dict[str, Any]) -> None:
        self.published.append(event)

    def is_ready(self) -> bool:
        return True


def make_store(
    domain: Domain,
    path: Path,
    broker: EventBroker = None,
    compact: str = "0",
    monkeypatch: pytest.MonkeyPatch = None,
) -> AssistantSQLTrackerStore:
    if monkeypatch is not None:
        monkeypatch.setenv("TRACKER_COMPACT_EVENTS", compact)
    return AssistantSQLTrackerStore(domain=domain, event_broker=broker, dialect="sqlite", db=str(path))


def faq_turn(tracker: DialogueStateTracker, n: int) -> None:
    tracker.update(UserUttered(f"is my rental covered? {n}", {"name": "ask_rental", "confidence": 0.99}))
    tracker.update(ActionExecuted("utter_rental"))
    tracker.update(BotUttered("The page's answer"))
    tracker.update(ActionExecuted("action_answer_personal"))
    tracker.update(SlotSet("lookup_offered", True))
    tracker.update(ActionExecuted("action_listen"))


def run(coro: Any) -> Any:
    return asyncio.new_event_loop().run_until_complete(coro)


def stored_rows(path: Path) -> list[str]:
    with sqlite3.connect(path) as conn:
        return [row[0] for row in conn.execute("SELECT type_name FROM events ORDER BY id")]


def test_save_stores_new_events_once_and_publishes_them_without_reloading(
    domain: Domain, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broker = RecordingBroker()
    store = make_store(domain, tmp_path / "t.db", broker, "0", monkeypatch)

    async def no_second_load(*_: Any, **__: Any) -> None:
        raise AssertionError("save must not reload the tracker")

    tracker = run(store.get_or_create_tracker(SENDER))
    faq_turn(tracker, 1)
    monkeypatch.setattr(store, "retrieve", no_second_load)
    run(store.save(tracker))
    faq_turn(tracker, 2)
    run(store.save(tracker))
    monkeypatch.undo()

    assert len(stored_rows(tmp_path / "t.db")) == len(tracker.events)
    assert [e["event"] for e in broker.published] == [e.as_dict()["event"] for e in tracker.events]
    assert all(e["sender_id"] == SENDER for e in broker.published)
    again = run(store.retrieve(SENDER))
    assert list(again.events) == list(tracker.events)


def test_sqlite_runs_in_wal_mode_on_one_connection(domain: Domain, tmp_path: Path) -> None:
    store = make_store(domain, tmp_path / "t.db")
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
    assert type(store.engine.pool).__name__ == "StaticPool"


def test_compaction_setting() -> None:
    assert compact_after_events({}) == DEFAULT_COMPACT_AFTER_EVENTS
    assert compact_after_events({"TRACKER_COMPACT_EVENTS": "0"}) == 0
    assert compact_after_events({"TRACKER_COMPACT_EVENTS": "40"}) == 40
    assert compact_after_events({"TRACKER_COMPACT_EVENTS": "lots"}) == DEFAULT_COMPACT_AFTER_EVENTS


def test_compaction_waits_for_a_long_session_at_rest(domain: Domain) -> None:
    tracker = DialogueStateTracker.from_events(SENDER, [ActionExecuted("action_listen")], domain.slots)
    for n in range(3):
        faq_turn(tracker, n)
    length = events_in_current_session(tracker)
    assert compaction_events(tracker, length) == []  # not longer than the limit
    assert compaction_events(tracker, 0) == []  # switched off
    fresh = compaction_events(tracker, length - 1)
    assert isinstance(fresh[0], SessionStarted) and fresh[-1] == ActionExecuted("action_listen")
    assert SlotSet("lookup_offered", True) in fresh
    assert all(e.timestamp > tracker.events[-2].timestamp for e in fresh)

    tracker.update(UserUttered("start a claim", {"name": "start_gap_claim", "confidence": 0.99}))
    tracker.update(ActionExecuted("gap_claim_form"))
    tracker.update(ActiveLoop("gap_claim_form"))
    tracker.update(ActionExecuted("action_listen"))
    assert compaction_events(tracker, 1) == []  # never inside a form


def test_long_conversation_replays_a_bounded_session_and_keeps_everything(
    domain: Domain, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    limit = 20
    broker = RecordingBroker()
    store = make_store(domain, tmp_path / "t.db", broker, str(limit), monkeypatch)
    session_lengths = []
    for n in range(30):
        tracker = run(store.get_or_create_tracker(SENDER))
        session_lengths.append(len(tracker.events))
        faq_turn(tracker, n)
        run(store.save(tracker))

    # What each turn reloads stays bounded (6 events a turn here) ...
    assert max(session_lengths) <= limit + 6
    # ... with the conversation's state carried over ...
    latest = run(store.retrieve(SENDER))
    assert latest.get_slot("lookup_offered") is True
    assert latest.latest_action_name == "action_listen"
    # ... and the whole history kept, each customer message exactly once.
    full = run(store.retrieve_full_tracker(SENDER))
    texts = [e.text for e in full.events if isinstance(e, UserUttered)]
    assert texts == [f"is my rental covered? {n}" for n in range(30)]
    rows = stored_rows(tmp_path / "t.db")
    assert rows.count("session_started") > 1 and len(rows) == len(full.events)
    # The synthetic session starts are bookkeeping, not new conversations.
    assert [e["event"] for e in broker.published].count("session_started") == 0


def test_a_new_conversation_compacted_every_turn_stores_each_event_once(
    domain: Domain, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rasa's own flow: the tracker is created with `action_listen`, and the
    first message starts a session inside the turn."""
    store = make_store(domain, tmp_path / "t.db", None, "1", monkeypatch)
    tracker = run(store.get_or_create_tracker(SENDER))
    tracker.update(SessionStarted())
    tracker.update(ActionExecuted("action_listen"))
    faq_turn(tracker, 0)
    run(store.save(tracker))
    for n in range(1, 6):
        tracker = run(store.retrieve(SENDER))
        faq_turn(tracker, n)
        run(store.save(tracker))

    with sqlite3.connect(tmp_path / "t.db") as conn:
        rows = conn.execute("SELECT type_name, action_name FROM events ORDER BY id").fetchall()
    sessions = sum(1 for kind, _ in rows if kind == "session_started")
    listens = sum(1 for _, action in rows if action == "action_listen")
    assert sessions == 1 + 6  # Rasa's, then one compaction after each of the 6 turns
    # One on creation, one per session start (Rasa's and the compactions'), one per turn.
    assert listens == 1 + sessions + 6


def test_identity_values_are_never_stored_readably_but_a_form_still_reads_them_back(
    domain: Domain, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = make_store(domain, tmp_path / "t.db", None, "0", monkeypatch)
    tracker = run(store.get_or_create_tracker(SENDER))
    entities = [{"entity": "vin", "start": 11, "end": 28, "value": "5YJ3E1EAXPF402917"}]
    tracker.update(
        UserUttered("my VIN is 5YJ3E1EAXPF402917", {"name": "inform", "confidence": 0.9}, entities)
    )
    tracker.update(SlotSet("vin", "5YJ3E1EAXPF402917"))
    tracker.update(UserUttered("Smith-Jones", {"name": "inform", "confidence": 0.9}))
    tracker.update(SlotSet("last_name", "Smith-Jones"))
    run(store.save(tracker))

    raw = b"".join(p.read_bytes() for p in tmp_path.glob("t.db*"))
    assert b"5YJ3E1EAXPF402917" not in raw and b"Smith-Jones" not in raw
    again = run(store.retrieve(SENDER))
    assert again.get_slot("vin") == "5YJ3E1EAXPF402917" and again.get_slot("last_name") == "Smith-Jones"
