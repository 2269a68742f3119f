"""The load the concurrency tests send, and how its answers are judged.

A conversation is the ten ``TURNS``, each sent after the previous one was
answered. Their answers are deterministic and distinct, so a reply that
belongs to another turn (or another conversation) is caught. Used by
tests/e2e/test_concurrency.py (one server, REST) and
tests/scaleout/test_load_balancer.py (replicas behind nginx, REST and socket.io).
"""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import aiohttp
import socketio

from bot.content.messages import render

# python-engineio 4.15 (pinned for CVE-2026-48804, docs/security.md) gives its
# websocket client aiohttp 3.10's ClientWSTimeout; Rasa pins aiohttp 3.9, whose
# ws_connect takes that close timeout as a plain number of seconds.
if not hasattr(aiohttp, "ClientWSTimeout"):
    setattr(aiohttp, "ClientWSTimeout", lambda ws_close=None, **_: ws_close)  # noqa: B010

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
MESSAGES = [message for message, _ in TURNS]
# bot/rasa_server/guard.py's notices: an over-limit sender, or no full answer in time.
RATE_LIMITED = render("rate_limited")["text"]
DEGRADED = render("system_unavailable")["text"]
# Only a guard against a hang: how long turns take is measured, not asserted.
TURN_TIMEOUT_SECONDS = 300
SERVER_TIMEOUT_SECONDS = 60  # as long as nginx waits for a replica (deploy/nginx/)


@dataclass(frozen=True)
class Turn:
    status: int  # HTTP status; 200 for an answer on a socket; 0: no answer at all
    text: str
    seconds: float


# --- REST ------------------------------------------------------------------------------


async def rest_conversation(session: aiohttp.ClientSession, url: str, sender: str) -> list[Turn]:
    """The ten turns over REST, one after the other."""
    out = []
    for message in MESSAGES:
        started = time.perf_counter()
        try:
            async with session.post(url, json={"sender": sender, "message": message}) as resp:
                status = resp.status
                body = await resp.json(content_type=None)
            text = "\n".join(r.get("text", "") for r in body) if isinstance(body, list) else ""
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
            status, text = 0, f"(no reply: {type(exc).__name__}: {exc})"
        out.append(Turn(status, text, time.perf_counter() - started))
    return out


def rest_session(connections: int) -> aiohttp.ClientSession:
    """One connection per conversation, so they are truly simultaneous."""
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=connections),
        timeout=aiohttp.ClientTimeout(total=TURN_TIMEOUT_SECONDS),
    )


# --- socket.io ---------------------------------------------------------------------------


