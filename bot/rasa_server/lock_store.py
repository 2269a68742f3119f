"""A Redis lock store whose tickets are issued, checked and released atomically.

Rasa 3.6's `RedisLockStore` keeps a conversation's ticket lock as one JSON value
and issues a ticket by GET, modify, SET (rasa issue 9213): two replicas that get
messages of one conversation a few milliseconds apart both read "no lock", both
take ticket 0 and both process the turn, and the second tracker save drops the
first message's events. Here every step is one Lua script, so Redis runs it
without interleaving:

- ``issue``: ``INCR`` a per-conversation counter and add the number to a sorted
  set of live tickets (score = ticket number, so the lowest is first) and to a
  sorted set of expiry times (score = deadline in Redis server milliseconds, so
  the replicas' clocks do not matter).
- ``acquire`` (polled): drop expired tickets; if ours is gone we lost it
  (``LockError``), if it is the lowest we hold the lock; a waiting ticket's
  deadline is renewed to now + ``wait_lease`` on every poll, so a replica that
  dies while waiting is passed over within ``wait_lease``.
- Holding: the holder's deadline is now + ``hold_lease``, renewed every
  ``hold_lease / 10`` while the turn runs, but never past ``lock_lifetime``
  (Rasa's ``TICKET_LOCK_LIFETIME``, 60 s) after it was acquired. So a replica
  that dies holding the lock is passed over within ``hold_lease`` (the
  conversation's next message, or the same one sent on by nginx, waits
  seconds, not a minute), and a turn that hangs in a live replica within
  ``lock_lifetime``.
- ``release``: remove our ticket (from ``finally``, so also when the turn
  raised) and delete the keys when no ticket is left.

Keys (``{...}`` is a Redis Cluster hash tag, so all three share a slot):
``<prefix>:tlock:{<conversation>}:seq|q|exp``. They get a TTL covering their
longest-lived ticket, so nothing is left behind by a crashed replica.

Configured as ``lock_store.type: bot.rasa_server.lock_store.AtomicRedisLockStore``
(deploy/endpoints.production.yml) with the same keys as Rasa's ``type: redis``,
plus optional ``poll_interval`` (seconds between checks, default 0.01),
``wait_lease`` and ``hold_lease`` (default 10 s each) and ``max_wait`` (give up
waiting after this many seconds, default ``lock_lifetime``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from rasa.core.lock import Ticket, TicketLock
from rasa.core.lock_store import (
    DEFAULT_SOCKET_TIMEOUT_IN_SECONDS,
    LOCK_LIFETIME,
    LockError,
    RedisLockStore,
)
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)

DEFAULT_POLL_INTERVAL = 0.01
DEFAULT_WAIT_LEASE = 10.0
DEFAULT_HOLD_LEASE = 10.0
# Renewals per hold lease: a renewal may come late by 90% of the lease (an
# event loop busy with another turn) before the lock is lost.
RENEWALS_PER_HOLD_LEASE = 10

# All scripts: KEYS = seq, q (ticket -> ticket), exp (ticket -> deadline ms).
# `redis.call('TIME')` before writes needs effects replication: the default
# from Redis 5 on, asked for explicitly on older servers.
_PRELUDE = """
if redis.replicate_commands then pcall(redis.replicate_commands) end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function drop_expired()
  local gone = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', '(' .. now)
  for _, ticket in ipairs(gone) do
    redis.call('ZREM', KEYS[2], ticket)
    redis.call('ZREM', KEYS[3], ticket)
  end
end
local function keep_until(deadline)
  for i = 1, 3 do
    if redis.call('PTTL', KEYS[i]) < deadline - now + 1000 then
      redis.call('PEXPIRE', KEYS[i], deadline - now + 1000)
    end
  end
end
"""

# ARGV: lease ms (how long the new ticket lives without being renewed).
_ISSUE = (
    _PRELUDE
    + """
drop_expired()
local ticket = redis.call('INCR', KEYS[1])
local deadline = now + tonumber(ARGV[1])
redis.call('ZADD', KEYS[2], ticket, ticket)
redis.call('ZADD', KEYS[3], deadline, ticket)
keep_until(deadline)
return ticket
"""
)

# ARGV: ticket, lock lifetime ms, wait lease ms.
# Returns 1 (held: deadline now + lifetime; the caller stops polling), 0
# (waiting: lease renewed), -1 (the ticket expired or was released: not ours any more).
_ACQUIRE = (
    _PRELUDE
    + """
drop_expired()
local ticket = ARGV[1]
local deadline = redis.call('ZSCORE', KEYS[3], ticket)
if not deadline then return -1 end
local head = redis.call('ZRANGE', KEYS[2], 0, 0)[1]
local held = head == ticket
local want = now + tonumber(held and ARGV[2] or ARGV[3])
redis.call('ZADD', KEYS[3], want, ticket)
keep_until(want)
if held then return 1 end
return 0
"""
)

# ARGV: ticket. Returns the number of tickets left.
_RELEASE = (
    _PRELUDE
    + """
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
drop_expired()
local left = redis.call('ZCARD', KEYS[2])
if left == 0 then
  redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
end
return left
"""
)


def _seconds(value: Any, default: float) -> float:
    return default if value is None or value == "" else float(value)


class AtomicRedisLockStore(RedisLockStore):
    """Rasa's lock store API (``async with store.lock(conversation_id)``) on atomic Lua scripts."""

    def __init__(
        self,
        endpoint_config: EndpointConfig | None = None,
        *,
        host: str = "localhost",
        port: int | str = 6379,
        db: int | str = 1,
        username: str | None = None,
        password: str | None = None,
        use_ssl: bool = False,
        ssl_certfile: str | None = None,
        ssl_keyfile: str | None = None,
        ssl_ca_certs: str | None = None,
        key_prefix: str | None = None,
        socket_timeout: float | str = DEFAULT_SOCKET_TIMEOUT_IN_SECONDS,
        poll_interval: float | str | None = None,
        wait_lease: float | str | None = None,
        hold_lease: float | str | None = None,
        max_wait: float | str | None = None,
    ) -> None:
        options: dict[str, Any] = {
            "host": host,
            "port": port,
            "db": db,
            "username": username,
            "password": password,
            "use_ssl": use_ssl,
            "ssl_certfile": ssl_certfile,
            "ssl_keyfile": ssl_keyfile,
            "ssl_ca_certs": ssl_ca_certs,
            "key_prefix": key_prefix,
            "socket_timeout": socket_timeout,
            "poll_interval": poll_interval,
            "wait_lease": wait_lease,
            "hold_lease": hold_lease,
            "max_wait": max_wait,
        }
        if endpoint_config is not None:  # `lock_store.type: <module path>` (Rasa passes only this)
            if endpoint_config.url:
                options["host"] = endpoint_config.url
            unknown = set(endpoint_config.kwargs) - set(options)
            if unknown:
                raise ValueError(f"lock_store: unknown option(s) {', '.join(sorted(unknown))}")
            options.update(endpoint_config.kwargs)
        super().__init__(
            host=options["host"],
            port=int(options["port"]),
            db=int(options["db"]),
            username=options["username"] or None,
            password=options["password"] or None,
            use_ssl=str(options["use_ssl"]).lower() in ("1", "true", "yes"),
            ssl_certfile=options["ssl_certfile"],
            ssl_keyfile=options["ssl_keyfile"],
            ssl_ca_certs=options["ssl_ca_certs"],
            key_prefix=options["key_prefix"],
            socket_timeout=float(options["socket_timeout"]),
        )
        self.poll_interval = _seconds(options["poll_interval"], DEFAULT_POLL_INTERVAL)
        self.wait_lease = _seconds(options["wait_lease"], DEFAULT_WAIT_LEASE)
        self.hold_lease = _seconds(options["hold_lease"], DEFAULT_HOLD_LEASE)
        self.max_wait = None if options["max_wait"] in (None, "") else float(options["max_wait"])
        if min(self.poll_interval, self.wait_lease, self.hold_lease) <= 0:
            raise ValueError("lock_store: poll_interval, wait_lease and hold_lease must be positive")
        self._issue = self.red.register_script(_ISSUE)
        self._acquire = self.red.register_script(_ACQUIRE)
        self._release = self.red.register_script(_RELEASE)

    # --- keys --------------------------------------------------------------------

    def _keys(self, conversation_id: str) -> list[str]:
        # self.key_prefix is Rasa's "<prefix>:lock:"; "tlock" keeps clear of its JSON values.
        base = f"{self.key_prefix[: -len('lock:')]}tlock:{{{conversation_id}}}"
        return [f"{base}:seq", f"{base}:q", f"{base}:exp"]

    # --- the atomic operations -------------------------------------------------------

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        """A new ticket, behind every live one; it lives min(lifetime, wait_lease) unless renewed."""
        lease = min(float(lock_lifetime), self.wait_lease)
        try:
            return int(self._issue(keys=self._keys(conversation_id), args=[_ms(lease)]))
        except Exception as exc:  # redis errors: Rasa's callers expect LockError
            raise LockError(f"Error while issuing a ticket for '{conversation_id}': {exc}") from exc

    def try_acquire(self, conversation_id: str, ticket: int, lock_lifetime: float = LOCK_LIFETIME) -> bool:
        """True when ``ticket`` is the lowest live one (it then holds the lock for ``lock_lifetime``)."""
        return self._poll(
            conversation_id, ticket, float(lock_lifetime), min(float(lock_lifetime), self.wait_lease)
        )

    def _poll(self, conversation_id: str, ticket: int, hold: float, wait: float) -> bool:
        """One acquire: held for ``hold`` seconds from now, or still waiting (lease renewed to ``wait``)."""
        result = int(self._acquire(keys=self._keys(conversation_id), args=[ticket, _ms(hold), _ms(wait)]))
        if result < 0:
            raise LockError(f"Ticket {ticket} for conversation '{conversation_id}' expired while waiting.")
        return result == 1

    def release(self, conversation_id: str, ticket: int) -> None:
        """Remove ``ticket`` (held or waiting); deletes the lock's keys when none is left."""
        self._release(keys=self._keys(conversation_id), args=[ticket])

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = 1,
    ) -> AsyncIterator[TicketLock]:
        """Hold ``conversation_id``'s lock for the body; tickets are served first come, first served.

        Polls every ``min(poll_interval, wait_time_in_seconds)`` seconds and raises
        ``LockError`` after ``max_wait`` (default ``lock_lifetime``) seconds of waiting.
        While the body runs the lock is renewed for ``hold_lease`` at a time, up
        to ``lock_lifetime`` in all.
        """
        ticket = self.issue_ticket(conversation_id, lock_lifetime)
        lifetime = float(lock_lifetime)
        keeper: asyncio.Task[None] | None = None
        try:
            await self._wait_for(conversation_id, ticket, lifetime, wait_time_in_seconds)
            held_until = time.monotonic() + lifetime
            keeper = asyncio.ensure_future(self._keep_held(conversation_id, ticket, held_until))
            yield TicketLock(conversation_id, deque([Ticket(ticket, time.time() + lifetime)]))
        finally:
            if keeper is not None:
                keeper.cancel()
            try:
                self.release(conversation_id, ticket)
            except Exception:  # the ticket then expires on its own
                logger.exception(f"Could not release ticket {ticket} of conversation '{conversation_id}'.")

    async def _keep_held(self, conversation_id: str, ticket: int, held_until: float) -> None:
        """Renew the holder's lease until the turn ends (cancelled) or the lifetime is up."""
        while (left := held_until - time.monotonic()) > 0:
            await asyncio.sleep(min(self.hold_lease / RENEWALS_PER_HOLD_LEASE, left))
            hold = min(self.hold_lease, held_until - time.monotonic())
            if hold <= 0:
                return  # the lifetime is up: the lock now expires with its last lease
            try:
                self._poll(conversation_id, ticket, hold, self.wait_lease)
            except LockError:  # passed over (a stall longer than the lease): the turn goes on
                logger.warning(
                    f"Lost the lock of conversation '{conversation_id}' mid-turn (ticket {ticket})."
                )
                return
            except Exception as exc:  # Redis away for a moment: the next renewal may still make it
                logger.warning(f"Could not renew the lock of '{conversation_id}': {type(exc).__name__}")

    async def _wait_for(
        self, conversation_id: str, ticket: int, lifetime: float, wait_time_in_seconds: float
    ) -> None:
        interval = (
            min(self.poll_interval, wait_time_in_seconds) if wait_time_in_seconds > 0 else self.poll_interval
        )
        max_wait = lifetime if self.max_wait is None else self.max_wait
        hold, wait = min(self.hold_lease, lifetime), min(self.wait_lease, lifetime)
        deadline = time.monotonic() + max_wait
        while not self._poll(conversation_id, ticket, hold, wait):
            if time.monotonic() >= deadline:
                raise LockError(
                    f"Could not acquire lock for conversation_id '{conversation_id}' within {max_wait:g} s."
                )
            await asyncio.sleep(interval)
        logger.debug(f"Acquired lock for conversation '{conversation_id}' (ticket {ticket}).")

    # --- Rasa's inspection API, answered from the atomic keys ----------------------------

    def get_lock(self, conversation_id: str) -> TicketLock | None:
        """The live tickets as a `TicketLock` (read-only view; None when there are none)."""
        _, queue, expiry = self._keys(conversation_id)
        pipe = self.red.pipeline()
        pipe.zrange(queue, 0, -1)
        pipe.zrange(expiry, 0, -1, withscores=True)
        pipe.time()
        tickets, deadlines, (sec, usec) = pipe.execute()
        if not tickets:
            return None
        skew = time.time() - (sec + usec / 1e6)  # Ticket.has_expired() compares with local time
        by_ticket = {int(t): score / 1000 + skew for t, score in deadlines}
        live = [Ticket(int(t), by_ticket[int(t)]) for t in tickets if int(t) in by_ticket]
        return TicketLock(conversation_id, deque(live)) if live else None

    def is_someone_waiting(self, conversation_id: str) -> bool:
        return self.get_lock(conversation_id) is not None

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        self.release(conversation_id, ticket_number)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        self.release(conversation_id, ticket_number)

    def delete_lock(self, conversation_id: str) -> None:
        seq, queue, expiry = self._keys(conversation_id)
        self._log_deletion(conversation_id, bool(self.red.delete(seq, queue, expiry)))

    def save_lock(self, lock: TicketLock) -> None:
        raise NotImplementedError("AtomicRedisLockStore changes tickets only through its scripts")

    def update_lock(self, conversation_id: str) -> None:
        """Nothing to do: expired tickets are dropped by every script."""


def _ms(seconds: float) -> int:
    return max(1, int(seconds * 1000))
