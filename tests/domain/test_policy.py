from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.policy import (
    FULL_REFUND_WINDOW_DAYS,
    Plan,
    add_business_days,
    contract_end_date,
    gap_review_due,
    is_business_day,
    parse_plan,
    refund_quote,
    rental_included,
    transfer_deadline,
    trip_interruption_included,
)


@pytest.mark.parametrize(
    "text, plan",
    [
        ("basic", Plan.BASIC),
        ("Basic Guard®", Plan.BASIC),
        ("  VALUE   guard ", Plan.VALUE),
        ("MajorGuard", Plan.MAJOR),
        ("Feature Guard™", Plan.FEATURE),
        ("feature", Plan.FEATURE),
    ],
)
def test_parse_plan_accepts_loose_spellings(text, plan):
    assert parse_plan(text) is plan


@pytest.mark.parametrize("text", ["", "gold", "guard", "basic plus", "Premier"])
def test_parse_plan_rejects_unknown(text):
    with pytest.raises(ValueError):
        parse_plan(text)


def test_rental_excluded_only_for_basic_guard():
    assert {p: rental_included(p) for p in Plan} == {
        Plan.BASIC: False,
        Plan.VALUE: True,
        Plan.MAJOR: True,
        Plan.FEATURE: True,
    }


@pytest.mark.parametrize("state", ["KS", "ks", " Kansas ", "KANSAS"])
def test_no_trip_interruption_for_kansas_purchases(state):
    assert trip_interruption_included(state) is False


@pytest.mark.parametrize("state", ["MO", "TX", "Arkansas", "AK"])
def test_trip_interruption_elsewhere(state):
    assert trip_interruption_included(state) is True


@pytest.mark.parametrize(
    "start, months, end",
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2024, 2, 29), 36, date(2027, 2, 28)),
        (date(2024, 2, 29), 48, date(2028, 2, 29)),
        (date(2025, 8, 31), 18, date(2027, 2, 28)),
        (date(2026, 3, 31), 1, date(2026, 4, 30)),
        (date(2026, 12, 15), 1, date(2027, 1, 15)),
        (date(2026, 11, 24), 72, date(2032, 11, 24)),
    ],
)
def test_contract_end_date_clamps_to_month_end(start, months, end):
    assert contract_end_date(start, months) == end


PURCHASE = date(2026, 1, 1)  # 12-month term ends 2027-01-01: 365 days


def test_full_refund_on_purchase_day_and_on_day_60():
    for days in (0, FULL_REFUND_WINDOW_DAYS):
        quote = refund_quote(PURCHASE, 12, Decimal("1200.00"), 0, PURCHASE + timedelta(days))
        assert quote.full is True
        assert quote.days_since_purchase == days
        assert quote.prorated_amount is None and quote.unused_fraction is None


def test_prorated_from_day_61():
    quote = refund_quote(PURCHASE, 12, Decimal("1200.00"), 0, PURCHASE + timedelta(61))
    assert quote.full is False
    # 304 unused of 365 days: 1200 * 304 / 365 = 999.452... → 999.45
    assert quote.prorated_amount == Decimal("999.45")
    assert quote.unused_fraction == Decimal("0.8329")


def test_claim_inside_60_days_means_prorated():
    quote = refund_quote(PURCHASE, 12, Decimal("1200.00"), 1, PURCHASE + timedelta(10))
    assert quote.full is False
    # 355 unused of 365 days: 1167.123... → 1167.12
    assert quote.prorated_amount == Decimal("1167.12")


def test_prorated_rounds_half_up_to_cents():
    # 183 unused of 365: 1200 * 183 / 365 = 601.6438... → 601.64
    quote = refund_quote(PURCHASE, 12, Decimal("1200.00"), 2, date(2026, 7, 2))
    assert quote.prorated_amount == Decimal("601.64")


def test_unknown_price_gives_fraction_only():
    quote = refund_quote(PURCHASE, 12, None, 0, PURCHASE + timedelta(100))
    assert quote.full is False
    assert quote.prorated_amount is None
    assert quote.unused_fraction == Decimal("0.7260")  # 265 / 365


def test_expired_contract_refunds_nothing():
    quote = refund_quote(PURCHASE, 12, Decimal("1200.00"), 0, date(2028, 6, 1))
    assert quote.prorated_amount == Decimal("0.00")
    assert quote.unused_fraction == Decimal("0.0000")


def test_leap_year_term_uses_real_day_count():
    # 2024-02-29 + 12 months = 2025-02-28: 365 days; at 2024-12-29, 61 days remain.
    quote = refund_quote(date(2024, 2, 29), 12, Decimal("365.00"), 0, date(2024, 12, 29))
    assert quote.prorated_amount == Decimal("61.00")


def test_refund_before_purchase_is_an_error():
    with pytest.raises(ValueError):
        refund_quote(PURCHASE, 12, Decimal("1"), 0, PURCHASE - timedelta(1))


@settings(max_examples=60, deadline=None)
@given(
    price=st.decimals(min_value=0, max_value=99999, places=2),
    term=st.integers(min_value=1, max_value=84),
    claims=st.integers(min_value=1, max_value=3),
    offset=st.integers(min_value=0, max_value=3000),
)
def test_prorated_amount_is_bounded_and_never_grows(price, term, claims, offset):
    today = PURCHASE + timedelta(offset)
    now = refund_quote(PURCHASE, term, price, claims, today).prorated_amount
    later = refund_quote(PURCHASE, term, price, claims, today + timedelta(1)).prorated_amount
    assert Decimal(0) <= later <= now <= price


def test_transfer_deadline_is_30_calendar_days():
    assert transfer_deadline(date(2026, 11, 10)) == date(2026, 12, 10)
    assert transfer_deadline(date(2026, 12, 15)) == date(2027, 1, 14)


@pytest.mark.parametrize(
    "received, due",
    [
        (date(2026, 11, 20), date(2026, 11, 24)),  # Friday → Tuesday
        (date(2026, 11, 23), date(2026, 11, 25)),  # Monday → Wednesday
        (date(2026, 11, 25), date(2026, 11, 30)),  # Wed; Thanksgiving Thu 26 skipped
        (date(2026, 11, 21), date(2026, 11, 25)),  # Saturday counts from Monday → Wednesday
        (date(2026, 11, 26), date(2026, 12, 1)),  # Thanksgiving counts from Fri 27 → Tue 1 Dec
        (date(2026, 7, 2), date(2026, 7, 7)),  # Fri 3 July is July 4th observed
        (date(2026, 12, 23), date(2026, 12, 28)),  # Christmas Friday skipped
        (date(2027, 12, 30), date(2028, 1, 4)),  # New Year's Day observed Fri 31 Dec 2027
    ],
)
def test_gap_review_due_counts_us_business_days(received, due):
    assert gap_review_due(received) == due


def test_observed_holiday_is_not_a_business_day():
    assert is_business_day(date(2026, 7, 3)) is False  # July 4 2026 is a Saturday
    assert is_business_day(date(2026, 7, 6)) is True
    assert is_business_day(date(2026, 11, 28)) is False  # Saturday


def test_add_business_days_edges():
    assert add_business_days(date(2026, 11, 24), 0) == date(2026, 11, 24)
    assert add_business_days(date(2026, 11, 24), 5) == date(2026, 12, 2)
    with pytest.raises(ValueError):
        add_business_days(date(2026, 11, 24), -1)
