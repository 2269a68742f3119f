"""The notification outbox's state changes (bot/claims/worker.py delivers; docs/claims.md).

Every change is a conditional UPDATE on the row's current state, so two
workers (or a worker and a late Twilio callback) can never both act on one
notification: whoever's UPDATE matches the row wins, the other sees 0 rows. Times are
bound as UTC (SQLite compares them as text).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from bot.data.claims import as_utc
from bot.data.engine import session_scope
from bot.data.models import ClaimNotification, Contract, GapClaim


@dataclass(frozen=True)
class Pending:
    """A notification due now, with what delivering it needs."""

    id: int
    channel: str
    recipient: str
    body: str
    attempts: int
    created_at: datetime
    zip_code: str  # the contract's, for the customer's time zone; never logged


def release_expired_leases(now: datetime) -> int:
    """Rows left "sending" by a worker that died: pending again (delivery reconciles first)."""
    with session_scope() as session:
        result = session.execute(
            update(ClaimNotification)
            .where(ClaimNotification.state == "sending", ClaimNotification.lease_until < as_utc(now))
            .values(state="pending", lease_until=None)
        )
        return int(result.rowcount)


def due(now: datetime, channels: tuple[str, ...], limit: int = 20) -> list[Pending]:
    with session_scope() as session:
        rows = session.execute(
            select(ClaimNotification, Contract.zip_code)
            .join(GapClaim, GapClaim.id == ClaimNotification.claim_id)
            .join(Contract, Contract.id == GapClaim.contract_id)
            .where(
                ClaimNotification.state == "pending",
                ClaimNotification.next_attempt_at <= as_utc(now),
                ClaimNotification.channel.in_(channels),
            )
            .order_by(ClaimNotification.next_attempt_at, ClaimNotification.id)
            .limit(limit)
        ).all()
        return [
            Pending(n.id, n.channel, n.recipient, n.body, n.attempts, as_utc(n.created_at), zip_code)
            for n, zip_code in rows
        ]


def _change(notification_id: int, from_states: tuple[str, ...], **values: object) -> bool:
    with session_scope() as session:
        result = session.execute(
            update(ClaimNotification)
            .where(ClaimNotification.id == notification_id, ClaimNotification.state.in_(from_states))
            .values(**values)
        )
        return result.rowcount == 1


def claim(notification_id: int, now: datetime, lease: timedelta) -> bool:
    """Take a pending row for delivery (atomic); False if another worker has it."""
    with session_scope() as session:
        result = session.execute(
            update(ClaimNotification)
            .where(
                ClaimNotification.id == notification_id,
                ClaimNotification.state == "pending",
                ClaimNotification.next_attempt_at <= as_utc(now),
            )
            .values(state="sending", lease_until=as_utc(now) + lease, attempts=ClaimNotification.attempts + 1)
        )
        return result.rowcount == 1


def hold(notification_id: int, until: datetime) -> bool:
    """Keep a pending row for later (quiet hours) without counting an attempt."""
    return _change(notification_id, ("pending",), next_attempt_at=as_utc(until))


def mark_sent(notification_id: int, now: datetime, provider_sid: str, provider_status: str | None) -> bool:
    return _change(
        notification_id,
        ("sending",),
        state="sent",
        lease_until=None,
        provider_sid=provider_sid,
        provider_status=provider_status,
        sent_at=now,
    )


def retry_later(notification_id: int, at: datetime, error: str) -> bool:
    return _change(
        notification_id,
        ("sending",),
        state="pending",
        lease_until=None,
        next_attempt_at=as_utc(at),
        last_error=error[:255],
    )


def finish(notification_id: int, now: datetime, state: str, error: str | None = None) -> bool:
    """End a row being delivered: "failed", "skipped", "shown" or "waiting" (widget, next visit)."""
    values: dict[str, object] = {
        "state": state,
        "lease_until": None,
        "last_error": error[:255] if error else None,
    }
    if state != "waiting":
        values["finished_at"] = now
    return _change(notification_id, ("sending",), **values)


# Twilio's final message statuses, and what they mean here.
_DELIVERY_STATES = {"delivered": "delivered", "undelivered": "failed", "failed": "failed"}


def record_delivery_status(provider_sid: str, status: str, error_code: str | None, now: datetime) -> bool:
    """A Twilio status callback: delivered or failed ends the row; other statuses are noted. False if unknown."""
    state = _DELIVERY_STATES.get(status)
    with session_scope() as session:
        notification = session.execute(
            select(ClaimNotification).where(ClaimNotification.provider_sid == provider_sid).with_for_update()
        ).scalar_one_or_none()
        if notification is None:
            return False
        notification.provider_status = status[:20]
        if state is not None and notification.state in ("sent", "sending"):
            notification.state = state
            notification.finished_at = now
            notification.lease_until = None
            if error_code:
                notification.last_error = f"Twilio error {error_code}"[:255]
        return True


def take_widget_updates(conversation_id: str, now: datetime) -> list[str]:
    """The updates waiting for a widget conversation, oldest first, marked shown (each given once)."""
    with session_scope() as session:
        rows = session.execute(
            select(ClaimNotification.id, ClaimNotification.body)
            .where(
                ClaimNotification.channel == "widget",
                ClaimNotification.recipient == conversation_id,
                ClaimNotification.state.in_(("pending", "waiting")),
            )
            .order_by(ClaimNotification.id)
        ).all()
        bodies = []
        for notification_id, body in rows:
            taken = session.execute(
                update(ClaimNotification)
                .where(
                    ClaimNotification.id == notification_id,
                    ClaimNotification.state.in_(("pending", "waiting")),
                )
                .values(state="shown", finished_at=now, lease_until=None)
            )
            if taken.rowcount == 1:
                bodies.append(body)
        return bodies
