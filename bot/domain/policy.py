"""Pure rules taken from the Ally Premier Protection customer page.

Every number here is on the page (60 days, 30 days, 2 business days); nothing
else is invented: the page gives no fee amounts, so no fee is ever computed.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import Enum
from functools import lru_cache

import holidays

FULL_REFUND_WINDOW_DAYS = 60
TRANSFER_NOTICE_DAYS = 30
GAP_REVIEW_BUSINESS_DAYS = 2

_CENT = Decimal("0.01")


class Plan(str, Enum):
    BASIC = "Basic Guard"
    VALUE = "Value Guard"
    MAJOR = "Major Guard"
    FEATURE = "Feature Guard"


# "basic", "Basic Guard", "BASICGUARD®" all reduce to the same key.
_PLAN_KEYS = {
    key: plan for plan in Plan for key in (plan.value.split()[0].lower(), plan.value.replace(" ", "").lower())
}


def parse_plan(text: str) -> Plan:
    """Return the plan named by ``text``; raise ValueError for anything else."""
    key = re.sub(r"[\s®™]+", "", text or "").lower()
    try:
        return _PLAN_KEYS[key]
    except KeyError:
        raise ValueError(f"unknown plan: {text!r}") from None


def rental_included(plan: Plan) -> bool:
    """Rental reimbursement: Major, Value and Feature Guard; never Basic Guard."""
    return plan is not Plan.BASIC


def trip_interruption_included(purchase_state: str) -> bool:
    """Trip interruption is not included when the contract was bought in Kansas."""
    return (purchase_state or "").strip().upper() not in {"KS", "KANSAS"}


def add_months(start: date, months: int) -> date:
    """Add calendar months, clamping to the month's last day (Jan 31 + 1 = Feb 28/29)."""
    index = start.year * 12 + (start.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return date(year, month, day)


def contract_end_date(purchase_date: date, term_months: int) -> date:
    """The date the contract's term runs out."""
    return add_months(purchase_date, term_months)


@dataclass(frozen=True)
class RefundQuote:
    full: bool
    days_since_purchase: int
    prorated_amount: Decimal | None
    unused_fraction: Decimal | None


def refund_quote(
    purchase_date: date,
    term_months: int,
    price: Decimal | None,
    claims_filed: int,
    today: date,
) -> RefundQuote:
    """Estimate a cancellation refund; the administrator's figure is authoritative.

    Page rule: cancelled within 60 days of purchase (day 60 included) with no
    claims filed → full refund; otherwise prorated. The prorated share is
    ``price × unused days / term days``, rounded to cents and 0 once the term
    has ended. An administrative fee may also apply; the page gives no amount,
    so it is never subtracted here. ``prorated_amount`` is None when the refund
    is full or the price is unknown; ``unused_fraction`` is None when full.
    """
    if today < purchase_date:
        raise ValueError("today is before the purchase date")
    days_since = (today - purchase_date).days
    if days_since <= FULL_REFUND_WINDOW_DAYS and claims_filed == 0:
        return RefundQuote(True, days_since, None, None)

    end = contract_end_date(purchase_date, term_months)
    total_days = (end - purchase_date).days
    unused_days = max(0, (end - today).days)
    fraction = Decimal(unused_days) / Decimal(total_days)
    amount = None
    if price is not None:
        amount = (price * unused_days / total_days).quantize(_CENT, ROUND_HALF_UP)
    return RefundQuote(False, days_since, amount, fraction.quantize(Decimal("0.0001")))


def transfer_deadline(sale_date: date) -> date:
    """Last day to notify Ally of an ownership transfer (30 calendar days)."""
    return sale_date + timedelta(days=TRANSFER_NOTICE_DAYS)


@lru_cache(maxsize=64)
def _us_holidays(year: int) -> frozenset[date]:
    # Federal holidays including observed weekdays (July 4 on a Saturday → Friday 3rd).
    return frozenset(holidays.country_holidays("US", years=year))


def is_business_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _us_holidays(day.year)


def add_business_days(start: date, n: int) -> date:
    """The n-th US business day after ``start`` (``start`` itself never counts)."""
    if n < 0:
        raise ValueError("n must be >= 0")
    day = start
    while n:
        day += timedelta(days=1)
        if is_business_day(day):
            n -= 1
    return day


def first_business_day(day: date) -> date:
    """``day`` if it is a US business day, else the next one."""
    while not is_business_day(day):
        day += timedelta(days=1)
    return day


def gap_review_due(received: date) -> date:
    """Date by which GAP documents received (during business hours) on ``received`` are reviewed.

    One rule with the review clock (bot/domain/review_clock.py, which also
    applies the end of the business day): a receipt on a weekend or federal
    holiday counts from the next business day; that day does not count, and
    the review is due on the 2nd US business day after it (observed holidays
    skipped). Received Friday → due Tuesday; Saturday → counts from Monday →
    Wednesday; Wednesday before Thanksgiving → the following Monday.
    """
    return add_business_days(first_business_day(received), GAP_REVIEW_BUSINESS_DAYS)
