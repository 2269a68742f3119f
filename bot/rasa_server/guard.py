"""Every customer message gets a useful reply, whatever fails behind it.

Rasa 3.6 swallows an action-server error (the action's events are lost and the
bot may go silent), falls back to a fresh conversation on a tracker-store
read error, and lets a slow action server hold a request for five minutes.
`handle_safely` wraps each channel's message handler: it watches for those
errors, bounds the wait, rate-limits each sender and, when the customer would
otherwise get nothing or an incomplete answer, adds a notice with the phone
numbers.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import OutputChannel, UserMessage

from bot.content.messages import render
from bot.rasa_server import metrics
from bot.settings import settings

log = logging.getLogger(__name__)

# Loggers whose errors mean the answer may be incomplete.
WATCHED_LOGGERS = (
    "rasa.core.processor",
    "rasa.core.tracker_store",
    "rasa.core.lock_store",
    "rasa.core.actions.action",
)
_failures: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("failures", default=None)


class _FailureWatch(logging.Handler):
    """Notes ERROR records from Rasa's core in the current message's context."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)

    def emit(self, record: logging.LogRecord) -> None:
        failures = _failures.get()
        if failures is not None:
            failures.append(record.name)


_WATCH = _FailureWatch()


def install_failure_watch() -> None:
    for name in WATCHED_LOGGERS:
        logger = logging.getLogger(name)
        if _WATCH not in logger.handlers:
            logger.addHandler(_WATCH)


class CountingOutputChannel(OutputChannel):
    """Passes messages through to the real channel and counts them."""

    def __init__(self, inner: OutputChannel) -> None:
        self.inner = inner
        self.sent = 0

    def name(self) -> str:  # response variations are chosen by the real channel's name
        return self.inner.name()

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        self.sent += 1
        await self.inner.send_response(recipient_id, message)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        self.sent += 1
        await self.inner.send_text_message(recipient_id, text, **kwargs)


class RateLimiter:
    """Per-sender sliding window, in process memory (bounded LRU of senders)."""

    def __init__(self, limit: int, window_seconds: float, max_senders: int = 50_000) -> None:
        self.limit = limit
        self.window = window_seconds
        self.max_senders = max_senders
        self._hits: OrderedDict[str, list[float]] = OrderedDict()

    def allow(self, sender_id: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        hits = [t for t in self._hits.pop(sender_id, []) if now - t < self.window]
        allowed = len(hits) < self.limit
        if allowed:
            hits.append(now)
        self._hits[sender_id] = hits
        while len(self._hits) > self.max_senders:
            self._hits.popitem(last=False)
        return allowed


RATE_LIMITER = RateLimiter(
    limit=settings().rate_limit_messages,
    window_seconds=settings().rate_limit_window_seconds,
)
MESSAGE_TIMEOUT_SECONDS = settings().message_timeout_seconds


async def _say(channel: OutputChannel, recipient: str, key: str) -> None:
    message = render(key)
    await channel.send_text_message(recipient, message["text"])


async def handle_safely(
    on_new_message: Callable[[UserMessage], Awaitable[Any]],
    message: UserMessage,
    timeout: float | None = None,
) -> asyncio.Future[Any] | None:
    """Run Rasa's handler for ``message``; never leave the customer without an answer.

    ``timeout`` (default MESSAGE_TIMEOUT_SECONDS) bounds the customer's wait.
    Returns the turn itself (None when it was refused), which may still be
    running after a timeout: a channel that acknowledges messages waits for it.
    """
    channel = message.input_channel or "unknown"
    started = time.perf_counter()
    if not RATE_LIMITER.allow(message.sender_id):
        metrics.RATE_LIMITED.labels(channel).inc()
        await _say(message.output_channel, message.sender_id, "rate_limited")
        return None
    counter = CountingOutputChannel(message.output_channel)
    message.output_channel = counter
    failures: list[str] = []
    token = _failures.set(failures)
    # Shielded: when the customer is answered after the timeout, Rasa still
    # finishes the turn and saves it, so nothing the customer said is lost.
    task = asyncio.ensure_future(on_new_message(message))
    _failures.reset(token)
    outcome = "ok"
    try:
        await asyncio.wait_for(asyncio.shield(task), timeout=timeout or MESSAGE_TIMEOUT_SECONDS)
    except asyncio.TimeoutError:
        outcome = "timeout"
    except Exception as exc:
        outcome = "error"
        log.error("message handling failed: %s", type(exc).__name__)
    if failures and outcome == "ok":
        outcome = "degraded"
    if outcome != "ok":
        metrics.DEGRADED.labels(channel, outcome).inc()
        await _say(counter.inner, message.sender_id, "system_unavailable")
    elif counter.sent == 0:
        metrics.DEGRADED.labels(channel, "silent").inc()
        await _say(counter.inner, message.sender_id, "system_unavailable")
    metrics.MESSAGES.labels(channel).inc()
    metrics.LATENCY.labels(channel).observe(time.perf_counter() - started)
    return task


def guarded(
    on_new_message: Callable[[UserMessage], Awaitable[Any]], timeout: float | None = None
) -> Callable[[UserMessage], Awaitable[None]]:
    async def handler(message: UserMessage) -> None:
        await handle_safely(on_new_message, message, timeout)

    return handler
