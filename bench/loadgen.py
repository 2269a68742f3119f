"""Load generator for Rasa's REST channel (aiohttp client): closed loop, open
loop and one long conversation.

Every request is ``POST <replica>/webhooks/rest/webhook`` with
``{"sender": ..., "message": ...}``. A conversation is pinned to one replica
by a hash of its sender id (sticky sessions), so each replica can keep its own
tracker store.

- closed loop: N virtual users, each running conversations of K turns back to
  back with no think time; throughput is what the server sustains.
- open loop: messages arrive at a fixed mean rate (Poisson, seeded) whatever
  the server does; each arrival is the next turn of an idle conversation (a
  customer never sends turn n+1 before reading reply n), new conversations are
  opened as needed. Latency is measured from the *scheduled* arrival time, so a
  lagging client or server cannot hide queueing (no coordinated omission).
- long conversation: one sender, T turns in a row; latency per turn index.

Nothing here starts or stops servers; see bench.runner.
"""

from __future__ import annotations

import asyncio
import collections
import json
import math
import random
import time
import zlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import aiohttp

REQUEST_TIMEOUT_SECONDS = 30.0
# Replies that mean the product's guard stepped in (bot/content/messages.yml).
DEGRADED_MARKERS = ("isn't responding right now", "sending messages faster than i can answer")


# --- what the users say ------------------------------------------------------------


@dataclass(frozen=True)
class Turn:
    text: str
    expect: str | None = None  # lower-case words the reply must contain, if checked


@dataclass(frozen=True)
class Script:
    """Turns to rotate through; conversation k's turn i is turns[(k + i) % len]."""

    name: str
    turns: tuple[Turn, ...]
    conversation_turns: int = 5

    def turn(self, conversation: int, index: int) -> Turn:
        return self.turns[(conversation + index) % len(self.turns)]


# FAQ turns of our assistant: each is answered by a rule (data/rules/rules.yml);
# rental/cancel/deductible also call the action server (action_answer_personal).
FAQ = Script(
    "faq",
    (
        Turn("is my rental covered?", "rental"),
        Turn("how do I cancel", "cancel"),
        Turn("where can I get my car repaired", "repair"),
        Turn("what does my service contract cover", "cover"),
        Turn("is there a deductible", "deductible"),
        Turn("what plans do you offer", "basic guard"),
    ),
)

# Greet/mood turns of the stock `rasa init` bot (its data/nlu.yml and stories).
STOCK = Script(
    "greet-mood",
    (
        Turn("hello", None),
        Turn("I am feeling great", None),
        Turn("are you a bot?", "bot"),
        Turn("I am sad", None),
        Turn("yes", None),
    ),
)


# --- one request -----------------------------------------------------------------------


@dataclass
class Sample:
    start: float  # seconds since the phase's t0 (scheduled time in open loop)
    latency: float  # seconds
    ok: bool  # HTTP 200 with at least one reply, not a guard notice
    turn: int  # 1-based turn index within its conversation
    replica: int
    status: int = 0
    error: str = ""
    degraded: bool = False
    correct: bool | None = None
    cpu_ms: float | None = None  # server CPU spent on this request (long conversations only)


class Target:
    """The REST URLs of one system's replicas; a sender always goes to the same one."""

    def __init__(self, rest_urls: Sequence[str]) -> None:
        if not rest_urls:
            raise ValueError("at least one URL")
        self.rest_urls = list(rest_urls)

    def replica(self, sender: str) -> int:
        return zlib.crc32(sender.encode()) % len(self.rest_urls)


async def send(
    session: aiohttp.ClientSession, target: Target, sender: str, turn: Turn
) -> tuple[int, int, str, bool, bool | None, list[dict]]:
    """One turn: (replica, status, error, degraded, correct, replies)."""
    replica = target.replica(sender)
    try:
        async with session.post(
            target.rest_urls[replica], json={"sender": sender, "message": turn.text}
        ) as resp:
            body = await resp.read()
            status = resp.status
    except asyncio.TimeoutError:
        return replica, 0, "timeout", False, None, []
    except aiohttp.ClientError as exc:
        return replica, 0, type(exc).__name__, False, None, []
    if status != 200:
        return replica, status, f"http {status}", False, None, []
    try:
        replies = json.loads(body)
    except ValueError:
        return replica, status, "bad json", False, None, []
    if not isinstance(replies, list) or not replies:
        return replica, status, "empty reply", False, None, []
    text = " ".join(str(r.get("text", "")) for r in replies if isinstance(r, dict)).lower()
    degraded = any(marker in text for marker in DEGRADED_MARKERS)
    correct = None if turn.expect is None else turn.expect in text
    return replica, status, "", degraded, correct, replies


