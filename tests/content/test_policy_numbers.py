"""The page's rule numbers (30, 60 days; 2 business days) are bot/domain/policy.py's.

The catalogues use {transfer_days}, {refund_days} and {gap_review_business_days}.
domain.yml still types its numbers (editing it retrains the model), so this
checks each typed number equals the policy constant it states.
"""

from __future__ import annotations

import re

import yaml

from bot.content.messages import CATALOGUE_FILES, POLICY_VARIABLES, catalogue, render
from bot.domain.policy import FULL_REFUND_WINDOW_DAYS, GAP_REVIEW_BUSINESS_DAYS, TRANSFER_NOTICE_DAYS
from bot.settings import ROOT

DAYS = re.compile(r"(\d+)\s+(business\s+)?days?\b")
# Each domain.yml response that states a rule: (the rule's number, counted in business days?).
RULE_IN_RESPONSE = {
    "utter_transfer": (TRANSFER_NOTICE_DAYS, False),
    "utter_cancel": (FULL_REFUND_WINDOW_DAYS, False),
    "utter_gap": (GAP_REVIEW_BUSINESS_DAYS, True),
}


def domain_responses() -> dict[str, list[dict]]:
    with (ROOT / "domain.yml").open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)["responses"]


def test_numbers_typed_in_domain_responses_are_the_policy_constants() -> None:
    responses = domain_responses()
    for name, variants in responses.items():
        for variant in variants:
            found = [(int(n), bool(business)) for n, business in DAYS.findall(variant.get("text", ""))]
            if name in RULE_IN_RESPONSE:
                assert found, f"{name} no longer states its rule; update RULE_IN_RESPONSE"
                assert set(found) == {RULE_IN_RESPONSE[name]}, (name, variant.get("channel"))
            else:
                assert not found, f"{name} states a day count: add it to bot/domain/policy.py and here"


def test_catalogues_take_rule_numbers_from_the_policy() -> None:
    for name in CATALOGUE_FILES:
        for key, entry in catalogue(name).items():
            assert not DAYS.search(str(entry.get("text", ""))), f"{name}:{key} types a day count"
    assert {
        "transfer_days": str(TRANSFER_NOTICE_DAYS),
        "refund_days": str(FULL_REFUND_WINDOW_DAYS),
        "gap_review_business_days": str(GAP_REVIEW_BUSINESS_DAYS),
    } == POLICY_VARIABLES
    deadline = render(
        "transfer_deadline", sale_date_text="November 1, 2026", deadline_text="December 1, 2026"
    )
    assert f"{TRANSFER_NOTICE_DAYS} days after" in deadline["text"]
