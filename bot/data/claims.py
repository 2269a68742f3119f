"""Units of work of the claims center: statuses and their history, documents,
notification contacts and the customer's claim summary (docs/claims.md).

Blocking, like bot/data/services.py: async callers use asyncio.to_thread. Each
function returns frozen views, so no ORM object escapes its session. A status
change and the notifications announcing it are written in ONE transaction (the
outbox, delivered by bot/claims/worker.py).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timezone, tzinfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from bot.content.messages import claims_text
from bot.data.engine import session_scope
from bot.data.models import ClaimDocument, ClaimNotification, ClaimStatusChange, GapClaim, SmsContact
from bot.data.repository import get_contract, latest_gap_claim
from bot.domain.claim_status import STATUSES, can_change, is_final

log = logging.getLogger(__name__)

SMS = "sms"
WIDGET = "widget"
NOTIFY_CHANNELS = (SMS, WIDGET)


class UnknownClaim(LookupError):
    """No claim has this reference."""


class InvalidStatus(ValueError):
    """Not one of bot/domain/claim_status.STATUSES."""


class ChangeRefused(ValueError):
    """The claim's current status cannot move to the requested one."""

    def __init__(self, current: str, requested: str) -> None:
        super().__init__(f"a claim that is {current} cannot become {requested}")
        self.current = current
        self.requested = requested


def as_utc(moment: datetime) -> datetime:
    """A stored time as an aware UTC datetime (SQLite returns naive UTC)."""
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class DocumentView:
    filename: str
    content_type: str
    size: int
    sha256: str
    channel: str
    received_at: datetime  # aware UTC
    review_due: date
    storage_key: str


@dataclass(frozen=True)
class StatusChangeView:
    status: str
    previous_status: str | None
    note: str | None
    actor: str
    changed_at: datetime  # aware UTC


@dataclass(frozen=True)
class NotificationView:
    """One customer update in the outbox (the recipient stays out: it identifies the customer)."""

    channel: str
    state: str
    attempts: int
    created_at: datetime
    sent_at: datetime | None
    last_error: str | None


@dataclass(frozen=True)
class ClaimRecord:
    """A claim as the clerk sees it (``python -m bot claims show``)."""

    reference: str
    status: str
    final: bool
    contract_number: str
    channel: str
    created_at: datetime
    documents_review_due: date
    notify_channel: str | None
    documents: tuple[DocumentView, ...]
    history: tuple[StatusChangeView, ...]
    notifications: tuple[NotificationView, ...]


@dataclass(frozen=True)
class StatusChange:
    reference: str
    previous_status: str
    status: str
    changed: bool  # False: the claim already had this status; nothing was written
    notifications: int  # outbox rows written with the change


def document_view(doc: ClaimDocument) -> DocumentView:
    return DocumentView(
        filename=doc.filename,
        content_type=doc.content_type,
        size=doc.size,
        sha256=doc.sha256,
        channel=doc.channel,
        received_at=as_utc(doc.received_at),
        review_due=doc.review_due,
        storage_key=doc.storage_key,
    )


def _claim_by_reference(session: Session, reference: str, *, for_update: bool = False) -> GapClaim | None:
    query = select(GapClaim).where(GapClaim.reference == (reference or "").strip().upper())
    if for_update:
        query = query.with_for_update()
    return session.execute(query).scalar_one_or_none()


def _record(claim: GapClaim, notifications: list[ClaimNotification]) -> ClaimRecord:
    return ClaimRecord(
        reference=claim.reference,
        status=claim.status,
        final=is_final(claim.status),
        contract_number=claim.contract.contract_number,
        channel=claim.channel,
        created_at=as_utc(claim.created_at),
        documents_review_due=claim.documents_review_due,
        notify_channel=claim.notify_channel,
        documents=tuple(document_view(d) for d in claim.documents),
        history=tuple(
            StatusChangeView(h.status, h.previous_status, h.note, h.actor, as_utc(h.changed_at))
            for h in claim.history
        ),
        notifications=tuple(
            NotificationView(
                n.channel,
                n.state,
                n.attempts,
                as_utc(n.created_at),
                as_utc(n.sent_at) if n.sent_at else None,
                n.last_error,
            )
            for n in notifications
        ),
    )


def get_claim_record(reference: str) -> ClaimRecord | None:
    with session_scope() as session:
        claim = session.execute(
            select(GapClaim)
            .where(GapClaim.reference == (reference or "").strip().upper())
            .options(
                selectinload(GapClaim.documents),
                selectinload(GapClaim.history),
                selectinload(GapClaim.contract),
            )
        ).scalar_one_or_none()
        if claim is None:
            return None
        notifications = session.execute(
            select(ClaimNotification)
            .where(ClaimNotification.claim_id == claim.id)
            .order_by(ClaimNotification.id)
        ).scalars()
        return _record(claim, list(notifications))