class SocketConversation:
    """The ten turns over socket.io as the widget sends them (session_request, user_uttered).

    Like the widget's socket.io client it waits for a slow server (as long as
    nginx does; python-socketio's default of 5 s drops healthy sessions under
    this load), retries a connection that fails and
    connects again when one drops (a replica died), with a new client each
    time (python-socketio's own reconnection can stall on a dropped
    long-polling session). After a new connection it sends a turn the server
    has not acknowledged again, under the same message id (the server
    acknowledges a turn once it is stored, even after the guard's notice): the turn may have been lost with
    the replica, and if it was not, the server answers it from the stored turn
    (bot/rasa_server/idempotency.py); the tracker check shows whether any
    turn was stored twice. ``engine_ids`` are the engine.io session ids it
    was given.
    """

    def __init__(self, url: str, transport: str) -> None:
        self.url = url
        self.name = uuid.uuid4().hex  # how the load names it; the server names it by its token
        self.token: str | None = None  # the signed session token session_confirm gave
        self.transport = transport
        # (the client message id a reply answers, its text): the server tags each reply
        self.replies: asyncio.Queue[tuple[str | None, str]] = asyncio.Queue()
        self.client: socketio.AsyncClient | None = None
        self.connection = 0  # bumped by each session_confirm
        self.confirmed = asyncio.Event()
        self.engine_ids: list[str] = []
        self.connect_retries = 0
        self.resent: list[str] = []  # turns sent again on a new connection

    def _new_client(self, http: aiohttp.ClientSession) -> socketio.AsyncClient:
        client = socketio.AsyncClient(
            http_session=http, request_timeout=SERVER_TIMEOUT_SECONDS, reconnection=False
        )

        async def on_connect() -> None:
            # As the widget does: continue the session its token names, or start one.
            await client.emit("session_request", {"session_id": self.token} if self.token else {})

        async def on_confirm(token: object) -> None:
            if isinstance(token, str):
                self.token = token
            self.engine_ids.append(client.eio.sid)
            self.connection += 1
            self.confirmed.set()

        async def on_bot(data: object) -> None:
            if isinstance(data, dict):
                self.replies.put_nowait((data.get("reply_to"), str(data.get("text") or "")))

        client.on("connect", on_connect)
        client.on("disconnect", self.confirmed.clear)
        client.on("session_confirm", on_confirm)
        client.on("bot_uttered", on_bot)
        return client

    async def _drop_client(self) -> None:
        if self.client is not None:
            try:
                await self.client.disconnect()
            except Exception:  # already gone with its server
                pass
        self.client = None

    async def _connect(self, http: aiohttp.ClientSession, deadline: float) -> socketio.AsyncClient:
        """A connected client whose session is confirmed; raises after ``deadline``."""
        while True:
            await self._drop_client()
            client = self.client = self._new_client(http)
            try:
                # wait=False: python-socketio would wait out its timeout even when
                # the engine.io session died meanwhile (its replica was killed).
                await client.connect(
                    self.url, socketio_path="/socket.io", transports=[self.transport], wait=False
                )
                await self._confirmed_while_connected(client, time.perf_counter() + SERVER_TIMEOUT_SECONDS)
                return client
            except (socketio.exceptions.ConnectionError, asyncio.TimeoutError):
                if time.perf_counter() > deadline:
                    raise
                self.connect_retries += 1
                await asyncio.sleep(1.0)

    async def _confirmed_while_connected(self, client: socketio.AsyncClient, until: float) -> None:
        while not self.confirmed.is_set():
            if client.eio.state != "connected":
                raise socketio.exceptions.ConnectionError("the session was dropped while connecting")
            if time.perf_counter() > until:
                raise asyncio.TimeoutError
            await asyncio.sleep(0.2)

    async def run(self) -> list[Turn]:
        out: list[Turn] = []
        async with aiohttp.ClientSession() as http:
            try:
                for message, expected in TURNS:
                    out.append(await self._turn(http, message, expected))
            except (socketio.exceptions.ConnectionError, asyncio.TimeoutError) as exc:
                out.append(Turn(0, f"(socket: {type(exc).__name__}: {exc})", 0.0))
            finally:
                await self._drop_client()
        return out

    async def _turn(self, http: aiohttp.ClientSession, message: str, expected: str) -> Turn:
        started = time.perf_counter()
        deadline = started + TURN_TIMEOUT_SECONDS
        sent_on = 0
        message_id = uuid.uuid4().hex  # the same on a resend: the server stores the turn once
        acknowledged = asyncio.Event()  # as the widget: sent again until the server acknowledges it
        texts: list[str] = []
        while time.perf_counter() < deadline:
            client = self.client
            if client is None or not self.confirmed.is_set() or client.eio.state != "connected":
                client = await self._connect(http, deadline)
            if sent_on != self.connection and not acknowledged.is_set():
                try:
                    await client.emit(
                        "user_uttered",
                        {"message": message, "session_id": self.token, "message_id": message_id},
                        callback=lambda *_: acknowledged.set(),
                    )
                except socketio.exceptions.SocketIOError:  # dropped meanwhile: connect again
                    self.confirmed.clear()
                    continue
                if sent_on:
                    self.resent.append(message)
                sent_on = self.connection
            try:
                reply_to, text = await asyncio.wait_for(self.replies.get(), 0.5)
                if reply_to in (None, message_id):  # else the rest of an earlier turn's answer
                    texts.append(text)
            except asyncio.TimeoutError:
                pass
            answered = any(expected in t or DEGRADED in t for t in texts)
            if answered and acknowledged.is_set():
                return Turn(200, "\n".join(texts), time.perf_counter() - started)
        return Turn(0, "\n".join(texts) or "(no reply on the socket)", time.perf_counter() - started)


# --- judging ---------------------------------------------------------------------------------


def problems(
    results: Mapping[str, Sequence[Turn]], *, guard_may_answer: bool = False
) -> dict[str, list[str]]:
    """Every turn that was not answered with its own answer, by kind.

    "degraded" lists the guard's notices: next to the turn's own answer they
    are capacity (MESSAGE_TIMEOUT_SECONDS passed), not a failure. With
    ``guard_may_answer`` (a replica died mid-turn) the notice may stand in for
    the answer, and the turns after it may show that turn's late answer.
    """
    found: dict[str, list[str]] = {
        "unanswered": [],
        "rate limited": [],
        "wrong answer": [],
        "crossed": [],
        "degraded": [],
    }
    for sender, conversation in results.items():
        if len(conversation) != len(TURNS):
            found["unanswered"].append(f"{sender}: {len(conversation)} of {len(TURNS)} turns")
        late_answers_possible = False
        for index, ((message, expected), turn) in enumerate(zip(TURNS, conversation)):
            others = [e for j, (_, e) in enumerate(TURNS) if j != index and e in turn.text]
            where = f"{sender} turn {index + 1} {message!r}: HTTP {turn.status} {turn.text!r}"
            if turn.status != 200 or not turn.text.strip():
                found["unanswered"].append(where)
            elif RATE_LIMITED in turn.text:
                found["rate limited"].append(where)
            elif expected in turn.text and not others:
                if DEGRADED in turn.text:
                    found["degraded"].append(where)
            elif guard_may_answer and DEGRADED in turn.text:
                found["degraded"].append(where)
                late_answers_possible = True
            elif late_answers_possible:
                continue
            elif expected not in turn.text:
                found["wrong answer"].append(where)
            else:
                found["crossed"].append(where)
    return found


def summary(turns: Iterable[Turn], elapsed: float) -> dict[str, float]:
    """Turns, throughput and latency of a run."""
    latencies = sorted(t.seconds for t in turns)
    return {
        "turns": len(latencies),
        "total_s": round(elapsed, 1),
        "turns_per_s": round(len(latencies) / elapsed, 1),
        "p50_s": round(statistics.median(latencies), 2),
        "p95_s": round(latencies[int(0.95 * (len(latencies) - 1))], 2),
        "max_s": round(latencies[-1], 2),
    }
