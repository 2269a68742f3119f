import logging
from dataclasses import FrozenInstanceError
from datetime import date, timezone
from decimal import Decimal

import pytest

from bot.data import services
from bot.data.services import NotEligible
from bot.domain.policy import Plan


def test_verify_identity_returns_a_frozen_view(demo_db):
    view = services.verify_identity("Núñez", "78701-0001", "2t1burhe4nc073158")
    assert view is not None
    assert view.contract_number == "APP-100102"
    assert view.plan is Plan.BASIC
    assert view.deductible == Decimal("200.00") and view.contract_price == Decimal("1875.00")
    assert view.purchase_date == date(2025, 3, 10) and view.end_date == date(2029, 3, 10)
    assert view.vehicle == "2022 Toyota Corolla"
    assert view.masked_vin == "…073158"
    with pytest.raises(FrozenInstanceError):
        view.status = "cancelled"  # type: ignore[misc]


def test_view_repr_leaks_no_personal_data(demo_db):
    text = repr(services.get_contract_view("APP-100102"))
    for secret in ("2T1BURHE4NC073158", "Núñez", "Lucía", "78701"):
        assert secret not in text


def test_failed_verification_logs_only_masked_values(demo_db, caplog):
    caplog.set_level(logging.INFO, logger="bot.data.services")
    assert services.verify_identity("Nunez", "78701", "1HGFE2F56MA104231") is None
    assert "…104231" in caplog.text
    assert "1HGFE2F56MA104231" not in caplog.text and "Nunez" not in caplog.text


def test_unknown_price_and_deductible_stay_none(demo_db):
    assert services.get_contract_view("app-100107").contract_price is None
    assert services.get_contract_view("APP-100110").deductible is None
    assert services.get_contract_view("APP-999999") is None


def test_open_gap_claim_then_latest(demo_db):
    assert services.latest_gap_claim("APP-100103") is None
    claim, created = services.open_gap_claim("APP-100103", "socketio", date(2026, 11, 20))
    assert created is True
    assert claim.documents_review_due == date(2026, 11, 24)  # Friday → Tuesday
    assert claim.created_at.tzinfo is timezone.utc
    assert (claim.status, claim.channel) == ("open", "socketio")
    assert claim.contract_number == "APP-100103"
    assert services.latest_gap_claim("APP-100103") == claim
    assert services.open_gap_claim("APP-100103", "rest") == (claim, False)


@pytest.mark.parametrize(
    "number, reason",
    [("APP-100105", "no_gap"), ("APP-100106", "inactive"), ("APP-000000", "not_found")],
)
def test_open_gap_claim_refuses_ineligible_contracts(demo_db, number, reason):
    with pytest.raises(NotEligible) as info:
        services.open_gap_claim(number, "rest")
    assert info.value.reason == reason
    assert services.latest_gap_claim(number) is None


def test_sms_opt_out(db):
    key = "k1:" + "0f" * 32
    assert services.is_sms_opted_out(key) is False
    services.set_sms_opt_out(key, True)
    assert services.is_sms_opted_out(key) is True
    services.set_sms_opt_out(key, False)
    assert services.is_sms_opted_out(key) is False
