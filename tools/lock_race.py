"""Measure the Redis lock store's cross-replica race (rasa issue 9213).

With `make topology` running, sends PAIRS conversations two messages each, the
first to replica 1 and the second to replica 2, OFFSET milliseconds apart, then
counts in the shared tracker store the conversations that lost a message (fewer
than two user events stored). With a lock that serialises a conversation
across replicas the count is 0; Rasa 3.6's RedisLockStore issues tickets with
a non-atomic read-modify-write, so two replicas can both take the lock, and the
second tracker save then drops the other's events.

    .venv/bin/python -m tools.lock_race --pairs 100 --offset-ms 0

With ``--start redis|atomic`` it starts its own two-replica topology
(bot.ops.topology, throwaway databases, ports 17105-6 / 17155-6 plus
``$TEST_PORT_OFFSET``) with that lock
store (Rasa's ``type: redis`` or bot.rasa_server.lock_store.AtomicRedisLockStore,
the production one) and stops it afterwards; ``--offset-ms`` takes several
values and ``--repeat`` repeats each. Each row also gives the turn latency
(p50/p95 over both messages). ``--lock-cost N`` times N uncontended
lock/unlock cycles of both stores against the services' Redis. ``--turn-cost N``
starts two replicas, one with the atomic store and one without a shared lock
(Rasa's in-memory store), and sends N turns to each, one at a time,
alternating, so both see the same machine: the lock's cost per turn; then
again with the stores swapped, so a difference between the replicas shows.

    .venv/bin/python -m tools.lock_race --start atomic --offset-ms 0 1 5 --repeat 3
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import aiohttp

from bot.ops import topology
from bot.rasa_server.senders import conversation_id
from bot.settings import ROOT, generated_secrets
from tests.support.ports import port
from tests.support.services import start_services

MESSAGES = ("hello", "are you a real person?")
TURNS_PER_CONVERSATION = 10
LOCK_STORES = {
    "redis": "redis",
    "atomic": "bot.rasa_server.lock_store.AtomicRedisLockStore",
    "memory": "in_memory",  # per process: no lock across replicas, the "without" of --turn-cost
}
# Shifted by TEST_PORT_OFFSET like the tests' ports, so checkouts can measure side by side.
RASA_PORTS = (port(17105), port(17106))
ACTION_PORTS = (port(17155), port(17156))


async def _send(session: aiohttp.ClientSession, url: str, sender: str, text: str, delay: float) -> float:
    await asyncio.sleep(delay)
    started = time.perf_counter()
    async with session.post(url, json={"sender": sender, "message": text}) as resp:
        body = await resp.json()
        if resp.status != 200 or not body:
            raise RuntimeError(f"{url}: HTTP {resp.status} {body!r}")
    return time.perf_counter() - started


async def _pairs(urls: list[str], count: int, offset: float) -> tuple[list[str], list[float]]:
    senders: list[str] = []
    latencies: list[float] = []
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as session:
        for _ in range(count):
            sender = f"lockrace-{uuid.uuid4().hex}"
            senders.append(sender)
            latencies += await asyncio.gather(
                _send(session, urls[0], sender, MESSAGES[0], 0.0),
                _send(session, urls[1], sender, MESSAGES[1], offset),
            )
    return senders, latencies


def _percentiles(values: list[float]) -> tuple[float, float]:
    """p50 and p95 of ``values``."""
    cuts = statistics.quantiles(values, n=20, method="inclusive")
    return statistics.median(values), cuts[18]


def lost_turns(tracker_url: str, senders: list[str]) -> int:
    import psycopg2

    with psycopg2.connect(tracker_url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT sender_id, count(*) FROM events WHERE type_name = 'user' AND sender_id = ANY(%s)"
            " GROUP BY sender_id",
            ([conversation_id("rest", s) for s in senders],),
        )
        stored = dict(cur.fetchall())
    return sum(1 for s in senders if stored.get(conversation_id("rest", s), 0) < len(MESSAGES))


def _endpoints_with(lock_store: str, folder: Path) -> Path:
    """deploy/endpoints.production.yml with ``lock_store.type`` replaced, written to ``folder``."""
    lines = (ROOT / "deploy" / "endpoints.production.yml").read_text().splitlines(keepends=True)
    at = lines.index("lock_store:\n") + 1
    while not lines[at].lstrip().startswith("type:"):
        at += 1
    lines[at] = f"  type: {LOCK_STORES[lock_store]}\n"
    path = folder / f"endpoints.{lock_store}.yml"
    path.write_text("".join(lines))
    return path


@contextmanager
def started_topology(services: dict[str, str], lock_stores: Sequence[str]) -> Iterator[tuple[list[str], str]]:
    """Two replicas with ``lock_stores`` (one each) on throwaway databases; yields (base URLs, tracker DB URL)."""
    from bot.ops.model import current_model

    model = current_model()
    if not model.exists():
        raise SystemExit(f"no trained model at {model}: run `make train`")
    suffix = uuid.uuid4().hex[:12]
    trackers, contracts = f"lockrace_trackers_{suffix}", f"lockrace_contracts_{suffix}"
    with tempfile.TemporaryDirectory(prefix="lock_race-") as tmp:
        per_replica = [{"RASA_ENDPOINTS": str(_endpoints_with(s, Path(tmp)))} for s in lock_stores]
        topology.create_database(services, trackers)
        topology.create_database(services, contracts)
        env = topology.production_env(services, trackers, contracts)
        env.update(generated_secrets({}))
        cluster = topology.Topology(
            str(model), env, RASA_PORTS, ACTION_PORTS, Path(tmp), replica_env=per_replica
        )
        try:
            topology.prepare_contracts_db(env)
            names = ", ".join(LOCK_STORES[s] for s in lock_stores)
            print(f"starting two replicas with lock_store.type {names} ...", flush=True)
            cluster.start()
            yield cluster.rasa_urls, topology.postgres_url(services, trackers)
        finally:
            cluster.stop()
            topology.drop_database(services, trackers)
            topology.drop_database(services, contracts)


def lock_cost(services: dict[str, str], cycles: int) -> None:
    """Uncontended ``async with store.lock(...)`` for Rasa's RedisLockStore and AtomicRedisLockStore."""
    from rasa.core.lock_store import RedisLockStore

    from bot.rasa_server.lock_store import AtomicRedisLockStore

    options = {
        "host": services["REDIS_HOST"],
        "port": int(services["REDIS_PORT"]),
        "password": services["REDIS_PASSWORD"],
        "db": int(services["REDIS_DB"]),
        "key_prefix": "lockrace",
    }
    for store in (RedisLockStore(**options), AtomicRedisLockStore(**options)):  # type: ignore[arg-type]

        async def run(store: RedisLockStore = store) -> list[float]:
            times = []
            for i in range(cycles):
                started = time.perf_counter()
                async with store.lock(f"lockcost-{i}"):
                    pass
                times.append(time.perf_counter() - started)
            return times

        p50, p95 = _percentiles(asyncio.run(run()))
        print(f"{type(store).__name__}: lock + unlock p50 {p50 * 1000:.2f} ms, p95 {p95 * 1000:.2f} ms")


