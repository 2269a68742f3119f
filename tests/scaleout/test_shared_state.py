"""Deliveries seen once and verification failure counts in Redis, as every replica shares them."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator

import pytest
import redis

from bot.data.deliveries import RedisDeliveryLog, delivery_log
from bot.data.throttle import (
    Limits,
    RedisFailureCounter,
    VerificationThrottle,
    failure_counter,
    throttle_keys,
)


@pytest.fixture
def redis_env(services: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[redis.Redis]:
    """REDIS_* as deploy/endpoints.production.yml reads them; a client like another replica's."""
    for name in ("REDIS_HOST", "REDIS_PORT", "REDIS_PASSWORD", "REDIS_DB"):
        monkeypatch.setenv(name, services[name])
    client = redis.Redis(
        host=services["REDIS_HOST"],
        port=int(services["REDIS_PORT"]),
        password=services["REDIS_PASSWORD"] or None,
        db=int(services["REDIS_DB"]),
    )
    yield client
    client.close()


def test_redis_is_chosen_when_configured(redis_env: redis.Redis) -> None:
    assert isinstance(delivery_log(), RedisDeliveryLog)
    assert isinstance(failure_counter(), RedisFailureCounter)


def test_a_delivery_is_handled_once_across_replicas(redis_env: redis.Redis) -> None:
    replicas = [delivery_log(), RedisDeliveryLog(redis_env)]
    sid = "SM" + uuid.uuid4().hex
    results: list[bool] = []
    threads = [
        threading.Thread(target=lambda log=log: results.append(log.first_time("sms", sid, 60)))
        for log in replicas * 4
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False] * 7 + [True]


def test_a_delivery_is_forgotten_after_its_ttl(redis_env: redis.Redis) -> None:
    log, sid = delivery_log(), "SM" + uuid.uuid4().hex
    assert log.first_time("sms", sid, ttl_seconds=0.1)
    assert not log.first_time("sms", sid, ttl_seconds=0.1)
    time.sleep(0.3)
    assert log.first_time("sms", sid, ttl_seconds=60)


def test_failures_counted_on_one_replica_lock_the_other(redis_env: redis.Redis) -> None:
    limits = Limits(identity_limit=5, client_limit=10, window_seconds=3600)
    one, other = (
        VerificationThrottle(failure_counter(), limits),
        VerificationThrottle(RedisFailureCounter(redis_env), limits),
    )
    vin = f"TEST{uuid.uuid4().hex[:13].upper()}"
    now = 1_800_000_000.0
    for n in range(4):
        assert not (one if n % 2 else other).record_failure(throttle_keys(vin, [], f"client-{n}"), now + n)
    assert one.record_failure(throttle_keys(vin, [], "client-4"), now + 4)
    assert other.locked(throttle_keys(vin, [], "a-new-client"), now + 5)
    # The window passes: the owner is let through again; the keys expire from Redis by themselves.
    assert not other.locked(throttle_keys(vin, [], "a-new-client"), now + 3605)
    assert (
        0 < redis_env.ttl(f"allyassistant:verify-failures:{throttle_keys(vin, [], 'x').identity[0]}") <= 3601
    )
