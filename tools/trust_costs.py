"""What the trust defences cost per turn (docs/security.md): ``python -m tools.trust_costs``.

Times each defence as the product calls it, in this process, on a throwaway
SQLite contracts database (and on Redis with ``--redis-host``), and prints the
median and 95th percentile of each call in microseconds. A turn pays the
tracker store's part and the payload gate every time, the proof check on a
personal answer, the throttle on an identity check, the delivery log on an
SMS, the session token on a socket.io (re)connection.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def measure(fn: Callable[[], object], runs: int) -> tuple[float, float]:
    """Median and p95 of ``fn`` in microseconds, after a few warm-up calls."""
    for _ in range(min(20, runs)):
        fn()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1e6)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--redis-host", help="also time the Redis variants (REDIS_PORT/PASSWORD/DB as set)")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="trust-costs-"))
    os.environ.update(DATABASE_URL=f"sqlite:///{work / 'contracts.db'}", ASSISTANT_SECRET_KEY="costs-key")
    # Imported after the environment is set: settings are read from it.
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.data.deliveries import DatabaseDeliveryLog, RedisDeliveryLog
    from bot.data.migrate import upgrade
    from bot.data.shared_redis import shared_redis
    from bot.data.throttle import (
        DatabaseFailureCounter,
        Limits,
        RedisFailureCounter,
        VerificationThrottle,
        throttle_keys,
    )
    from bot.domain import proof
    from bot.domain.keys import Purpose, derive
    from bot.domain.payloads import is_typed_payload
    from bot.rasa_server.channels import SessionTokens
    from bot.rasa_server.payload_gate import offered_payloads
    from bot.rasa_server.tracker_privacy import TrackerPrivacy

    upgrade()
    domain = Domain.load(str(ROOT / "domain.yml"))
    privacy = TrackerPrivacy("costs-key")
    vin_entity = {"entity": "vin", "start": 11, "end": 28, "value": "5YJ3E1EAXPF402917", "extractor": "x"}
    turn = [
        UserUttered(
            "my VIN is 5YJ3E1EAXPF402917", {"name": "inform", "confidence": 0.9}, [vin_entity]
        ).as_dict(),
        ActionExecuted("lookup_form").as_dict(),
        SlotSet("vin", "5YJ3E1EAXPF402917").as_dict(),
        SlotSet("requested_slot", None).as_dict(),
        BotUttered("Thanks, I found your contract: Feature Guard, VIN ending 402917.").as_dict(),
        ActionExecuted("action_listen").as_dict(),
    ]
    stored_session = [privacy.protect([dict(e) for e in turn]) for _ in range(7)]  # ~40 events
    flat_session = [event for stored in stored_session for event in stored]
    events = [UserUttered("hi", {"name": "greet", "confidence": 1.0})] + [
        BotUttered("Want me to check?", {"buttons": [{"title": "Yes", "payload": "/lookup_contract"}]})
    ] * 39
    tracker = DialogueStateTracker.from_events("rest:costs", events, domain.slots)
    proof_key = derive("costs-key", Purpose.VERIFICATION)
    a_proof = proof.issue(proof_key, "APP-100103", "rest:costs")
    tokens = SessionTokens("costs-key")
    _, a_token = tokens.issue()
    limits = Limits(5, 10, 3600)

    def throttled(counter: object) -> Callable[[], object]:
        throttle = VerificationThrottle(counter, limits)  # type: ignore[arg-type]
        return lambda: throttle.locked(throttle_keys(uuid.uuid4().hex[:17], ["APP-100103"], "client"))

    def failure(counter: object) -> Callable[[], object]:
        throttle = VerificationThrottle(counter, limits)  # type: ignore[arg-type]
        return lambda: throttle.record_failure(throttle_keys(uuid.uuid4().hex[:17], [], "client"))

    def delivery(log: object) -> Callable[[], object]:
        return lambda: log.first_time("sms", uuid.uuid4().hex, 60)  # type: ignore[attr-defined]

    rows: list[tuple[str, str, Callable[[], object]]] = [
        (
            "every turn",
            "tracker store: mask + encrypt a 6-event turn",
            lambda: privacy.protect([dict(e) for e in turn]),
        ),
        (
            "every turn",
            "tracker store: decrypt a 42-event session",
            lambda: [privacy.reveal(e) for e in flat_session],
        ),
        (
            "every turn",
            "payload gate: offered buttons + check (40 events)",
            lambda: is_typed_payload("/x", offered_payloads(tracker)),
        ),
        (
            "personal answer",
            "proof: check and re-issue",
            lambda: (
                proof.proven_contract(proof_key, a_proof, "rest:costs", 900),
                proof.issue(proof_key, "APP-100103", "rest:costs"),
            ),
        ),
        ("identity check", "throttle: counts (SQLite)", throttled(DatabaseFailureCounter())),
        ("identity mismatch", "throttle: record a failure (SQLite)", failure(DatabaseFailureCounter())),
        ("SMS message", "delivery seen once (SQLite)", delivery(DatabaseDeliveryLog())),
        (
            "socket.io connection",
            "session token: check, or issue",
            lambda: (tokens.session_of(a_token), tokens.issue()),
        ),
    ]
    if args.redis_host:
        os.environ["REDIS_HOST"] = args.redis_host
        client = shared_redis()
        assert client is not None
        rows += [
            ("identity check", "throttle: counts (Redis)", throttled(RedisFailureCounter(client))),
            ("identity mismatch", "throttle: record a failure (Redis)", failure(RedisFailureCounter(client))),
            ("SMS message", "delivery seen once (Redis)", delivery(RedisDeliveryLog(client))),
        ]
    print(f"| paid on | what | p50 µs | p95 µs |  ({args.runs} runs each)\n|---|---|---:|---:|")
    for when, what, fn in rows:
        runs = args.runs if "SQLite" not in what and "Redis" not in what else max(50, args.runs // 10)
        p50, p95 = measure(fn, runs)
        print(f"| {when} | {what} | {p50:,.0f} | {p95:,.0f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