async def _alternate_turns(urls: list[str], turns: int) -> list[list[float]]:
    """``turns`` turns per replica, one request at a time, alternating replicas (same load on both)."""
    latencies: list[list[float]] = [[] for _ in urls]
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as session:
        senders = [f"turncost-{uuid.uuid4().hex}" for _ in urls]
        for turn in range(turns):
            if turn % TURNS_PER_CONVERSATION == 0:  # bounded conversations, like real ones
                senders = [f"turncost-{uuid.uuid4().hex}" for _ in urls]
            for replica, (url, sender) in enumerate(zip(urls, senders)):
                text = MESSAGES[turn % len(MESSAGES)]
                latencies[replica].append(await _send(session, url, sender, text, 0.0))
    return latencies


def turn_cost(urls: list[str], stores: Sequence[str], turns: int) -> None:
    """Turn latency on each replica (one lock store each), measured in one run."""
    rest = [f"{u.rstrip('/')}/webhooks/rest/webhook" for u in urls]
    for replica, (store, values) in enumerate(zip(stores, asyncio.run(_alternate_turns(rest, turns))), 1):
        p50, p95 = _percentiles(values)
        print(
            f"replica {replica}, {LOCK_STORES[store]}: {turns} turns, "
            f"latency p50 {p50 * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms",
            flush=True,
        )


def measure(urls: list[str], tracker_url: str, pairs: int, offset_ms: float) -> None:
    rest = [f"{u.rstrip('/')}/webhooks/rest/webhook" for u in urls]
    started = time.perf_counter()
    senders, latencies = asyncio.run(_pairs(rest, pairs, offset_ms / 1000))
    lost = lost_turns(tracker_url, senders)
    p50, p95 = _percentiles(latencies)
    print(
        f"{pairs} pairs, second message {offset_ms:g} ms after the first, "
        f"on different replicas: {lost} conversations lost a message "
        f"({100 * lost / pairs:.0f}%) [{time.perf_counter() - started:.1f} s; "
        f"turn latency p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms]",
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=100)
    parser.add_argument("--offset-ms", type=float, nargs="+", default=[0.0])
    parser.add_argument("--repeat", type=int, default=1, help="runs per offset")
    parser.add_argument(
        "--rasa",
        nargs=2,
        default=["http://127.0.0.1:5005", "http://127.0.0.1:5006"],
        help="the two replicas' base URLs (without --start)",
    )
    parser.add_argument(
        "--tracker-db", default=None, help="tracker database name (default: the one in var/services.env)"
    )
    parser.add_argument(
        "--start", choices=sorted(LOCK_STORES), help="start (and stop) two replicas with this lock store"
    )
    parser.add_argument("--lock-cost", type=int, metavar="N", help="time N uncontended lock cycles per store")
    parser.add_argument(
        "--turn-cost",
        type=int,
        metavar="N",
        help="time N turns on a replica with the atomic store and N on one without a shared lock, "
        "interleaved; then with the replicas swapped",
    )
    args = parser.parse_args(argv)
    services = start_services()
    if args.lock_cost:
        lock_cost(services, args.lock_cost)
        return 0
    if args.turn_cost:
        for stores in (("atomic", "memory"), ("memory", "atomic")):  # each store on each replica
            with started_topology(services, stores) as (urls, _):
                turn_cost(urls, stores, args.turn_cost)
        return 0
    if args.start:
        with started_topology(services, (args.start, args.start)) as (urls, tracker_url):
            for offset in args.offset_ms:
                for _ in range(args.repeat):
                    measure(urls, tracker_url, args.pairs, offset)
        return 0
    tracker_url = topology.postgres_url(services, args.tracker_db or services["TRACKER_DB_NAME"])
    for offset in args.offset_ms:
        for _ in range(args.repeat):
            measure(args.rasa, tracker_url, args.pairs, offset)
    return 0


if __name__ == "__main__":
    sys.exit(main())
