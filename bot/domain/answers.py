"""Personalised answers for a verified contract, as message keys + variables.

Pure functions (no Rasa): the actions render each ``Reply`` from
bot/content/messages.yml, so every sentence is written once and every figure comes from
the contract record or the page's rules. Questions are intent names as plain
strings; which intents are personal questions is declared in bot/content/intents.py
(tests/content/test_intents.py checks each has an answer here).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from bot.data.services import ContractView
from bot.domain.policy import (
    FULL_REFUND_WINDOW_DAYS,
    refund_quote,
    rental_included,
    trip_interruption_included,
)


@dataclass(frozen=True)
class Reply:
    message: str
    variables: dict[str, str] = field(default_factory=dict)


def long_date(d: date) -> str:
    return f"{d:%B} {d.day}, {d.year}"


def money(amount: Decimal) -> str:
    return f"{amount:,.2f}"


def contract_summary(c: ContractView) -> str:
    """What a verified customer is shown about the contract (VIN masked)."""
    return f"{c.plan.value} on your {c.vehicle}, VIN ending {c.vin[-6:]}"


def personal_answer(question: str, c: ContractView, today: date) -> list[Reply]:
    """Answer ``question`` (an intent name) from contract ``c``.

    Claim questions (CLAIM_QUESTIONS) are answered from the claim, by bot/claims/chat.py.
    """
    replies = _answer(question, c, today)
    if c.status != "active":
        replies.append(Reply("contract_not_active", {"contract_status": c.status}))
    return replies


def _answer(question: str, c: ContractView, today: date) -> list[Reply]:
    if question == "ask_coverage":
        return [Reply("my_coverage_with_gap" if c.has_gap else "my_coverage", {"plan": c.plan.value})]
    if question == "ask_rental":
        if rental_included(c.plan):
            return [Reply("rental_included", {"plan": c.plan.value})]
        return [Reply("rental_not_included")]
    if question == "ask_trip_interruption":
        if trip_interruption_included(c.state):
            return [Reply("trip_included")]
        return [Reply("trip_not_included")]
    if question == "ask_deductible":
        if c.deductible is None:
            return [Reply("my_deductible_unknown")]
        return [Reply("my_deductible", {"deductible": money(c.deductible)})]
    if question == "ask_cancel":
        return [_refund_reply(c, today)]
    if question == "ask_my_plan":
        # "Do I have GAP?" is asked as a question about the plan: say whether the addendum is on it.
        key = "my_plan_with_gap" if c.has_gap else "my_plan_without_gap"
        return [Reply(key, {"contract_number": c.contract_number, "plan": c.plan.value})]
    if question == "ask_my_vehicle":
        return [Reply("my_vehicle", {"vehicle": c.vehicle, "vin_last6": c.vin[-6:]})]
    if question == "ask_contract_end":
        return [
            Reply(
                "contract_end",
                {
                    "purchase_date": long_date(c.purchase_date),
                    "term_months": str(c.term_months),
                    "end_date": long_date(c.end_date),
                },
            )
        ]
    if question == "lookup_contract":
        return [Reply("verified", {"verified_summary": contract_summary(c)})]
    raise ValueError(f"not a contract question: {question}")


def _refund_reply(c: ContractView, today: date) -> Reply:
    quote = refund_quote(c.purchase_date, c.term_months, c.contract_price, c.claims_filed, today)
    if quote.full:
        return Reply(
            "refund_full",
            {
                "purchase_date": long_date(c.purchase_date),
                "days_since_purchase": str(quote.days_since_purchase),
            },
        )
    reasons = []
    if quote.days_since_purchase > FULL_REFUND_WINDOW_DAYS:
        reasons.append(f"it's been more than {FULL_REFUND_WINDOW_DAYS} days since you bought it")
    if c.claims_filed:
        reasons.append("a claim has been filed on it")
    variables = {"prorate_reason": " and ".join(reasons)}
    if quote.prorated_amount is None or c.contract_price is None:
        return Reply("refund_prorated_no_price", variables)
    variables.update(contract_price=money(c.contract_price), refund_amount=money(quote.prorated_amount))
    return Reply("refund_prorated", variables)
