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
    TypeDecorator,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import declarative_base, relationship
from sqlalchemy.types import TypeEngine

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
        # open_contract_id mirrors contract_id exactly while the claim is open;
        # its UNIQUE constraint allows one open claim per contract even when two
        # requests insert at once (NULLs never collide, so closed claims pile up).
        CheckConstraint(
            "(status = 'open' AND open_contract_id IS NOT NULL AND open_contract_id = contract_id)"
            " OR (status <> 'open' AND open_contract_id IS NULL)",
            name="open_marker",
        ),
    )

    id = Column(Integer, primary_key=True)
    reference = Column(String(16), nullable=False, unique=True)
    contract_id = Column(Integer, ForeignKey("contracts.id"), nullable=False, index=True)
    open_contract_id = Column(Integer, nullable=True, unique=True)
    status = Column(String(12), nullable=False, default=CLAIM_OPEN)
    channel = Column(String(20), nullable=False)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    # When documents received on the opening day are reviewed (2 business days).
    documents_review_due = Column(Date, nullable=False)

    contract = relationship("Contract", back_populates="gap_claims")


class SmsOptOut(Base):
    __tablename__ = "sms_opt_outs"

    # A keyed hash of the phone number: raw numbers are never stored.
    phone_hash = Column(String(128), primary_key=True)
    opted_out_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


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
