"""The review clock: 2 business days after receipt, counted in the business time zone."""

from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.domain.policy import GAP_REVIEW_BUSINESS_DAYS, gap_review_due
from bot.domain.review_clock import receipt_day, review_due

NY = ZoneInfo("America/New_York")
FIVE_PM = time(17, 0)


def at(text: str, zone: ZoneInfo = NY) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=zone)


@pytest.mark.parametrize(
    "received, due",
    [
        ("2026-11-23T10:00", date(2026, 11, 25)),  # Monday morning → Wednesday
        ("2026-11-23T16:59", date(2026, 11, 25)),  # just before the cut-off
        ("2026-11-23T17:00", date(2026, 11, 27)),  # at 5 pm: counts from Tue → Wed, (Thanksgiving), Fri
        ("2026-11-20T18:30", date(2026, 11, 25)),  # Friday evening counts from Monday → Wednesday
        ("2026-11-21T11:00", date(2026, 11, 25)),  # Saturday counts from Monday
        ("2026-11-22T23:59", date(2026, 11, 25)),  # Sunday night too
        ("2026-11-26T09:00", date(2026, 12, 1)),  # Thanksgiving counts from Friday 27 → Tue 1 Dec
        ("2026-07-03T10:00", date(2026, 7, 8)),  # Fri 3 July (July 4th observed) counts from Mon 6
        (
            "2026-12-24T17:30",
            date(2026, 12, 30),
        ),  # Christmas Eve after hours: Christmas → counts Mon 28 → Wed 30
        ("2026-11-23T03:00", date(2026, 11, 25)),  # before opening on a business day: that day counts
    ],
)
def test_review_due_in_new_york(received, due):
    assert review_due(at(received), NY, FIVE_PM) == due


def test_the_instant_decides_not_the_senders_zone():
    # 4:30 pm in Los Angeles is 7:30 pm in New York: after the business day there.
    la = at("2026-11-23T16:30", ZoneInfo("America/Los_Angeles"))
    assert receipt_day(la, NY, FIVE_PM) == date(2026, 11, 24)
    assert review_due(la, NY, FIVE_PM) == date(2026, 11, 27)  # after Tue 24: Wed 25, (Thanksgiving), Fri 27


@pytest.mark.parametrize(
    "utc, due",
    [
        # 21:30 UTC is 4:30 pm EST in winter (before the cut-off) but 5:30 pm EDT in summer.
        ("2026-03-06T21:30", date(2026, 3, 10)),  # Fri 6 March, EST: counts Friday → Tue 10
        ("2026-03-09T21:30", date(2026, 3, 12)),  # Mon 9 March, EDT (DST began Sun 8): counts Tue → Thu 12
        ("2026-11-02T21:30", date(2026, 11, 4)),  # Mon 2 Nov, EST again (DST ended Sun 1): counts Monday
        ("2026-10-30T21:30", date(2026, 11, 4)),  # Fri 30 Oct, EDT: 5:30 pm → counts Monday → Wed 4
    ],
)
def test_daylight_saving_time_moves_the_cut_off_in_utc(utc, due):
    assert review_due(datetime.fromisoformat(utc).replace(tzinfo=timezone.utc), NY, FIVE_PM) == due


def test_another_business_zone_and_cut_off():
    chicago = ZoneInfo("America/Chicago")
    moment = at("2026-11-23T17:30")  # 4:30 pm in Chicago
    assert review_due(moment, chicago, FIVE_PM) == date(2026, 11, 25)
    assert review_due(moment, chicago, time(16, 0)) == date(2026, 11, 27)


def test_naive_times_are_refused():
    with pytest.raises(ValueError):
        review_due(datetime(2026, 11, 23, 10), NY, FIVE_PM)


def test_one_rule_with_the_claims_review_date():
    # The date-only rule (a claim's opening day) is the clock's rule for a receipt within business hours.
    for day in range(1, 31):
        received = date(2026, 11, day)
        assert review_due(datetime.combine(received, time(10), NY), NY, FIVE_PM) == gap_review_due(received)
    assert GAP_REVIEW_BUSINESS_DAYS == 2