async def timed_send(
    session: aiohttp.ClientSession,
    target: Target,
    sender: str,
    turn: Turn,
    turn_no: int,
    t0: float,
    scheduled: float | None = None,
) -> Sample:
    began = time.perf_counter() if scheduled is None else scheduled
    replica, status, error, degraded, correct, _ = await send(session, target, sender, turn)
    latency = time.perf_counter() - began
    return Sample(
        start=began - t0,
        latency=latency,
        ok=(not error and not degraded),
        turn=turn_no,
        replica=replica,
        status=status,
        error=error,
        degraded=degraded,
        correct=correct,
    )


def new_session(connections: int) -> aiohttp.ClientSession:
    connector = aiohttp.TCPConnector(limit=connections, limit_per_host=0, keepalive_timeout=60)
    return aiohttp.ClientSession(
        connector=connector, timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_SECONDS)
    )


def sender_id(run: str, phase: str, conversation: int) -> str:
    return f"bench-{run}-{phase}-{conversation:06d}"


# --- statistics ------------------------------------------------------------------------


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default), q in [0, 100]."""
    if not sorted_values:
        return float("nan")
    if len(sorted_values) == 1:
        return sorted_values[0]
    pos = (len(sorted_values) - 1) * q / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def summarize(samples: Sequence[Sample], window: float | None = None) -> dict:
    """Latency percentiles (ms) of the successful samples, throughput, error counts."""
    good = sorted(s.latency for s in samples if s.ok)
    checked = [s for s in samples if s.correct is not None]
    out: dict[str, Any] = {
        "requests": len(samples),
        "ok": len(good),
        "errors": sum(1 for s in samples if s.error),
        "degraded": sum(1 for s in samples if s.degraded),
        "wrong_answers": sum(1 for s in checked if not s.correct),
        "checked_answers": len(checked),
        "p50_ms": percentile(good, 50) * 1000,
        "p95_ms": percentile(good, 95) * 1000,
        "p99_ms": percentile(good, 99) * 1000,
        "max_ms": (good[-1] * 1000) if good else float("nan"),
        "mean_ms": (sum(good) / len(good) * 1000) if good else float("nan"),
    }
    if window:
        out["window_s"] = window
        out["throughput_msg_s"] = len(good) / window
    error_kinds = collections.Counter(s.error for s in samples if s.error)
    if error_kinds:
        out["error_kinds"] = dict(error_kinds)
    return out


# --- closed loop ------------------------------------------------------------------------


async def closed_loop(
    target: Target,
    script: Script,
    users: int,
    duration: float,
    warmup: float,
    run: str,
    phase: str,
) -> tuple[dict, list[Sample]]:
    """``users`` virtual users, each running back-to-back conversations for
    warmup + duration seconds; statistics over requests that started and
    finished inside the measuring window (after warm-up)."""
    t0 = time.perf_counter()
    measure_from = t0 + warmup
    stop_at = measure_from + duration
    samples: list[Sample] = []
    counter = iter(range(10**9))
    completed = [0]  # every request, warm-up included (for CPU per message)

    async def user(session: aiohttp.ClientSession) -> None:
        while time.perf_counter() < stop_at:
            conv = next(counter)
            sender = sender_id(run, phase, conv)
            for i in range(script.conversation_turns):
                if time.perf_counter() >= stop_at:
                    return
                sample = await timed_send(session, target, sender, script.turn(conv, i), i + 1, t0)
                completed[0] += 1
                if sample.start >= warmup and sample.start + sample.latency <= warmup + duration:
                    samples.append(sample)

    async with new_session(users) as session:
        await asyncio.gather(*(user(session) for _ in range(users)))
    summary = summarize(samples, window=duration)
    summary.update(
        users=users, conversation_turns=script.conversation_turns, warmup_s=warmup, all_requests=completed[0]
    )
    return summary, samples


# --- open loop --------------------------------------------------------------------------


@dataclass
class _Conversation:
    number: int
    sender: str
    next_turn: int = 0


async def open_loop(
    target: Target,
    script: Script,
    rate: float,
    duration: float,
    warmup: float,
    run: str,
    phase: str,
    seed: int = 1,
    max_in_flight: int = 2000,
) -> tuple[dict, list[Sample]]:
    """Poisson arrivals at ``rate`` messages/s for warmup + duration seconds."""
    rng = random.Random(seed)
    arrivals: list[float] = []
    t = 0.0
    while True:
        t += rng.expovariate(rate)
        if t >= warmup + duration:
            break
        arrivals.append(t)
    idle: collections.deque[_Conversation] = collections.deque()
    opened = 0
    samples: list[Sample] = []
    tasks: set = set()
    peak_in_flight = 0
    late = 0  # arrivals the client itself sent > 5 ms after schedule
    dropped = 0

    async def one(session: aiohttp.ClientSession, conv: _Conversation, scheduled: float, t0: float) -> None:
        turn_no = conv.next_turn + 1
        sample = await timed_send(
            session,
            target,
            conv.sender,
            script.turn(conv.number, conv.next_turn),
            turn_no,
            t0,
            scheduled=scheduled,
        )
        conv.next_turn += 1
        if conv.next_turn < script.conversation_turns:
            idle.append(conv)  # rests at the back of the queue: the customer reads the reply
        if sample.start >= warmup:
            samples.append(sample)

    async with new_session(0) as session:
        t0 = time.perf_counter()
        for at in arrivals:
            delay = t0 + at - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            elif -delay > 0.005:
                late += 1
            if len(tasks) >= max_in_flight:
                dropped += 1
                continue
            if idle:
                conv = idle.popleft()
            else:
                conv = _Conversation(opened, sender_id(run, phase, opened))
                opened += 1
            task = asyncio.ensure_future(one(session, conv, t0 + at, t0))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            peak_in_flight = max(peak_in_flight, len(tasks))
        if tasks:
            await asyncio.wait(set(tasks), timeout=REQUEST_TIMEOUT_SECONDS + 5)
    summary = summarize(samples, window=duration)
    summary.update(
        target_rate_msg_s=rate,
        arrivals=sum(1 for a in arrivals if a >= warmup),
        conversations=opened,
        peak_in_flight=peak_in_flight,
        client_late_sends=late,
        all_requests=len(arrivals) - dropped,
        dropped_by_client=dropped,
        warmup_s=warmup,
        seed=seed,
    )
    return summary, samples


# --- long conversations -------------------------------------------------------------------


async def long_conversations(
    target: Target,
    script: Script,
    conversations: int,
    turns: int,
    run: str,
    phase: str,
    at: Sequence[int] = (5, 100),
    window: int = 2,
    deadline: float | None = None,
    first: int = 0,
    cpu_probe=None,
) -> tuple[dict, list[Sample]]:
    """``conversations`` conversations of ``turns`` turns, one after another,
    one request at a time (conversation numbers from ``first``). With
    ``cpu_probe`` (a function returning the server processes' CPU seconds),
    each sample also gets the CPU the servers spent on it: unlike latency,
    that is not inflated by other work on a shared machine."""
    samples: list[Sample] = []
    async with new_session(1) as session:
        t0 = time.perf_counter()
        for c in range(first, first + conversations):
            sender = sender_id(run, phase, c)
            for i in range(turns):
                if deadline is not None and time.monotonic() > deadline:
                    break
                before = cpu_probe() if cpu_probe else None
                sample = await timed_send(session, target, sender, script.turn(c, i), i + 1, t0)
                if cpu_probe:
                    sample.cpu_ms = (cpu_probe() - before) * 1000
                samples.append(sample)
    return summarize_long(samples, turns, at, window), samples


def summarize_long(
    samples: Sequence[Sample], turns: int, at: Sequence[int] = (5, 100), window: int = 2
) -> dict:
    """Latency at turn n = the median over every conversation's turns n-window..n+window."""
    out: dict = {
        "conversations": sum(1 for s in samples if s.turn == 1),
        "turns": turns,
        "window": window,
        "at": {},
    }
    for n in at:
        near = sorted(s.latency for s in samples if s.ok and abs(s.turn - n) <= window)
        out["at"][str(n)] = {
            "n": len(near),
            "p50_ms": percentile(near, 50) * 1000,
            "p95_ms": percentile(near, 95) * 1000,
        }
        cpu = sorted(s.cpu_ms for s in samples if s.ok and s.cpu_ms is not None and abs(s.turn - n) <= window)
        if cpu:
            out["at"][str(n)]["cpu_p50_ms"] = percentile(cpu, 50)
    curve = {}  # a coarse curve: median per block of 10 turns
    for lo in range(1, turns + 1, 10):
        block = sorted(s.latency for s in samples if s.ok and lo <= s.turn < lo + 10)
        if block:
            curve[f"{lo}-{lo + 9}"] = percentile(block, 50) * 1000
    out["p50_ms_by_turn_block"] = curve
    first, last = out["at"][str(at[0])]["p50_ms"], out["at"][str(at[-1])]["p50_ms"]
    if first and not math.isnan(first) and not math.isnan(last):
        out["ratio_last_first"] = last / first
    cpu_first = out["at"][str(at[0])].get("cpu_p50_ms")
    cpu_last = out["at"][str(at[-1])].get("cpu_p50_ms")
    if cpu_first and cpu_last is not None:
        out["cpu_ratio_last_first"] = cpu_last / cpu_first
    out.update(
        {
            k: v
            for k, v in summarize(samples).items()
            if k in ("requests", "ok", "errors", "degraded", "wrong_answers", "checked_answers")
        }
    )
    return out


def samples_json(samples: Sequence[Sample]) -> list[dict]:
    return [asdict(s) for s in samples]
