"""The SQL tracker store the Rasa server uses (endpoints.yml, deploy/endpoints.production.yml).

Rasa's own `SQLTrackerStore`, storing no readable personal data
(bot/rasa_server/tracker_privacy.py: identity slot values encrypted, what the
customer typed masked), with three changes that keep the cost of a turn flat
(docs/benchmarks.md has the profiles):

- New events go to the event broker (our metrics) straight from `save`.
  Rasa's `stream_events` would load and replay the whole conversation a
  second time, every turn, only to find out which events are new.
- SQLite (the embedded default) runs in WAL mode with `synchronous=NORMAL`
  over one kept-open connection, instead of an fsync and a new connection per
  turn. A crash of the process loses nothing; a power cut may lose the last
  turns. PostgreSQL is unchanged.
- The history Rasa reloads and replays is bounded: see `compaction_events`.
"""

from __future__ import annotations

import itertools
import json
import logging
import time
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, Event, SessionStarted, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

from bot.rasa_server.tracker_privacy import TrackerPrivacy
from bot.settings import DEFAULT_TRACKER_COMPACT_EVENTS, load, settings

log = logging.getLogger(__name__)

DEFAULT_COMPACT_AFTER_EVENTS = DEFAULT_TRACKER_COMPACT_EVENTS


def compact_after_events(environ: Mapping[str, str] | None = None) -> int:
    """TRACKER_COMPACT_EVENTS: session length (in events) that triggers a compaction; 0 turns it off.

    ``environ`` defaults to this process's settings (bot/settings.py).
    """
    return (settings() if environ is None else load(environ)).tracker_compact_events


def events_in_current_session(tracker: DialogueStateTracker) -> int:
    count = 0
    for event in reversed(tracker.events):
        if isinstance(event, SessionStarted):
            break
        count += 1
    return count


def compaction_events(tracker: DialogueStateTracker, limit: int) -> list[Event]:
    """The events that start a fresh session carrying this one's state, or [] if not due.

    Rasa replays every event of the current session on every turn, and each
    policy replays them again, so a turn costs more the longer the
    conversation. Once the session holds more than ``limit`` events, and the
    bot is waiting for the customer with no form active, this appends exactly
    what Rasa writes itself when a session expires with
    `carry_over_slots_to_new_session: true`: a session start, the slots that
    differ from their initial values, and `action_listen`. Our dialogue keeps
    its context in slots (e.g. `lookup_offered`), so the next prediction is
    the same. For the customer this is the same session: a verification
    carries on (a real expiry, after 60 idle minutes, carries no slot over).
    Nothing is deleted: `retrieve_full_tracker` still returns the whole history.
    """
    if (
        limit <= 0
        or tracker.active_loop_name is not None
        or tracker.latest_action_name != ACTION_LISTEN_NAME
        or events_in_current_session(tracker) <= limit
    ):
        return []
    # Strictly later than every stored event: Rasa loads a session as the
    # events at or after the newest session start's timestamp.
    now = max(time.time(), (tracker.events[-1].timestamp or 0.0) + 1e-3)
    carried = [
        SlotSet(slot.name, slot.value, timestamp=now)
        for slot in tracker.slots.values()
        if slot.value != slot.initial_value
    ]
    return [SessionStarted(timestamp=now), *carried, ActionExecuted(ACTION_LISTEN_NAME, timestamp=now)]


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class AssistantSQLTrackerStore(SQLTrackerStore):
    """Rasa's SQL tracker store with one read per turn, fast SQLite and bounded replays.

    Same table and the same queries as Rasa's, built once as Core statements:
    Rasa rebuilds ORM queries on every call, which cost more than running them.
    """

    engine: sa.engine.Engine  # set by SQLTrackerStore.__init__, replaced for SQLite below

    def __init__(
        self,
        domain: Domain | None = None,
        event_broker: EventBroker | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(domain=domain, event_broker=event_broker, **kwargs)
        self.privacy = TrackerPrivacy(settings().secret_key, domain.intents if domain else ())
        self.compact_after = compact_after_events()
        if self.engine.dialect.name == "sqlite":
            self._reopen_sqlite()
        events = self.SQLEvent.__table__
        sender = sa.bindparam("sender_id")
        # The latest session: events at or after the newest session start (as Rasa defines it).
        session_start = (
            sa.select(sa.func.max(events.c.timestamp))
            .where(events.c.sender_id == sender, events.c.type_name == SessionStarted.type_name)
            .scalar_subquery()
        )
        latest_session = sa.or_(events.c.timestamp >= session_start, session_start.is_(None))
        self._load_all = sa.select(events.c.data).where(events.c.sender_id == sender).order_by(events.c.id)
        self._load_latest = self._load_all.where(latest_session)
        self._count_latest = (
            sa.select(sa.func.count()).select_from(events).where(events.c.sender_id == sender, latest_session)
        )
        self._insert_row = events.insert()

    def _reopen_sqlite(self) -> None:
        """One connection for the process (Rasa uses the store from its event loop only)."""
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(
            url, poolclass=sa.pool.StaticPool, connect_args={"check_same_thread": False}
        )
        sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        self.sessionmaker = sa.orm.sessionmaker(bind=self.engine)

    async def _retrieve(
        self, sender_id: str, fetch_events_from_all_sessions: bool
    ) -> DialogueStateTracker | None:
        query = self._load_all if fetch_events_from_all_sessions else self._load_latest
        with self.engine.connect() as connection:
            rows = connection.execute(query, {"sender_id": sender_id}).scalars().all()
        if not rows or self.domain is None:
            return None
        events = [self.privacy.reveal(json.loads(row)) for row in rows]
        return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)

    async def save(self, tracker: DialogueStateTracker) -> None:
        new_events = self._store_new_events(tracker)
        if self.event_broker is not None:
            await self._stream_new_events(self.event_broker, new_events, tracker.sender_id)
        fresh_session = compaction_events(tracker, self.compact_after)
        if fresh_session:
            replayed = events_in_current_session(tracker)
            self._insert(tracker.sender_id, fresh_session)
            # The tracker object now holds what the next retrieve returns.
            for event in fresh_session:
                tracker.update(event)
            log.info("conversation history compacted after %d events", replayed)

    def _store_new_events(self, tracker: DialogueStateTracker) -> list[Event]:
        """Insert the tracker's events that are not stored yet; returns them.

        As in Rasa, the tracker holds the latest stored session's events (and
        any it started since), so those past the number stored are new.
        """
        with self.engine.begin() as connection:
            stored = connection.execute(self._count_latest, {"sender_id": tracker.sender_id}).scalar_one()
            new_events = list(itertools.islice(tracker.events, stored, None))
            if new_events:
                connection.execute(self._insert_row, self._rows(tracker.sender_id, new_events))
        return new_events

    def _insert(self, sender_id: str, events: list[Event]) -> None:
        with self.engine.begin() as connection:
            connection.execute(self._insert_row, self._rows(sender_id, events))

    def _rows(self, sender_id: str, events: list[Event]) -> list[dict[str, Any]]:
        stored = self.privacy.protect([event.as_dict() for event in events])
        return [
            {
                "sender_id": sender_id,
                "type_name": event.type_name,
                "timestamp": data.get("timestamp"),
                "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
                "action_name": data.get("name"),
                "data": json.dumps(data),
            }
            for event, data in zip(events, stored)
        ]
