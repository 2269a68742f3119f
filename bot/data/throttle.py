"""Failed identity checks, counted where no reset can reach them.

Each failure counts against the VIN typed (someone who knows a name and a VIN
guessing the ZIP), every contract with the name and ZIP typed (someone
guessing the VIN), and the client (an IP address, or a phone number on SMS):
a new conversation, another channel, another replica, `/restart` or `/back`
all see the same counts. Once a VIN or a contract has
``identity_limit`` failures within ``window_seconds``, or a client has
``client_limit``, verification is refused (the customer is told to call)
until the oldest failures age out of the window. Success never clears a
count: the rightful owner gets through once the window has passed.

Keys are keyed hashes (bot/domain/keys.py), never the VIN or the address.
The counts live in Redis when it is configured (a sorted set of failure
times per key), else in the contracts database (table verification_failures).
Blocking calls.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import redis
from sqlalchemy import delete, func, insert, select

from bot.data.engine import session_scope
from bot.data.models import VerificationFailure
from bot.data.shared_redis import KEY_PREFIX, shared_redis
from bot.domain.keys import Purpose, derive, keyed_hash
from bot.settings import Settings, settings


class FailureCounter(Protocol):
    def counts(self, keys: Sequence[str], since: float) -> Mapping[str, int]:
        """Failures per key at or after ``since`` (Unix time); missing keys have none."""
        ...

    def record(self, keys: Sequence[str], at: float, forget_before: float) -> None:
        """One failure at ``at`` for each key; failures before ``forget_before`` may be dropped."""
        ...


class DatabaseFailureCounter:
    def counts(self, keys: Sequence[str], since: float) -> Mapping[str, int]:
        with session_scope() as session:
            rows = session.execute(
                select(VerificationFailure.key, func.count())
                .where(VerificationFailure.key.in_(keys), VerificationFailure.failed_at >= since)
                .group_by(VerificationFailure.key)
            ).all()
        return {str(key): int(count) for key, count in rows}

    def record(self, keys: Sequence[str], at: float, forget_before: float) -> None:
        with session_scope() as session:
            session.execute(insert(VerificationFailure), [{"key": key, "failed_at": at} for key in keys])
            session.execute(delete(VerificationFailure).where(VerificationFailure.failed_at < forget_before))


class RedisFailureCounter:
    def __init__(self, client: redis.Redis) -> None:
        self.client = client

    @staticmethod
    def _key(key: str) -> str:
        return f"{KEY_PREFIX}verify-failures:{key}"

    def counts(self, keys: Sequence[str], since: float) -> Mapping[str, int]:
        pipe = self.client.pipeline(transaction=False)
        for key in keys:
            pipe.zcount(self._key(key), since, "+inf")
        return dict(zip(keys, (int(n) for n in pipe.execute())))

    def record(self, keys: Sequence[str], at: float, forget_before: float) -> None:
        pipe = self.client.pipeline(transaction=True)
        keep_seconds = max(1, int(at - forget_before) + 1)
        for key in keys:
            name = self._key(key)
            pipe.zadd(name, {f"{at:.6f}:{uuid.uuid4().hex[:8]}": at})
            pipe.zremrangebyscore(name, "-inf", f"({forget_before}")
            pipe.expire(name, keep_seconds)
        pipe.execute()


def failure_counter() -> FailureCounter:
    """Redis when REDIS_HOST is set, else the contracts database."""
    client = shared_redis()
    return RedisFailureCounter(client) if client is not None else DatabaseFailureCounter()


@dataclass(frozen=True)
class ThrottleKeys:
    """The keyed hashes one identity check is counted under."""

    identity: tuple[str, ...]  # the VIN's and each candidate contract's
    client: str

    @property
    def all(self) -> tuple[str, ...]:
        return (*self.identity, self.client)


@dataclass(frozen=True)
class Limits:
    identity_limit: int
    client_limit: int
    window_seconds: float

    @classmethod
    def from_settings(cls, conf: Settings) -> Limits:
        return cls(
            conf.verify_lockout_failures, conf.verify_lockout_client_failures, conf.verify_lockout_seconds
        )


def throttle_keys(vin: str, contract_numbers: Sequence[str], client: str) -> ThrottleKeys:
    """Keys for a check of ``vin`` against the contracts with the name and ZIP typed, from ``client``.

    With no such contract the VIN stands in for one, so every check is counted
    under the same number of keys whichever part was wrong (more only when
    several contracts share a last name and a ZIP).
    """
    key = derive(settings().secret_key, Purpose.THROTTLE)
    contracts = [keyed_hash(key, "contract", n) for n in sorted(set(contract_numbers))] or [
        keyed_hash(key, "contract-of-vin", vin)
    ]
    return ThrottleKeys((keyed_hash(key, "vin", vin), *contracts), keyed_hash(key, "client", client))


class VerificationThrottle:
    def __init__(self, counter: FailureCounter, limits: Limits) -> None:
        self.counter = counter
        self.limits = limits

    def locked(self, keys: ThrottleKeys, now: float | None = None) -> bool:
        now = time.time() if now is None else now
        counts = self.counter.counts(keys.all, now - self.limits.window_seconds)
        return counts.get(keys.client, 0) >= self.limits.client_limit or any(
            counts.get(key, 0) >= self.limits.identity_limit for key in keys.identity
        )

    def record_failure(self, keys: ThrottleKeys, now: float | None = None) -> bool:
        """Count a failed check; True when that locks further checks."""
        now = time.time() if now is None else now
        self.counter.record(keys.all, now, now - self.limits.window_seconds)
        return self.locked(keys, now)


def verification_throttle() -> VerificationThrottle:
    return VerificationThrottle(failure_counter(), Limits.from_settings(settings()))
