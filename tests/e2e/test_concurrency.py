"""Load: 200 simultaneous conversations x 10 turns over REST against the stack
`make run` starts (the shared `stack` fixture: one Rasa server, SQLite tracker
store, in-memory lock store).

Every turn must be answered (HTTP 200, non-empty, not rate-limited) with the
answer to *that* turn: the ten questions have deterministic, distinct answers,
so a reply that belongs to another turn (or another conversation) is caught.
The guard's counters must show no reply completed after an error inside Rasa
(a lost action-server call, say). Throughput, latency and the turns the guard
completed after MESSAGE_TIMEOUT_SECONDS are printed (`pytest -s`). The REST
channel's per-sender rate limit (RATE_LIMIT_MESSAGES, 30 a minute) is not
reached: each sender sends 10 messages, one after the other.
"""

from __future__ import annotations

import asyncio
import re
import time
import urllib.request
import uuid

from tests.support.clients import metrics_request
from tests.support.load import TURNS, Turn, problems, rest_conversation, rest_session, summary

CONVERSATIONS = 200
TOTAL_TIMEOUT_SECONDS = 600  # the whole run; measured 101-198 s on 2 shared cores


async def _load(url: str, senders: list[str]) -> list[list[Turn]]:
    async with rest_session(len(senders)) as session:
        return await asyncio.wait_for(
            asyncio.gather(*(rest_conversation(session, url, s) for s in senders)),
            timeout=TOTAL_TIMEOUT_SECONDS,
        )


def degraded_by_reason(stack) -> dict[str, float]:
    """The guard's degraded-reply counters for REST, by reason (Prometheus text)."""
    scrape = metrics_request(f"{stack.rasa_url}/webhooks/metrics/", stack.env["METRICS_TOKEN"])
    with urllib.request.urlopen(scrape, timeout=10) as resp:
        text = resp.read().decode()
    pattern = r'^assistant_degraded_replies_total\{channel="rest",reason="(\w+)"\} ([0-9.e+]+)$'
    return {m.group(1): float(m.group(2)) for m in re.finditer(pattern, text, re.M)}


def test_the_expected_answers_are_distinct() -> None:
    expected = [e for _, e in TURNS]
    assert len(set(expected)) == len(expected)


def test_200_simultaneous_conversations_of_10_turns(stack) -> None:
    senders = [f"load-{i:03d}-{uuid.uuid4().hex[:12]}" for i in range(CONVERSATIONS)]
    before = degraded_by_reason(stack)
    started = time.perf_counter()
    results = asyncio.run(_load(stack.rest_url, senders))
    elapsed = time.perf_counter() - started
    after = degraded_by_reason(stack)
    degraded = {r: after[r] - before.get(r, 0) for r in after if after[r] > before.get(r, 0)}

    run = summary((t for conv in results for t in conv), elapsed)
    print(f"\nconcurrency: {run}")
    found = problems(dict(zip(senders, results)))
    counts = {kind: len(where) for kind, where in found.items()}
    print(f"concurrency: {counts}; guard degraded replies by reason: {degraded}")
    bad = [where for kind, listed in found.items() if kind != "degraded" for where in listed]
    assert not bad, f"{counts} of {run['turns']} turns ({run}):\n" + "\n".join(bad[:10])
    # A degraded reply still carried its own answer (checked above). Failures
    # behind it (an action server call lost, a tracker-store error) fail the
    # test; "timeout" is capacity, not correctness: the turn's answer came, but
    # a follow-up missed MESSAGE_TIMEOUT_SECONDS because one Rasa process on two
    # cores serves ~15-20 turns/s, so 200 conversations with no pause between
    # turns wait ~10 s a turn. It is reported above; docs/deployment.md sizes it.
    failures = {reason: n for reason, n in degraded.items() if reason != "timeout"}
    assert not failures, (
        f"the guard completed {failures} replies after errors inside Rasa ({run}); "
        "see the stack log (e.g. action server calls lost)\n" + "\n".join(found["degraded"][:5])
    )