def status_update_text(reference: str, status: str, channel: str) -> str:
    """What a customer is told when their claim moves to ``status`` (no personal data)."""
    text = claims_text(f"status_update_{status}", claim_reference=reference)
    return f"{text} {claims_text('sms_footer')}" if channel == SMS else text


def set_claim_status(
    reference: str,
    status: str,
    *,
    note: str | None = None,
    actor: str = "clerk",
    now: datetime | None = None,
) -> StatusChange:
    """Move a claim to ``status``, record it in the history and queue the customer's update.

    One transaction: the status, the history row and the outbox rows commit
    together or not at all. Raises UnknownClaim, InvalidStatus or ChangeRefused;
    asking for the status the claim already has changes nothing.
    """
    if status not in STATUSES:
        raise InvalidStatus(status)
    moment = now or utc_now()
    with session_scope() as session:
        claim = _claim_by_reference(session, reference, for_update=True)
        if claim is None:
            raise UnknownClaim(reference)
        previous = claim.status
        if previous == status:
            return StatusChange(claim.reference, previous, status, False, 0)
        if not can_change(previous, status):
            raise ChangeRefused(previous, status)
        claim.status = status
        claim.open_contract_id = None if is_final(status) else claim.contract_id
        change = ClaimStatusChange(
            claim_id=claim.id,
            status=status,
            previous_status=previous,
            note=(note or "").strip() or None,
            actor=actor,
            changed_at=moment,
        )
        session.add(change)
        session.flush()
        queued = 0
        if claim.notify_channel in NOTIFY_CHANNELS and claim.notify_sender_id:
            session.add(
                ClaimNotification(
                    claim_id=claim.id,
                    change_id=change.id,
                    idempotency_key=f"{change.id}:{claim.notify_channel}",
                    channel=claim.notify_channel,
                    recipient=claim.notify_sender_id,
                    body=status_update_text(claim.reference, status, claim.notify_channel),
                    state="pending",
                    attempts=0,
                    next_attempt_at=moment,
                    created_at=moment,
                )
            )
            queued = 1
        result = StatusChange(claim.reference, previous, status, True, queued)
    log.info("GAP claim %s: %s -> %s by %s", result.reference, previous, status, actor)
    return result


def set_claim_contact(reference: str, channel: str, sender_id: str) -> None:
    """Where the claim's status updates go: ``sms`` with the SMS sender id, or ``widget`` with the conversation id.

    The SMS sender id is the keyed hash the SMS channel gives Rasa; the number
    behind it is stored once, encrypted, by ``bot.claims.contacts.remember_sms_number``.
    """
    if channel not in NOTIFY_CHANNELS:
        raise ValueError(f"channel must be one of {NOTIFY_CHANNELS}")
    if not sender_id or len(sender_id) > 255:
        raise ValueError("sender_id must be a conversation id or an SMS sender id")
    with session_scope() as session:
        claim = _claim_by_reference(session, reference)
        if claim is None:
            raise UnknownClaim(reference)
        claim.notify_channel = channel
        claim.notify_sender_id = sender_id


def store_sms_contact(sender_id: str, phone_encrypted: str) -> None:
    with session_scope() as session:
        contact = session.get(SmsContact, sender_id)
        if contact is None:
            session.add(
                SmsContact(sender_id=sender_id, phone_encrypted=phone_encrypted, updated_at=utc_now())
            )
        else:
            contact.phone_encrypted = phone_encrypted
            contact.updated_at = utc_now()


@dataclass(frozen=True)
class ClaimSummary:
    """What a verified customer may be told about their latest claim."""

    reference: str
    status: str
    final: bool
    opened_on: date
    documents: tuple[tuple[str, date], ...]  # (filename, received on, in the business zone's calendar)
    review_due: date | None  # the latest received document's review date; None without documents


def claim_summary(contract_number: str, zone: tzinfo) -> ClaimSummary | None:
    """The contract's latest claim: status, documents received (with dates) and the review date.

    Call only for a verified conversation's own contract (the channel checks).
    """
    with session_scope() as session:
        contract = get_contract(session, contract_number)
        if contract is None:
            return None
        claim = latest_gap_claim(session, contract.id)
        if claim is None:
            return None
        docs = [document_view(d) for d in claim.documents]
        return ClaimSummary(
            reference=claim.reference,
            status=claim.status,
            final=is_final(claim.status),
            opened_on=as_utc(claim.created_at).date(),
            documents=tuple((d.filename, d.received_at.astimezone(zone).date()) for d in docs),
            review_due=max((d.review_due for d in docs), default=None),
        )


def document_totals(session: Session, claim_id: int) -> tuple[int, int]:
    """(documents, bytes) already on a claim."""
    count, total = session.execute(
        select(func.count(ClaimDocument.id), func.coalesce(func.sum(ClaimDocument.size), 0)).where(
            ClaimDocument.claim_id == claim_id
        )
    ).one()
    return int(count), int(total)
