"""Natural-language past dates ("Nov 10th", "last Friday", "3 days ago").

Used for the vehicle sale date, which is always in the past: a date without a
year is its most recent occurrence on or before ``today``, and anything in the
future or more than two years back is rejected as a likely misunderstanding.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from dateparser.date import DateDataParser

from bot.domain.policy import add_months

MAX_YEARS_BACK = 2

_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# dateparser 1.1.8 returns None for "last friday"; weekdays are handled here.
_WEEKDAY_RE = re.compile(
    r"(?:(?:last|this past|past)\s+)?"
    r"(mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day|nesday|rsday|urday)?"
)
_FILLER_RE = re.compile(r"^(?:on|it was|was)\s+")
_AGO_RE = re.compile(r"\bago\b")


def parse_natural_date(text: str, today: date) -> date | None:
    """Parse a past date relative to ``today``; None if unclear, future or too old."""
    cleaned = _FILLER_RE.sub("", " ".join((text or "").lower().split())).strip(" .,!?")
    if not cleaned or cleaned.isdigit():  # "5" or "2026" alone is not a date
        return None
    parsed = _weekday(cleaned, today) or _dateparser(cleaned, today)
    if parsed is None:
        return None
    earliest = add_months(today, -12 * MAX_YEARS_BACK)
    return parsed if earliest <= parsed <= today else None


def _weekday(text: str, today: date) -> date | None:
    """ "Friday", "last Friday", "this past fri": the latest such day before today."""
    match = _WEEKDAY_RE.fullmatch(text)
    if not match:
        return None
    target = _WEEKDAYS.index(match.group(1)[:3])
    back = (today.weekday() - target) % 7 or 7
    return today - timedelta(days=back)


def _dateparser(text: str, today: date) -> date | None:
    parser = DateDataParser(
        languages=["en"],
        settings={
            # Noon keeps "yesterday"/"3 days ago" on the intended calendar day.
            "RELATIVE_BASE": datetime.combine(today, time(12)),
            "PREFER_DATES_FROM": "past",
            "DATE_ORDER": "MDY",
            "RETURN_AS_TIMEZONE_AWARE": False,
        },
    )
    data = parser.get_date_data(text)
    if data.date_obj is None:
        return None
    # A bare month ("November") or "last week" names no single day; "2 weeks ago" does.
    if data.period != "day" and not (data.period == "week" and _AGO_RE.search(text)):
        return None
    return data.date_obj.date()
