"""Deliveries seen once: the first delivery of a message id is handled, its replays are not.

Key: the channel and the channel's own message id (an SMS ``MessageSid``, a
widget's client message id). Remembered for ``ttl_seconds``; after that the
id may be claimed again. Shared by every replica: in Redis when it is
configured (``SET NX PX``), else in the contracts database (a primary key on
channel + message id), so two replicas that get the same delivery at the same
moment still let only one of them handle it. Blocking calls: use
``asyncio.to_thread`` from async code.

    log = delivery_log()
    if not log.first_time("sms", message_sid, ttl_seconds=7 * 86400):
        ...  # a replay: answer nothing
"""

from __future__ import annotations

import time
from typing import Protocol

import redis
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from bot.data.engine import session_scope
from bot.data.models import SeenDelivery
from bot.data.shared_redis import KEY_PREFIX, shared_redis

MAX_MESSAGE_ID_CHARS = 128


class DeliveryLog(Protocol):
    def first_time(self, channel: str, message_id: str, ttl_seconds: float, now: float | None = None) -> bool:
        """True for the first delivery of (channel, message id) within ``ttl_seconds``; False for a repeat.

        ``now`` (Unix time) pins the database variant's clock for tests; Redis keeps its own.
        """
        ...


def _check(channel: str, message_id: str) -> None:
    if not channel or len(channel) > 20:
        raise ValueError("channel must be a short name such as 'sms'")
    if not message_id or len(message_id) > MAX_MESSAGE_ID_CHARS:
        raise ValueError(f"message id must be 1-{MAX_MESSAGE_ID_CHARS} characters")


class DatabaseDeliveryLog:
    def first_time(self, channel: str, message_id: str, ttl_seconds: float, now: float | None = None) -> bool:
        _check(channel, message_id)
        now = time.time() if now is None else now
        with session_scope() as session:
            session.execute(delete(SeenDelivery).where(SeenDelivery.expires_at < now))
            try:
                with session.begin_nested():
                    session.add(
                        SeenDelivery(channel=channel, message_id=message_id, expires_at=now + ttl_seconds)
                    )
                return True
            except IntegrityError:  # seen, and its memory has not lapsed (or a concurrent claim won)
                return False


class RedisDeliveryLog:
    def __init__(self, client: redis.Redis) -> None:
        self.client = client

    def first_time(self, channel: str, message_id: str, ttl_seconds: float, now: float | None = None) -> bool:
        _check(channel, message_id)
        key = f"{KEY_PREFIX}seen:{channel}:{message_id}"
        return bool(self.client.set(key, b"1", nx=True, px=max(1, int(ttl_seconds * 1000))))


def delivery_log() -> DeliveryLog:
    """Redis when REDIS_HOST is set, else the contracts database."""
    client = shared_redis()
    return RedisDeliveryLog(client) if client is not None else DatabaseDeliveryLog()
