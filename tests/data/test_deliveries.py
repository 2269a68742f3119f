"""Deliveries seen once, in the contracts database (Redis: tests/scaleout/test_shared_state.py)."""

from __future__ import annotations

import threading

import pytest

from bot.data.deliveries import DatabaseDeliveryLog, delivery_log

NOW = 1_800_000_000.0


def test_the_first_delivery_is_handled_and_its_repeats_are_not(db: str) -> None:
    log = DatabaseDeliveryLog()
    assert log.first_time("sms", "SM1", ttl_seconds=60, now=NOW) is True
    assert log.first_time("sms", "SM1", ttl_seconds=60, now=NOW + 30) is False
    assert log.first_time("widget", "SM1", ttl_seconds=60, now=NOW + 30) is True  # another channel
    assert log.first_time("sms", "SM2", ttl_seconds=60, now=NOW + 30) is True


def test_the_memory_lapses_after_the_ttl(db: str) -> None:
    log = DatabaseDeliveryLog()
    assert log.first_time("sms", "SM1", ttl_seconds=60, now=NOW)
    assert log.first_time("sms", "SM1", ttl_seconds=60, now=NOW + 61) is True
    assert log.first_time("sms", "SM1", ttl_seconds=60, now=NOW + 62) is False


def test_concurrent_deliveries_of_one_id_are_handled_once(db: str) -> None:
    log = DatabaseDeliveryLog()
    results: list[bool] = []
    threads = [
        threading.Thread(target=lambda: results.append(log.first_time("sms", "SM-race", 60)))
        for _ in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False] * 7 + [True]


@pytest.mark.parametrize(
    "channel, message_id", [("", "SM1"), ("sms", ""), ("x" * 21, "SM1"), ("sms", "x" * 129)]
)
def test_bad_keys_are_refused(db: str, channel: str, message_id: str) -> None:
    with pytest.raises(ValueError):
        DatabaseDeliveryLog().first_time(channel, message_id, 60)


def test_the_database_is_used_without_redis(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REDIS_HOST", raising=False)
    assert isinstance(delivery_log(), DatabaseDeliveryLog)
