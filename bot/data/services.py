"""What the Rasa actions call. Blocking: actions run these via asyncio.to_thread.

Each function is one unit of work with its own session and returns frozen
views, so no ORM object (or lazy load) ever escapes into async code.
"""

from __future__ import annotations

import enum
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal

from bot.data import repository
from bot.data.engine import session_scope
from bot.data.models import Contract, GapClaim
from bot.data.throttle import VerificationThrottle, throttle_keys, verification_throttle
from bot.domain.identity import clean_vin, mask_name, mask_vin, mask_zip
from bot.domain.policy import Plan, contract_end_date

log = logging.getLogger(__name__)


class NotEligible(Exception):
    """A GAP claim cannot be opened; ``reason`` is one of the constants below."""

    NOT_FOUND = "not_found"
    NO_GAP = "no_gap"
    INACTIVE = "inactive"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ContractView:
    # Personal fields stay out of repr() so a logged view leaks nothing.
    contract_number: str
    first_name: str = field(repr=False)
    last_name: str = field(repr=False)
    zip_code: str = field(repr=False)
    state: str
    vin: str = field(repr=False)
    vehicle_year: int
    vehicle_make: str
    vehicle_model: str
    plan: Plan
    has_gap: bool
    purchase_date: date
    term_months: int
    deductible: Decimal | None
    claims_filed: int
    status: str
    contract_price: Decimal | None

    @property
    def masked_vin(self) -> str:
        return mask_vin(self.vin)

    @property
    def end_date(self) -> date:
        return contract_end_date(self.purchase_date, self.term_months)

    @property
    def vehicle(self) -> str:
        return f"{self.vehicle_year} {self.vehicle_make} {self.vehicle_model}"


@dataclass(frozen=True)
class ClaimView:
    reference: str
    status: str
    created_at: datetime  # timezone-aware UTC
    documents_review_due: date
    channel: str
    contract_number: str


def _contract_view(c: Contract) -> ContractView:
    return ContractView(
        contract_number=c.contract_number,
        first_name=c.first_name,
        last_name=c.last_name,
        zip_code=c.zip_code,
        state=c.state,
        vin=c.vin,
        vehicle_year=c.vehicle_year,
        vehicle_make=c.vehicle_make,
        vehicle_model=c.vehicle_model,
        plan=Plan(c.plan),
        has_gap=c.has_gap,
        purchase_date=c.purchase_date,
        term_months=c.term_months,
        deductible=c.deductible,
        claims_filed=c.claims_filed,
        status=c.status,
        contract_price=c.contract_price,
    )


def claim_view(claim: GapClaim, contract_number: str) -> ClaimView:
    created = claim.created_at
    if created.tzinfo is None:  # SQLite returns naive datetimes; they are stored as UTC
        created = created.replace(tzinfo=timezone.utc)
    return ClaimView(
        reference=claim.reference,
        status=claim.status,
        created_at=created,
        documents_review_due=claim.documents_review_due,
        channel=claim.channel,
        contract_number=contract_number,
    )


def verify_identity(last_name: str, zip_code: str, vin: str) -> ContractView | None:
    """The contract matching all three identifiers, or None."""
    with session_scope() as session:
        contract = repository.find_contract_by_identity(session, last_name, zip_code, vin)
        if contract is None:
            log.info(
                "identity not verified (last name %s, ZIP %s, VIN %s)",
                mask_name(last_name),
                mask_zip(zip_code),
                mask_vin(vin),
            )
            return None
        return _contract_view(contract)


class Outcome(enum.Enum):
    VERIFIED = "verified"
    MISMATCH = "mismatch"
    LOCKED = "locked"  # too many recent failures for this VIN, contract or client


@dataclass(frozen=True)
class IdentityCheck:
    outcome: Outcome
    contract: ContractView | None = None


def check_identity(
    last_names: Sequence[str],
    zip_code: str,
    vin: str,
    client: str,
    throttle: VerificationThrottle | None = None,
    now: float | None = None,
) -> IdentityCheck:
    """Verify last name (any of ``last_names``, the ways the customer's answer can be
    read), ZIP and VIN, unless failures for this VIN, its contracts or ``client``
    have locked verification (bot/data/throttle.py).

    Every mismatch takes the same steps (the same queries, and one failure
    counted under the same number of keys), whichever part was wrong.
    """
    throttle = throttle or verification_throttle()
    with session_scope() as session:
        named = repository.contracts_named(session, last_names, zip_code)
    keys = throttle_keys(clean_vin(vin), named, client)
    if throttle.locked(keys, now):
        log.info("identity check refused: too many recent failures")
        return IdentityCheck(Outcome.LOCKED)
    for last_name in last_names:
        contract = verify_identity(last_name, zip_code, vin)
        if contract is not None:
            return IdentityCheck(Outcome.VERIFIED, contract)
    return IdentityCheck(Outcome.LOCKED if throttle.record_failure(keys, now) else Outcome.MISMATCH)


def remember_verified_conversation(
    conversation_id: str, contract_number: str, now: float | None = None
) -> None:
    """Index the conversation under the contract, for `python -m bot privacy erase --contract`."""
    with session_scope() as session:
        repository.remember_verified_conversation(
            session, conversation_id, contract_number, time.time() if now is None else now
        )


def get_contract_view(contract_number: str) -> ContractView | None:
    with session_scope() as session:
        contract = repository.get_contract(session, contract_number)
        return _contract_view(contract) if contract else None


def open_gap_claim(contract_number: str, channel: str, today: date | None = None) -> tuple[ClaimView, bool]:
    """Open (or return the already open) GAP claim; True if newly created.

    ``today`` is the date the customer starts the claim (server's local date
    by default) and sets ``documents_review_due``. Raises NotEligible when the
    contract is unknown, has no GAP addendum, or is not active.
    """
    with session_scope() as session:
        contract = repository.get_contract(session, contract_number)
        if contract is None:
            raise NotEligible(NotEligible.NOT_FOUND)
        if not contract.has_gap:
            raise NotEligible(NotEligible.NO_GAP)
        if contract.status != "active":
            raise NotEligible(NotEligible.INACTIVE)
        claim, created = repository.open_or_get_gap_claim(session, contract, channel, today or date.today())
        view = claim_view(claim, contract.contract_number)
    if created:
        log.info("GAP claim %s opened for contract %s via %s", view.reference, contract_number, channel)
    return view, created


def latest_gap_claim(contract_number: str) -> ClaimView | None:
    with session_scope() as session:
        contract = repository.get_contract(session, contract_number)
        if contract is None:
            return None
        claim = repository.latest_gap_claim(session, contract.id)
        return claim_view(claim, contract.contract_number) if claim else None


def set_sms_opt_out(phone_hash: str, opted_out: bool) -> None:
    """Record STOP (True) or START (False) for a keyed hash of the phone number."""
    with session_scope() as session:
        repository.set_opt_out(session, phone_hash, opted_out)


def is_sms_opted_out(phone_hash: str) -> bool:
    with session_scope() as session:
        return repository.is_opted_out(session, phone_hash)
