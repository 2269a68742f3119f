"""Checks of the load generator against a stub REST server (not part of `make test`:
pytest.ini collects tests/ only). Run: .venv/bin/python -m pytest bench/tests -q
"""

from __future__ import annotations

import asyncio
import socket

from aiohttp import web

from bench import loadgen
from bench.loadgen import Target


def test_percentile_matches_linear_interpolation():
    values = [1.0, 2.0, 3.0, 4.0]
    assert loadgen.percentile(values, 0) == 1.0
    assert loadgen.percentile(values, 100) == 4.0
    assert loadgen.percentile(values, 50) == 2.5
    assert loadgen.percentile([7.0], 99) == 7.0


def test_sticky_routing_is_stable_and_spreads():
    target = Target(["http://a", "http://b"])
    senders = [loadgen.sender_id("r", "p", i) for i in range(200)]
    first = [target.replica(s) for s in senders]
    assert first == [target.replica(s) for s in senders]
    assert 60 < sum(first) < 140


def test_script_rotates_turns():
    seen = {loadgen.FAQ.turn(0, i).text for i in range(len(loadgen.FAQ.turns))}
    assert len(seen) == len(loadgen.FAQ.turns)
    assert loadgen.FAQ.turn(1, 0) == loadgen.FAQ.turn(0, 1)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _stub(delay: float, seen: list):
    async def webhook(request: web.Request) -> web.Response:
        body = await request.json()
        seen.append(body)
        await asyncio.sleep(delay)
        if body["message"] == "fail":
            return web.Response(status=500)
        return web.json_response([{"recipient_id": body["sender"], "text": f"about {body['message']}"}])

    app = web.Application()
    app.router.add_post("/webhooks/rest/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    port = _free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, f"http://127.0.0.1:{port}/webhooks/rest/webhook"


def test_closed_loop_counts_and_checks_answers():
    async def go():
        seen: list = []
        runner, url = await _stub(0.01, seen)
        try:
            script = loadgen.Script(
                "t", (loadgen.Turn("rental", "rental"), loadgen.Turn("cancel", "nope")), 5
            )
            summary, samples = await loadgen.closed_loop(Target([url]), script, 4, 1.0, 0.2, "t", "c")
        finally:
            await runner.cleanup()
        return summary, samples, seen

    summary, samples, seen = asyncio.run(go())
    assert summary["errors"] == 0 and summary["ok"] == len(samples) > 50
    assert summary["wrong_answers"] > 0  # "nope" is never in the reply
    assert 8 <= summary["p50_ms"] < 200
    assert all(s.start >= 0.2 for s in samples)
    # a conversation's turns are sent in order, one at a time
    by_sender: dict = {}
    for body in seen:
        by_sender.setdefault(body["sender"], []).append(body["message"])
    assert all(len(v) <= 5 for v in by_sender.values())


def test_open_loop_keeps_the_rate_and_latency_from_schedule():
    async def go():
        runner, url = await _stub(0.05, [])
        try:
            return await loadgen.open_loop(Target([url]), loadgen.FAQ, 40.0, 2.0, 0.5, "t", "o", seed=3)
        finally:
            await runner.cleanup()

    summary, samples = asyncio.run(go())
    assert summary["errors"] == 0
    assert 50 <= summary["arrivals"] <= 110  # Poisson around 80
    assert summary["conversations"] >= summary["arrivals"] / 5
    assert summary["p50_ms"] >= 50  # includes the server's 50 ms
    assert max(s.turn for s in samples) <= 5


def test_errors_are_counted_not_timed():
    async def go():
        runner, url = await _stub(0.0, [])
        try:
            script = loadgen.Script("t", (loadgen.Turn("fail"),), 1)
            return await loadgen.closed_loop(Target([url]), script, 1, 0.5, 0.0, "t", "e")
        finally:
            await runner.cleanup()

    summary, samples = asyncio.run(go())
    assert summary["ok"] == 0 and summary["errors"] == len(samples) > 0
    assert summary["error_kinds"] == {"http 500": len(samples)}


def test_long_conversation_reports_turn_windows():
    async def go():
        runner, url = await _stub(0.0, [])
        try:
            return await loadgen.long_conversations(
                Target([url]), loadgen.FAQ, 1, 12, "t", "l", at=(3, 10), window=1
            )
        finally:
            await runner.cleanup()

    summary, samples = asyncio.run(go())
    assert len(samples) == 12 and {s.turn for s in samples} == set(range(1, 13))
    assert summary["at"]["3"]["n"] == 3 and summary["at"]["10"]["n"] == 3
    assert summary["ratio_last_first"] > 0
