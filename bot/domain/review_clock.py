"""The document review clock: when a document received at a given instant is reviewed.

The page: "required documents are reviewed within 2 business days of receipt".
Business days are counted in ONE business time zone (a setting; America/New_York
by default) with U.S. federal holidays excluded (bot/domain/policy.py owns the
business-day rule and the number 2). A document received at or after the end of
the business day, or on a weekend or holiday, counts as received on the next
business day; the day of receipt itself never counts. docs/claims.md explains why.

Plain functions, no I/O: the caller passes the instant, the zone and the cut-off.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.domain.policy import gap_review_due


def receipt_day(received_at: datetime, zone: ZoneInfo, day_end: time) -> date:
    """The calendar day (in ``zone``) a receipt counts from, before weekends and holidays.

    ``received_at`` must be timezone-aware: an instant, not a wall-clock reading.
    """
    if received_at.tzinfo is None or received_at.utcoffset() is None:
        raise ValueError("received_at must be timezone-aware")
    local = received_at.astimezone(zone)
    return local.date() + timedelta(days=1) if local.time() >= day_end else local.date()


def review_due(received_at: datetime, zone: ZoneInfo, day_end: time) -> date:
    """The business date by which a document received at ``received_at`` is reviewed."""
    return gap_review_due(receipt_day(received_at, zone, day_end))
