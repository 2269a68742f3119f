"""Queries and writes, each taking the caller's Session (one per unit of work)."""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import case, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from bot.data.models import CLAIM_OPEN, ClaimStatusChange, Contract, GapClaim, SmsOptOut, VerifiedConversation
from bot.domain.identity import clean_vin, identity_matches, normalize_name, normalize_zip
from bot.domain.policy import gap_review_due

# Claim references are read out on the phone: no 0/O, 1/I/L, or U.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
REFERENCE_LENGTH = 8
_REFERENCE_ATTEMPTS = 3
_PHONE_LIKE = re.compile(r"\+?[\d\s().-]+")


@dataclass(frozen=True)
class ContractRow:
    """One validated contract record, as imported from CSV."""

    contract_number: str
    first_name: str
    last_name: str
    zip_code: str
    state: str
    vin: str
    vehicle_year: int
    vehicle_make: str
    vehicle_model: str
    plan: str
    has_gap: bool
    purchase_date: date
    term_months: int
    deductible: Decimal | None
    claims_filed: int
    status: str
    contract_price: Decimal | None


def find_contract_by_identity(session: Session, last_name: str, zip_code: str, vin: str) -> Contract | None:
    """The contract whose last name, ZIP and VIN all match (active ones first)."""
    name_key = normalize_name(last_name)
    zip5 = normalize_zip(zip_code)
    vin_clean = clean_vin(vin)
    if not name_key or zip5 is None or len(vin_clean) != 17:
        return None
    query = (
        select(Contract)
        .where(
            Contract.last_name_key == name_key,
            Contract.zip_code == zip5,
            Contract.vin == vin_clean,
        )
        .order_by(
            case((Contract.status == "active", 0), else_=1),
            Contract.purchase_date.desc(),
        )
    )
    for contract in session.execute(query).scalars():
        if identity_matches(contract.last_name, contract.zip_code, contract.vin, last_name, zip_code, vin):
            return contract
    return None


def contracts_named(session: Session, last_names: Sequence[str], zip_code: str) -> list[str]:
    """Numbers of the contracts with one of ``last_names`` and ``zip_code``: the contracts a
    check of these values is about when the VIN is the guess (verification throttling)."""
    keys = {normalize_name(name) for name in last_names} - {""}
    zip5 = normalize_zip(zip_code)
    if not keys or zip5 is None:
        return []
    query = select(Contract.contract_number).where(
        Contract.last_name_key.in_(keys), Contract.zip_code == zip5
    )
    return sorted(session.execute(query).scalars())


def remember_verified_conversation(
    session: Session, conversation_id: str, contract_number: str, verified_at: float
) -> None:
    """Record that ``conversation_id`` verified ``contract_number`` (repeating updates the time)."""
    row = session.get(VerifiedConversation, (conversation_id, contract_number))
    if row is not None:
        row.verified_at = verified_at
        return
    try:
        with session.begin_nested():
            session.add(
                VerifiedConversation(
                    conversation_id=conversation_id, contract_number=contract_number, verified_at=verified_at
                )
            )
    except IntegrityError:
        pass  # the same conversation verified twice at once: one row is enough


def get_contract(session: Session, contract_number: str) -> Contract | None:
    number = (contract_number or "").strip().upper()
    return session.execute(select(Contract).where(Contract.contract_number == number)).scalar_one_or_none()


def new_claim_reference() -> str:
    return "GAP-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


def _open_claim(session: Session, contract_id: int) -> GapClaim | None:
    """The contract's claim that is not final yet (the one its UNIQUE marker holds)."""
    return session.execute(
        select(GapClaim).where(GapClaim.open_contract_id == contract_id)
    ).scalar_one_or_none()


def open_or_get_gap_claim(
    session: Session, contract: Contract, channel: str, today: date
) -> tuple[GapClaim, bool]:
    """The contract's non-final GAP claim, created (``open``) if there is none (True if created).

    Idempotent, because Rasa may retry an action: a second call returns the
    same claim. If a concurrent request inserts first, the UNIQUE
    ``open_contract_id`` rejects ours; the savepoint is rolled back and the
    winner's claim is returned. (On SQLite writers are already serialised by
    BEGIN IMMEDIATE; this path is what protects PostgreSQL.)
    """
    if not channel or len(channel) > 20:
        raise ValueError("channel must be a short name such as 'rest' or 'sms'")
    existing = _open_claim(session, contract.id)
    if existing is not None:
        return existing, False
    for _ in range(_REFERENCE_ATTEMPTS):
        claim = GapClaim(
            reference=new_claim_reference(),
            contract_id=contract.id,
            open_contract_id=contract.id,
            status=CLAIM_OPEN,
            channel=channel,
            documents_review_due=gap_review_due(today),
        )
        try:
            with session.begin_nested():
                session.add(claim)
                # Every status a claim has is in its history, the first one too.
                session.add(ClaimStatusChange(claim=claim, status=CLAIM_OPEN, actor=channel))
        except IntegrityError:
            existing = _open_claim(session, contract.id)
            if existing is not None:
                return existing, False
            continue  # the random reference collided: draw another
        return claim, True
    raise RuntimeError("could not allocate a unique GAP claim reference")


def latest_gap_claim(session: Session, contract_id: int) -> GapClaim | None:
    return session.execute(
        select(GapClaim)
        .where(GapClaim.contract_id == contract_id)
        .order_by(GapClaim.created_at.desc(), GapClaim.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def list_claims(session: Session) -> list[GapClaim]:
    """Every GAP claim, oldest first, with its contract loaded."""
    return list(
        session.execute(
            select(GapClaim).options(joinedload(GapClaim.contract)).order_by(GapClaim.created_at, GapClaim.id)
        ).scalars()
    )


def set_opt_out(session: Session, phone_hash: str, opted_out: bool) -> None:
    """Record (or clear) an SMS STOP for a keyed phone hash; repeating is harmless."""
    if not phone_hash or len(phone_hash) > 128 or _PHONE_LIKE.fullmatch(phone_hash):
        raise ValueError("phone_hash must be a keyed hash, never the phone number itself")
    if not opted_out:
        session.execute(delete(SmsOptOut).where(SmsOptOut.phone_hash == phone_hash))
        return
    if session.get(SmsOptOut, phone_hash) is not None:
        return
    try:
        with session.begin_nested():
            session.add(SmsOptOut(phone_hash=phone_hash))
    except IntegrityError:
        pass  # a concurrent STOP for the same number got there first


def is_opted_out(session: Session, phone_hash: str) -> bool:
    return session.get(SmsOptOut, phone_hash) is not None


def upsert_contract(session: Session, row: ContractRow) -> bool:
    """Insert or update by contract number; True if the contract was created."""
    contract = get_contract(session, row.contract_number)
    created = contract is None
    if created:
        contract = Contract(contract_number=row.contract_number)
        session.add(contract)
    assert contract is not None
    for field, value in vars(row).items():
        setattr(contract, field, value)
    contract.last_name_key = normalize_name(row.last_name)
    session.flush()
    return created


def count_contracts(session: Session) -> int:
    return session.execute(select(func.count()).select_from(Contract)).scalar_one()
