"""AtomicRedisLockStore (bot/rasa_server/lock_store.py) against the project's Redis.

The ``services`` fixture (tests/scaleout/conftest.py) starts PostgreSQL and
Redis on 127.0.0.1:16379 through scripts/services.sh; each test uses its own
key prefix and leaves no key behind.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import re
import time
import uuid
from collections.abc import Iterator
from multiprocessing.synchronize import Event as ProcessEvent
from pathlib import Path

import pytest
import redis
from rasa.core.lock_store import LockError, LockStore
from rasa.utils.endpoints import EndpointConfig, read_endpoint_config

from bot.rasa_server.lock_store import AtomicRedisLockStore
from bot.settings import ROOT


def _options(services: dict[str, str], prefix: str, **extra: object) -> dict[str, object]:
    return dict(
        host=services["REDIS_HOST"],
        port=services["REDIS_PORT"],
        password=services["REDIS_PASSWORD"],
        db=services["REDIS_DB"],
        key_prefix=prefix,
        **extra,
    )


@pytest.fixture
def prefix(services: dict[str, str]) -> Iterator[str]:
    name = f"test{uuid.uuid4().hex[:12]}"
    yield name
    store = AtomicRedisLockStore(**_options(services, name))  # type: ignore[arg-type]
    leftover = store.red.keys(f"{name}:*")
    if leftover:
        store.red.delete(*leftover)
    assert not leftover, f"keys left behind: {leftover}"


@pytest.fixture
def store(services: dict[str, str], prefix: str) -> AtomicRedisLockStore:
    return AtomicRedisLockStore(**_options(services, prefix))  # type: ignore[arg-type]


# --- atomicity and order ------------------------------------------------------------


def test_tickets_are_served_first_come_first_served(store: AtomicRedisLockStore) -> None:
    tickets = [store.issue_ticket("c1") for _ in range(3)]
    assert tickets == [1, 2, 3]
    assert not store.try_acquire("c1", tickets[2])
    assert not store.try_acquire("c1", tickets[1])
    assert store.try_acquire("c1", tickets[0])
    store.release("c1", tickets[0])
    assert not store.try_acquire("c1", tickets[2])
    assert store.try_acquire("c1", tickets[1])
    store.release("c1", tickets[1])
    assert store.try_acquire("c1", tickets[2])
    store.release("c1", tickets[2])
    assert store.get_lock("c1") is None


def test_concurrent_coroutines_hold_the_lock_one_at_a_time_in_fifo_order(store: AtomicRedisLockStore) -> None:
    entered: list[int] = []
    holders = 0
    most = 0

    async def turn(index: int) -> None:
        nonlocal holders, most
        async with store.lock("c1"):
            holders += 1
            most = max(most, holders)
            entered.append(index)
            await asyncio.sleep(0.002)
            holders -= 1

    async def main() -> None:
        # Each task issues its ticket when it first runs, in creation order.
        await asyncio.gather(*(turn(i) for i in range(40)))

    asyncio.run(main())
    assert most == 1
    assert entered == list(range(40))
    assert store.get_lock("c1") is None


def _worker(options: dict[str, object], turns: int, start_at: float) -> None:
    """One "replica": read-modify-write of a counter under the lock (a lost update without one)."""
    store = AtomicRedisLockStore(**options)  # type: ignore[arg-type]
    prefix = options["key_prefix"]

    async def main() -> None:
        for _ in range(turns):
            async with store.lock("shared"):
                if store.red.incr(f"{prefix}:inside") != 1:
                    store.red.incr(f"{prefix}:overlaps")
                value = int(store.red.get(f"{prefix}:counter") or 0)
                await asyncio.sleep(0.001)
                store.red.set(f"{prefix}:counter", value + 1)
                store.red.decr(f"{prefix}:inside")

    time.sleep(max(0.0, start_at - time.time()))  # all processes start together
    asyncio.run(main())


def test_concurrent_processes_never_hold_the_lock_together(services: dict[str, str], prefix: str) -> None:
    options = _options(services, prefix)
    context = multiprocessing.get_context("spawn")
    start_at = time.time() + 3
    workers = [context.Process(target=_worker, args=(options, 25, start_at)) for _ in range(6)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)
        assert w.exitcode == 0
    store = AtomicRedisLockStore(**options)  # type: ignore[arg-type]
    counter, overlaps = store.red.get(f"{prefix}:counter"), store.red.get(f"{prefix}:overlaps")
    store.red.delete(f"{prefix}:counter", f"{prefix}:overlaps", f"{prefix}:inside")
    assert (int(counter or 0), int(overlaps or 0)) == (150, 0)
    assert store.get_lock("shared") is None


# --- expiry -----------------------------------------------------------------------------


def test_a_holder_that_never_releases_is_passed_over_after_the_lifetime(store: AtomicRedisLockStore) -> None:
    crashed = store.issue_ticket("c1", lock_lifetime=0.4)
    assert store.try_acquire("c1", crashed, lock_lifetime=0.4)  # ... and then the replica dies

    async def main() -> float:
        started = time.monotonic()
        async with store.lock("c1", lock_lifetime=5):
            return time.monotonic() - started

    waited = asyncio.run(main())
    assert 0.3 <= waited < 2.0
    assert store.get_lock("c1") is None


def _hold_until_killed(options: dict[str, object], held: ProcessEvent) -> None:
    """A "replica" that takes the lock and dies in the middle of its turn."""
    store = AtomicRedisLockStore(**options)  # type: ignore[arg-type]

    async def main() -> None:
        async with store.lock("c1"):
            held.set()
            await asyncio.sleep(600)

    asyncio.run(main())


def test_a_holder_that_dies_mid_turn_is_passed_over_after_its_hold_lease(
    services: dict[str, str], prefix: str
) -> None:
    """Not after the lifetime (60 s): the conversation's next message, or the
    same one sent on to another replica by nginx, waits seconds."""
    options = _options(services, prefix, hold_lease=0.5)
    context = multiprocessing.get_context("spawn")
    held = context.Event()
    replica = context.Process(target=_hold_until_killed, args=(options, held))
    replica.start()
    assert held.wait(60)
    store = AtomicRedisLockStore(**options)  # type: ignore[arg-type]
    time.sleep(1.0)  # twice the lease: the live holder kept renewing it
    waiter = store.issue_ticket("c1")
    assert not store.try_acquire("c1", waiter)
    store.release("c1", waiter)
    replica.kill()
    replica.join(10)

    async def main() -> float:
        started = time.monotonic()
        async with store.lock("c1"):
            return time.monotonic() - started

    assert asyncio.run(main()) < 2.0  # within the lease, far from the 60 s lifetime
    assert store.get_lock("c1") is None


def test_a_turn_that_hangs_in_a_live_replica_loses_the_lock_after_the_lifetime(
    services: dict[str, str], prefix: str
) -> None:
    store = AtomicRedisLockStore(**_options(services, prefix, hold_lease=0.2))  # type: ignore[arg-type]
    waited: list[float] = []

    async def hung_turn() -> None:
        async with store.lock("c1", lock_lifetime=1.0):
            await asyncio.sleep(4)

    async def next_turn() -> None:
        await asyncio.sleep(0.1)
        started = time.monotonic()
        async with store.lock("c1", lock_lifetime=5):
            waited.append(time.monotonic() - started)

    async def main() -> None:
        await asyncio.gather(hung_turn(), next_turn())

    asyncio.run(main())
    assert 0.7 <= waited[0] < 2.5  # renewed past its 0.2 s lease, cut at its 1 s lifetime
    assert store.get_lock("c1") is None


def test_a_waiter_that_dies_is_passed_over_after_its_lease(services: dict[str, str], prefix: str) -> None:
    store = AtomicRedisLockStore(**_options(services, prefix, wait_lease=0.3))  # type: ignore[arg-type]
    holder = store.issue_ticket("c1")
    assert store.try_acquire("c1", holder)
    store.issue_ticket("c1")  # a replica takes a ticket, then dies without ever polling
    store.release("c1", holder)

    async def main() -> float:
        started = time.monotonic()
        async with store.lock("c1"):
            return time.monotonic() - started

    assert 0.1 <= asyncio.run(main()) < 2.0
    assert store.get_lock("c1") is None


def test_a_held_lock_outlives_the_wait_lease_and_keys_expire(services: dict[str, str], prefix: str) -> None:
    store = AtomicRedisLockStore(**_options(services, prefix, wait_lease=0.2))  # type: ignore[arg-type]
    holder = store.issue_ticket("c1", lock_lifetime=30)
    assert store.try_acquire("c1", holder, lock_lifetime=30)
    time.sleep(0.4)
    waiter = store.issue_ticket("c1", lock_lifetime=30)
    assert not store.try_acquire("c1", waiter, lock_lifetime=30)  # still held after the lease
    for key in store._keys("c1"):
        assert 29_000 < store.red.pttl(key) <= 31_000  # a crashed replica's keys go away by themselves
    store.release("c1", waiter)
    store.release("c1", holder)


def test_waiting_is_bounded(services: dict[str, str], prefix: str) -> None:
    store = AtomicRedisLockStore(**_options(services, prefix, max_wait=0.3))  # type: ignore[arg-type]
    holder = store.issue_ticket("c1")
    assert store.try_acquire("c1", holder)

    async def main() -> None:
        async with store.lock("c1"):
            pytest.fail("acquired a held lock")

    started = time.monotonic()
    with pytest.raises(LockError):
        asyncio.run(main())
    assert 0.25 <= time.monotonic() - started < 2.0
    lock = store.get_lock("c1")
    assert lock is not None and [t.number for t in lock.tickets] == [holder]  # its ticket was removed
    store.release("c1", holder)


# --- release ----------------------------------------------------------------------------


def test_an_exception_inside_the_lock_still_releases_it(store: AtomicRedisLockStore) -> None:
    async def failing_turn() -> None:
        async with store.lock("c1"):
            raise RuntimeError("the turn failed")

    with pytest.raises(RuntimeError):
        asyncio.run(failing_turn())
    assert store.get_lock("c1") is None

    async def next_turn() -> float:
        started = time.monotonic()
        async with store.lock("c1"):
            return time.monotonic() - started

    assert asyncio.run(next_turn()) < 0.5


def test_a_cancelled_waiter_gives_its_ticket_back(store: AtomicRedisLockStore) -> None:
    async def main() -> None:
        holder = store.issue_ticket("c1")
        assert store.try_acquire("c1", holder)

        async def wait() -> None:
            async with store.lock("c1"):
                pass

        task = asyncio.create_task(wait())
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        lock = store.get_lock("c1")
        assert lock is not None and [t.number for t in lock.tickets] == [holder]
        store.release("c1", holder)

    asyncio.run(main())
    assert store.get_lock("c1") is None


def test_a_release_that_fails_does_not_fail_the_turn_and_the_ticket_expires(
    store: AtomicRedisLockStore, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    release = store.release

    def redis_gone(conversation_id: str, ticket: int) -> None:
        raise redis.exceptions.ConnectionError("Redis went away")

    async def turn() -> None:
        async with store.lock("c1", lock_lifetime=0.4):
            pass

    monkeypatch.setattr(store, "release", redis_gone)
    asyncio.run(turn())  # the turn itself succeeded: no exception for the customer
    assert "Could not release ticket" in caplog.text
    monkeypatch.setattr(store, "release", release)

    async def next_turn() -> float:
        started = time.monotonic()
        async with store.lock("c1"):
            return time.monotonic() - started

    assert 0.2 <= asyncio.run(next_turn()) < 2.0  # the stuck ticket expired after its 0.4 s lifetime
    assert store.get_lock("c1") is None


def test_no_redis_means_a_lock_error_not_a_hang(services: dict[str, str], prefix: str) -> None:
    options = {**_options(services, prefix, socket_timeout=1), "port": 1}  # nothing listens there
    unreachable = AtomicRedisLockStore(**options)  # type: ignore[arg-type]

    async def turn() -> None:
        async with unreachable.lock("c1"):
            pytest.fail("locked without Redis")

    with pytest.raises(LockError):
        asyncio.run(turn())


# --- configuration ------------------------------------------------------------------------


def test_rasa_loads_it_from_the_production_endpoints(
    services: dict[str, str], prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = Path(ROOT) / "deploy" / "endpoints.production.yml"
    for name in set(re.findall(r"\$\{(\w+)\}", path.read_text())):  # every ${...} must be set
        monkeypatch.setenv(name, services.get(name, "unused"))
    config = read_endpoint_config(str(path), "lock_store")
    assert config is not None and config.type == "bot.rasa_server.lock_store.AtomicRedisLockStore"
    config.kwargs["key_prefix"] = prefix
    store = LockStore.create(config)
    assert isinstance(store, AtomicRedisLockStore)

    async def main() -> None:
        async with store.lock("c1"):
            assert store.is_someone_waiting("c1")

    asyncio.run(main())
    assert not store.is_someone_waiting("c1")


def test_unknown_options_are_refused(services: dict[str, str]) -> None:
    config = EndpointConfig(
        url=services["REDIS_HOST"],
        type="bot.rasa_server.lock_store.AtomicRedisLockStore",
        port=services["REDIS_PORT"],
        pol_interval=0.5,
    )
    with pytest.raises(Exception, match="pol_interval"):
        LockStore.create(config)
