"""Quiet hours for texts: nothing is sent between 9 pm and 9 am in the customer's time zone.

Plain functions, no I/O. The window comes from the SMS_QUIET_HOURS setting
(bot/settings.py); the customer's zone from the contract's ZIP (``zip_time_zone``).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import zipcodes


def zip_time_zone(zip5: str, fallback: ZoneInfo) -> ZoneInfo:
    """The IANA time zone of a U.S. ZIP code (zipcodes' data), else ``fallback``."""
    try:
        found = zipcodes.matching(zip5) if zip5 else []
    except (TypeError, ValueError):
        found = []
    name = found[0].get("timezone") if found else None
    if not name:
        return fallback
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return fallback


def in_quiet_hours(local: time, window: tuple[time, time]) -> bool:
    """True when the wall-clock time ``local`` falls in the window [start, end) (may span midnight)."""
    start, end = window
    if start <= end:
        return start <= local < end
    return local >= start or local < end


def next_send_time(now: datetime, zone: ZoneInfo, window: tuple[time, time] | None) -> datetime:
    """``now`` if a text may go now in ``zone``, else the end of the quiet hours (as an aware instant)."""
    if window is None:
        return now
    local = now.astimezone(zone)
    if not in_quiet_hours(local.time(), window):
        return now
    end = window[1]
    day = local.date() if local.time() < end else local.date() + timedelta(days=1)
    # fold=0 and zoneinfo resolve a wall time that DST skips or repeats to a real instant.
    return datetime.combine(day, end, tzinfo=zone)
