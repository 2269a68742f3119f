"""Measure the Redis lock store's cross-replica race (rasa issue 9213).

With `make topology` running, sends PAIRS conversations two messages each, the
first to replica 1 and the second to replica 2, OFFSET milliseconds apart, then
counts in the shared tracker store the conversations that lost a message (fewer
than two user events stored). With a lock that serialises a conversation
across replicas the count is 0; Rasa 3.6's RedisLockStore issues tickets with
a non-atomic read-modify-write, so two replicas can both take the lock, and the
second tracker save then drops the other's events.

    .venv/bin/python tools/lock_race.py --pairs 100 --offset-ms 0
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid

import aiohttp

from bot.ops import topology

MESSAGES = ("hello", "are you a real person?")


async def _send(session: aiohttp.ClientSession, url: str, sender: str, text: str, delay: float) -> None:
    await asyncio.sleep(delay)
    async with session.post(url, json={"sender": sender, "message": text}) as resp:
        body = await resp.json()
        if resp.status != 200 or not body:
            raise RuntimeError(f"{url}: HTTP {resp.status} {body!r}")


async def _pairs(urls: list[str], count: int, offset: float) -> list[str]:
    senders = []
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as session:
        for _ in range(count):
            sender = f"lockrace-{uuid.uuid4().hex}"
            senders.append(sender)
            await asyncio.gather(
                _send(session, urls[0], sender, MESSAGES[0], 0.0),
                _send(session, urls[1], sender, MESSAGES[1], offset),
            )
    return senders


def lost_turns(tracker_url: str, senders: list[str]) -> int:
    import psycopg2

    with psycopg2.connect(tracker_url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT sender_id, count(*) FROM events WHERE type_name = 'user' AND sender_id = ANY(%s)"
            " GROUP BY sender_id",
            (senders,),
        )
        stored = dict(cur.fetchall())
    return sum(1 for s in senders if stored.get(s, 0) < len(MESSAGES))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=100)
    parser.add_argument("--offset-ms", type=float, default=0.0)
    parser.add_argument(
        "--rasa",
        nargs=2,
        default=["http://127.0.0.1:5005", "http://127.0.0.1:5006"],
        help="the two replicas' base URLs",
    )
    parser.add_argument(
        "--tracker-db", default=None, help="tracker database name (default: the one in var/services.env)"
    )
    args = parser.parse_args(argv)
    services = topology.start_services()
    tracker_url = topology.postgres_url(services, args.tracker_db or services["TRACKER_DB_NAME"])
    urls = [f"{u.rstrip('/')}/webhooks/rest/webhook" for u in args.rasa]
    started = time.perf_counter()
    senders = asyncio.run(_pairs(urls, args.pairs, args.offset_ms / 1000))
    lost = lost_turns(tracker_url, senders)
    print(
        f"{args.pairs} pairs, second message {args.offset_ms:g} ms after the first, "
        f"on different replicas: {lost} conversations lost a message "
        f"({100 * lost / args.pairs:.0f}%) [{time.perf_counter() - started:.1f} s]"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
