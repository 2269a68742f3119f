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
import statistics
import time
import urllib.request
import uuid

import aiohttp

from bot.content.messages import render
from tests.support.clients import metrics_request

CONVERSATIONS = 200
TOTAL_TIMEOUT_SECONDS = 600  # the whole run; measured 101-198 s on 2 shared cores
TURN_TIMEOUT_SECONDS = 120

# (message, text only its answer contains). The transfer question goes last:
# its answer asks a follow-up question (the sale date).
# Phrases, not phone numbers: the guard's notices list phone numbers too.
TURNS: list[tuple[str, str]] = [
    ("hello", "How can I help?"),
    ("is a rental covered while my car's in the shop?", "Basic Guard doesn't include rental reimbursement"),
    ("can I get repairs done in Canada?", "U.S. or Canada"),
    ("how do I cancel and get my money back?", "full refund"),
    ("my car got totaled, what do I do now", "If your vehicle is totaled"),
    ("does the mechanic need approval before starting?", "Authorization from Ally must be obtained"),
    ("I forgot my invest username", "Forgot your username?"),
    ("road trip breakdown, do you cover the hotel?", "Kansas"),
    ("are you a real person?", "virtual assistant"),
    ("I sold my car, how do i transfer my contract", "within 30 days"),
]
# bot/rasa_server/guard.py's notices: an over-limit sender, or no full answer in time.
RATE_LIMITED = render("rate_limited")["text"]
DEGRADED = render("system_unavailable")["text"]


async def _conversation(
    session: aiohttp.ClientSession, url: str, sender: str
) -> list[tuple[int, str, float]]:
    """(HTTP status, reply text, seconds) for each turn, in order."""
    out = []
    for message, _ in TURNS:
        started = time.perf_counter()
        try:
            async with session.post(url, json={"sender": sender, "message": message}) as resp:
                status = resp.status
                body = await resp.json(content_type=None)
            text = "\n".join(r.get("text", "") for r in body) if isinstance(body, list) else ""
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
            status, text = 0, f"(no reply: {type(exc).__name__}: {exc})"  # status 0: unanswered
        out.append((status, text, time.perf_counter() - started))
    return out


async def _load(url: str, senders: list[str]) -> list[list[tuple[int, str, float]]]:
    connector = aiohttp.TCPConnector(limit=len(senders))  # truly simultaneous: one connection each
    timeout = aiohttp.ClientTimeout(total=TURN_TIMEOUT_SECONDS)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        return await asyncio.wait_for(
            asyncio.gather(*(_conversation(session, url, s) for s in senders)),
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

    latencies = sorted(seconds for conv in results for _, _, seconds in conv)
    summary: dict[str, float] = {
        "turns": len(latencies),
        "total_s": round(elapsed, 1),
        "turns_per_s": round(len(latencies) / elapsed, 1),
        "p50_s": round(statistics.median(latencies), 2),
        "p95_s": round(latencies[int(0.95 * (len(latencies) - 1))], 2),
        "max_s": round(latencies[-1], 2),
    }
    print(f"\nconcurrency: {summary}")

    problems: dict[str, list[str]] = {
        "unanswered": [],
        "rate limited": [],
        "wrong answer": [],
        "crossed": [],
        "degraded": [],
    }
    for sender, conv in zip(senders, results):
        assert len(conv) == len(TURNS)
        for turn, ((message, expected), (status, text, _)) in enumerate(zip(TURNS, conv)):
            others = [e for j, (_, e) in enumerate(TURNS) if j != turn and e in text]
            where = f"{sender} turn {turn + 1} {message!r}: HTTP {status} {text!r}"
            if status != 200 or not text.strip():
                problems["unanswered"].append(where)
            elif RATE_LIMITED in text:
                problems["rate limited"].append(where)
            elif expected not in text:
                problems["wrong answer"].append(where)
            elif others:
                problems["crossed"].append(where)
            elif DEGRADED in text:
                problems["degraded"].append(where)
    counts = {kind: len(found) for kind, found in problems.items()}
    print(f"concurrency: {counts}; guard degraded replies by reason: {degraded}")
    bad = [where for kind, found in problems.items() if kind != "degraded" for where in found]
    assert not bad, f"{counts} of {len(latencies)} turns ({summary}):\n" + "\n".join(bad[:10])
    # A degraded reply still carried its own answer (checked above). Failures
    # behind it (an action server call lost, a tracker-store error) fail the
    # test; "timeout" is capacity, not correctness: the turn's answer came, but
    # a follow-up missed MESSAGE_TIMEOUT_SECONDS because one Rasa process on two
    # cores serves ~15-20 turns/s, so 200 conversations with no pause between
    # turns wait ~10 s a turn. It is reported above; docs/deployment.md sizes it.
    failures = {reason: n for reason, n in degraded.items() if reason != "timeout"}
    assert not failures, (
        f"the guard completed {failures} replies after errors inside Rasa ({summary}); "
        "see the stack log (e.g. action server calls lost)\n" + "\n".join(problems["degraded"][:5])
    )
