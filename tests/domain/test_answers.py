"""Personalised answers are composed only from the record and the page's rules."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from bot.content.intents import CLAIM_QUESTIONS, LOOKUP_CONTRACT, PERSONAL_QUESTIONS
from bot.content.messages import catalogue, render
from bot.data.services import ContractView
from bot.domain.answers import contract_summary, long_date, personal_answer
from bot.domain.policy import Plan

CONTRACT = ContractView(
    contract_number="APP-1",
    first_name="Jo",
    last_name="Doe",
    zip_code="98101",
    state="WA",
    vin="5YJ3E1EAXPF402917",
    vehicle_year=2023,
    vehicle_make="Tesla",
    vehicle_model="Model 3",
    plan=Plan.MAJOR,
    has_gap=True,
    purchase_date=date(2026, 10, 1),
    term_months=48,
    deductible=Decimal("75.00"),
    claims_filed=0,
    status="active",
    contract_price=Decimal("2800.00"),
)
TODAY = date(2026, 11, 24)
# Claim questions are answered from the claim (bot/claims/chat.py, tests/actions/test_claim_actions.py).
CONTRACT_ANSWERED = [q for q in (*PERSONAL_QUESTIONS, LOOKUP_CONTRACT) if q not in CLAIM_QUESTIONS]


def said(question: str, contract: ContractView = CONTRACT) -> str:
    return "\n".join(
        render(r.message, **r.variables)["text"] for r in personal_answer(question, contract, TODAY)
    )


def test_every_reply_renders_without_missing_variables() -> None:
    for question in CONTRACT_ANSWERED:
        for contract in (
            CONTRACT,
            replace(
                CONTRACT,
                plan=Plan.BASIC,
                state="KS",
                deductible=None,
                contract_price=None,
                claims_filed=1,
                status="cancelled",
            ),
        ):
            assert "{" not in said(question, contract)


def test_rental_by_plan() -> None:
    assert "Major Guard contract includes rental" in said("ask_rental")
    assert "Basic Guard, so rental reimbursement isn't included" in said(
        "ask_rental", replace(CONTRACT, plan=Plan.BASIC)
    )


def test_kansas_has_no_trip_interruption() -> None:
    assert "Kansas" in said("ask_trip_interruption", replace(CONTRACT, state="KS"))
    assert "includes trip interruption" in said("ask_trip_interruption")


def test_full_refund_inside_60_days_without_claims() -> None:
    text = said("ask_cancel")
    assert "full refund" in text and "54 days ago" in text and "administrative fee may apply" in text


def test_prorated_refund_gives_the_record_figures() -> None:
    text = said("ask_cancel", replace(CONTRACT, claims_filed=1))
    assert "a claim has been filed" in text and "$2,800.00" in text and "about $" in text


def test_prorated_without_price_states_no_figure() -> None:
    text = said("ask_cancel", replace(CONTRACT, claims_filed=1, contract_price=None))
    assert "$" not in text and "prorated" in text


def test_inactive_contract_is_flagged() -> None:
    assert "status is cancelled" in said("ask_my_plan", replace(CONTRACT, status="cancelled"))


def test_the_plan_says_whether_the_gap_addendum_is_on_it() -> None:
    """A customer asking "do I have GAP?" asks about the plan (ask_my_plan)."""
    assert "Major Guard, with a GAP addendum" in said("ask_my_plan")
    assert "Major Guard, without a GAP addendum" in said("ask_my_plan", replace(CONTRACT, has_gap=False))


def test_summary_masks_the_vin() -> None:
    summary = contract_summary(CONTRACT)
    assert "402917" in summary and "5YJ3E1EAXPF402917" not in summary


def test_long_date() -> None:
    assert long_date(date(2027, 2, 28)) == "February 28, 2027"


def test_unknown_question_is_a_bug() -> None:
    with pytest.raises(ValueError):
        personal_answer("ask_weather", CONTRACT, TODAY)


def test_catalogue_has_no_literal_phone_numbers() -> None:
    import re

    for key, entry in catalogue().items():
        assert not re.search(r"\d{3}-\d{4}", entry["text"]), key


def test_coverage_from_the_record_is_the_plan_and_whether_gap_is_added() -> None:
    assert said("ask_coverage") == (
        "Your contract is Major Guard, with a GAP addendum. Your contract lists exactly which repairs "
        "and benefits it covers."
    )
    assert "GAP" not in said("ask_coverage", replace(CONTRACT, has_gap=False))
