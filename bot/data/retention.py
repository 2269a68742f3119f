"""Retention and erasure of conversations (`python -m bot privacy ...`, bot/data/commands.py).

Conversations live in the tracker store's ``events`` table (the database the
Rasa endpoints file names: SQLite by default, PostgreSQL in production). A
conversation is deleted whole: every event of its id.

- ``purge``: conversations with no event in the last N days, and the shared
  state that has expired (seen deliveries, failure counts past the window).
- ``erase_contract``: every conversation that verified the contract (the
  verify action indexes them in ``verified_conversations``). The contract
  record, its GAP claims and SMS opt-outs stay: docs/security.md says why.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
import yaml
from sqlalchemy.engine import Engine

from bot.data.engine import session_scope
from bot.data.models import SeenDelivery, VerificationFailure, VerifiedConversation
from bot.settings import ROOT, expand_variables, settings

DAY_SECONDS = 86_400
_BATCH = 500
_events = sa.Table(
    "events",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255)),
    sa.Column("timestamp", sa.Float),
)


@dataclass(frozen=True)
class Removed:
    conversations: int
    events: int


def tracker_store_url() -> str:
    """The tracker store's database, as the Rasa server finds it: the ``tracker_store``
    section of the RASA_ENDPOINTS file, its ${VARS} expanded."""
    from rasa.core.tracker_store import SQLTrackerStore

    path = ROOT / settings().rasa_endpoints
    section = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("tracker_store")
    if not isinstance(section, dict):
        raise ValueError(f"{path} names no tracker store")
    conf = {k: expand_variables(v) if isinstance(v, str) else v for k, v in section.items()}
    url = SQLTrackerStore.get_db_url(
        conf.get("dialect", "sqlite"),
        conf.get("url"),
        conf.get("port"),
        conf.get("db", "rasa.db"),
        conf.get("username"),
        conf.get("password"),
        query=conf.get("query"),
    )
    return url if isinstance(url, str) else url.render_as_string(hide_password=False)


def _delete_conversations(engine: Engine, conversation_ids: Sequence[str]) -> Removed:
    if not conversation_ids or not sa.inspect(engine).has_table("events"):
        return Removed(0, 0)
    deleted = 0
    with engine.begin() as connection:
        for start in range(0, len(conversation_ids), _BATCH):
            batch = list(conversation_ids[start : start + _BATCH])
            deleted += connection.execute(sa.delete(_events).where(_events.c.sender_id.in_(batch))).rowcount
    return Removed(len(conversation_ids), deleted)


def _forget_index(conversation_ids: Sequence[str]) -> None:
    with session_scope() as session:
        for start in range(0, len(conversation_ids), _BATCH):
            batch = list(conversation_ids[start : start + _BATCH])
            session.execute(
                sa.delete(VerifiedConversation).where(VerifiedConversation.conversation_id.in_(batch))
            )


def purge(older_than_days: float, tracker_url: str | None = None, now: float | None = None) -> Removed:
    """Delete conversations idle for more than ``older_than_days``, and expired shared state."""
    if older_than_days < 0:
        raise ValueError("the number of days cannot be negative")
    now = time.time() if now is None else now
    cutoff = now - older_than_days * DAY_SECONDS
    engine = sa.create_engine(tracker_url or tracker_store_url(), future=True)
    try:
        stale: list[str] = []
        if sa.inspect(engine).has_table("events"):
            with engine.connect() as connection:
                stale = list(
                    connection.execute(
                        sa.select(_events.c.sender_id)
                        .group_by(_events.c.sender_id)
                        .having(sa.func.max(_events.c.timestamp) < cutoff)
                    ).scalars()
                )
        removed = _delete_conversations(engine, stale)
    finally:
        engine.dispose()
    _forget_index(stale)
    with session_scope() as session:
        session.execute(sa.delete(SeenDelivery).where(SeenDelivery.expires_at < now))
        session.execute(
            sa.delete(VerificationFailure).where(
                VerificationFailure.failed_at < now - settings().verify_lockout_seconds
            )
        )
    return removed


def erase_contract(contract_number: str, tracker_url: str | None = None) -> Removed:
    """Delete every conversation in which ``contract_number`` was verified."""
    number = (contract_number or "").strip().upper()
    with session_scope() as session:
        ids = list(
            session.execute(
                sa.select(VerifiedConversation.conversation_id).where(
                    VerifiedConversation.contract_number == number
                )
            ).scalars()
        )
    engine = sa.create_engine(tracker_url or tracker_store_url(), future=True)
    try:
        removed = _delete_conversations(engine, ids)
    finally:
        engine.dispose()
    _forget_index(ids)
    return removed
