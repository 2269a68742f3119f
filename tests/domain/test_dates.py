from datetime import date

import pytest

from bot.domain.dates import parse_natural_date

TODAY = date(2026, 11, 24)  # a Tuesday


@pytest.mark.parametrize(
    "text, expected",
    [
        ("November 10", date(2026, 11, 10)),
        ("Nov 10th", date(2026, 11, 10)),
        ("on Nov. 10", date(2026, 11, 10)),
        ("11/10", date(2026, 11, 10)),
        ("11/10/2026", date(2026, 11, 10)),
        ("11/10/26", date(2026, 11, 10)),
        ("2026-11-10", date(2026, 11, 10)),
        ("Jan 1, 2025", date(2025, 1, 1)),
        ("today", TODAY),
        ("November 24", TODAY),
        ("yesterday", date(2026, 11, 23)),
        ("3 days ago", date(2026, 11, 21)),
        ("2 weeks ago", date(2026, 11, 10)),
        ("last Friday", date(2026, 11, 20)),
        ("this past wednesday", date(2026, 11, 18)),
        ("Friday", date(2026, 11, 20)),
        ("last tuesday", date(2026, 11, 17)),  # today is Tuesday: a week ago
        ("November 25", date(2025, 11, 25)),  # no year: the most recent past one
        ("December 1", date(2025, 12, 1)),
    ],
)
def test_parses_past_dates(text, expected):
    assert parse_natural_date(text, TODAY) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "no idea",
        "5",
        "2026",
        "November",  # no day
        "last week",  # no single day
        "11/25/2026",  # tomorrow
        "2027-01-05",
        "11/23/2024",  # more than two years back
        "Feb 29",  # latest one is 2024-02-29: too old
    ],
)
def test_rejects_unclear_future_or_too_old(text):
    assert parse_natural_date(text, TODAY) is None


def test_two_years_back_is_the_limit():
    assert parse_natural_date("11/24/2024", TODAY) == date(2024, 11, 24)


def test_missing_year_rolls_back_over_new_year():
    assert parse_natural_date("December 30", date(2027, 1, 5)) == date(2026, 12, 30)
    assert parse_natural_date("last Friday", date(2027, 1, 2)) == date(2027, 1, 1)


def test_result_depends_only_on_today():
    assert parse_natural_date("yesterday", date(2025, 3, 1)) == date(2025, 2, 28)
    assert parse_natural_date("yesterday", date(2024, 3, 1)) == date(2024, 2, 29)
