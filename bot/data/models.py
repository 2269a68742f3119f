"""ORM models. The schema itself is created by the Alembic migrations."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import declarative_base, relationship
from sqlalchemy.types import TypeEngine

from bot.domain.claim_status import FINAL_STATUSES, NON_FINAL_STATUSES, STATUSES
from bot.domain.policy import Plan

# Named constraints keep Alembic batch migrations on SQLite deterministic.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Any: SQLAlchemy 1.4's declarative base is dynamic (no DeclarativeBase before 2.0).
Base: Any = declarative_base(metadata=MetaData(naming_convention=NAMING_CONVENTION))

PLANS = tuple(plan.value for plan in Plan)
CONTRACT_STATUSES = ("active", "cancelled", "transferred")
CLAIM_OPEN = "open"
NOTIFY_CHANNELS = ("sms", "widget")
# A notification's life (docs/claims.md, "The outbox"): pending → sending → sent
# → delivered | failed (texts); pending → waiting → shown (widget); skipped when
# there is no one to send to (opted out, no number).
NOTIFICATION_STATES = ("pending", "sending", "sent", "delivered", "failed", "skipped", "waiting", "shown")


class Money(TypeDecorator):
    """NUMERIC(10,2) read back as an exact Decimal on every backend.

    SQLite has no decimal type: values come back as floats, which for 10
    digits round-trip exactly through str(); converting here avoids
    SQLAlchemy's float-to-Decimal path and its warning.
    """

    impl = Numeric(10, 2)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(Numeric(10, 2, asdecimal=False))
        return dialect.type_descriptor(Numeric(10, 2))

    def process_result_value(self, value: object, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return Decimal(str(value)).quantize(Decimal("0.01"))


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _in(column: str, values: tuple) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Contract(Base):
    __tablename__ = "contracts"
    __table_args__ = (
        CheckConstraint(_in("plan", PLANS), name="plan"),
        CheckConstraint(_in("status", CONTRACT_STATUSES), name="status"),
    )

    id = Column(Integer, primary_key=True)
    contract_number = Column(String(32), nullable=False, unique=True)
    first_name = Column(String(100), nullable=False)
    last_name = Column(String(100), nullable=False)
    # normalize_name(last_name): the lookup key for identity verification.
    last_name_key = Column(String(100), nullable=False, index=True)
    zip_code = Column(String(5), nullable=False)
    # State where the contract was purchased (decides trip interruption).
    state = Column(String(2), nullable=False)
    # Not unique: a vehicle can carry an old cancelled contract and a new one.
    vin = Column(String(17), nullable=False, index=True)
    vehicle_year = Column(Integer, nullable=False)
    vehicle_make = Column(String(50), nullable=False)
    vehicle_model = Column(String(50), nullable=False)
    plan = Column(String(20), nullable=False)
    has_gap = Column(Boolean, nullable=False, default=False)
    purchase_date = Column(Date, nullable=False)
    term_months = Column(Integer, nullable=False)
    deductible = Column(Money(), nullable=True)
    claims_filed = Column(Integer, nullable=False, default=0)
    status = Column(String(12), nullable=False, default="active")
    contract_price = Column(Money(), nullable=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    updated_at = Column(DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow)

    gap_claims = relationship("GapClaim", back_populates="contract")


class GapClaim(Base):
    __tablename__ = "gap_claims"
    __table_args__ = (
        # open_contract_id mirrors contract_id exactly while the claim is not final
        # (bot/domain/claim_status.py); its UNIQUE constraint allows one such claim
        # per contract even when two requests insert at once (NULLs never collide,
        # so denied and paid claims pile up).
        CheckConstraint(_in("status", STATUSES), name="status"),
        CheckConstraint(
            f"({_in('status', NON_FINAL_STATUSES)} AND open_contract_id IS NOT NULL"
            " AND open_contract_id = contract_id)"
            f" OR ({_in('status', FINAL_STATUSES)} AND open_contract_id IS NULL)",
            name="open_marker",
        ),
    )

    id = Column(Integer, primary_key=True)
    reference = Column(String(16), nullable=False, unique=True)
    contract_id = Column(Integer, ForeignKey("contracts.id"), nullable=False, index=True)
    open_contract_id = Column(Integer, nullable=True, unique=True)
    status = Column(String(30), nullable=False, default=CLAIM_OPEN)
    channel = Column(String(20), nullable=False)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    # When documents received on the opening day are reviewed (2 business days).
    documents_review_due = Column(Date, nullable=False)
    # Where status updates go: "sms" (notify_sender_id is the keyed hash of the
    # number, see SmsContact) or "widget" (the conversation id); NULL: nowhere.
    notify_channel = Column(String(10), nullable=True)
    notify_sender_id = Column(String(255), nullable=True)

    contract = relationship("Contract", back_populates="gap_claims")
    documents = relationship("ClaimDocument", back_populates="claim", order_by="ClaimDocument.id")
    history = relationship("ClaimStatusChange", back_populates="claim", order_by="ClaimStatusChange.id")


class SmsOptOut(Base):
    __tablename__ = "sms_opt_outs"

    # A keyed hash of the phone number: raw numbers are never stored.
    phone_hash = Column(String(128), primary_key=True)
    opted_out_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


class SmsContact(Base):
    """The number behind an SMS sender id, encrypted (bot/claims/contacts.py); never logged."""

    __tablename__ = "sms_contacts"

    sender_id = Column(String(128), primary_key=True)  # the keyed hash the SMS channel uses
    phone_encrypted = Column(Text, nullable=False)
    updated_at = Column(DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow)


class ClaimDocument(Base):
    """One document of a claim; the bytes are in the document store under ``storage_key``."""

    __tablename__ = "claim_documents"
    __table_args__ = (
        # The same file twice on one claim is a duplicate, even from two requests at once.
        UniqueConstraint("claim_id", "sha256", name="uq_claim_documents_claim_id_sha256"),
    )

    id = Column(Integer, primary_key=True)
    claim_id = Column(Integer, ForeignKey("gap_claims.id"), nullable=False)
    sha256 = Column(String(64), nullable=False)  # of the stored bytes (metadata stripped)
    storage_key = Column(String(200), nullable=False)  # named by the content hash, never the client's name
    filename = Column(String(255), nullable=False)  # the client's name, sanitised; shown, never a path
    content_type = Column(String(50), nullable=False)  # sniffed from the bytes
    size = Column(Integer, nullable=False)
    channel = Column(String(20), nullable=False)
    received_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    review_due = Column(Date, nullable=False)

    claim = relationship("GapClaim", back_populates="documents")


class ClaimStatusChange(Base):
    """Every status a claim has had, with when, who and why."""

    __tablename__ = "claim_status_history"

    id = Column(Integer, primary_key=True)
    claim_id = Column(Integer, ForeignKey("gap_claims.id"), nullable=False, index=True)
    status = Column(String(30), nullable=False)
    previous_status = Column(String(30), nullable=True)  # NULL for the opening entry
    note = Column(Text, nullable=True)
    actor = Column(String(40), nullable=False)
    changed_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)

    claim = relationship("GapClaim", back_populates="history")


class ClaimNotification(Base):
    """The transactional outbox: written with the status change, delivered by bot/claims/worker.py."""

    __tablename__ = "claim_notifications"
    __table_args__ = (
        CheckConstraint(_in("channel", NOTIFY_CHANNELS), name="channel"),
        CheckConstraint(_in("state", NOTIFICATION_STATES), name="state"),
        Index("ix_claim_notifications_state_next_attempt_at", "state", "next_attempt_at"),
        Index("ix_claim_notifications_channel_recipient", "channel", "recipient"),
    )

    id = Column(Integer, primary_key=True)
    claim_id = Column(Integer, ForeignKey("gap_claims.id"), nullable=False)
    change_id = Column(Integer, ForeignKey("claim_status_history.id"), nullable=False)
    # "<change id>:<channel>": one notification per status change and channel, whoever enqueues it.
    idempotency_key = Column(String(80), nullable=False, unique=True)
    channel = Column(String(10), nullable=False)
    recipient = Column(String(255), nullable=False)  # an SMS sender id or a widget conversation id
    body = Column(Text, nullable=False)  # claim reference, status and the GAP number: nothing personal
    state = Column(String(12), nullable=False, default="pending")
    attempts = Column(Integer, nullable=False, default=0)
    next_attempt_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    lease_until = Column(DateTime(timezone=True), nullable=True)  # while "sending"
    provider_sid = Column(String(64), nullable=True, unique=True)  # Twilio's MessageSid
    provider_status = Column(String(20), nullable=True)
    last_error = Column(String(255), nullable=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    sent_at = Column(DateTime(timezone=True), nullable=True)
    finished_at = Column(DateTime(timezone=True), nullable=True)  # delivered, shown, failed or skipped


class VerificationFailure(Base):
    """One failed identity check, counted against each of its keys (bot/data/throttle.py).

    ``key`` is a keyed hash of a VIN, a contract number or a client, never the
    value itself; rows older than the lockout window are deleted as new ones come.
    """

    __tablename__ = "verification_failures"
    __table_args__ = (Index("ix_verification_failures_key_failed_at", "key", "failed_at"),)

    id = Column(Integer, primary_key=True)
    key = Column(String(64), nullable=False)
    failed_at = Column(Float, nullable=False)  # Unix time: one meaning on every backend


class SeenDelivery(Base):
    """A delivery (an SMS MessageSid, a widget message id) already handled (bot/data/deliveries.py)."""

    __tablename__ = "seen_deliveries"

    channel = Column(String(20), primary_key=True)
    message_id = Column(String(128), primary_key=True)
    expires_at = Column(Float, nullable=False, index=True)  # Unix time


class VerifiedConversation(Base):
    """Which conversation verified which contract: what `python -m bot privacy erase --contract` erases."""

    __tablename__ = "verified_conversations"

    conversation_id = Column(String(255), primary_key=True)
    contract_number = Column(String(32), primary_key=True, index=True)
    verified_at = Column(Float, nullable=False)  # Unix time
