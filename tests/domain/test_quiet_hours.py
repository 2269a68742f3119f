"""Quiet hours: no texts 9 pm – 9 am in the customer's time zone (from the contract's ZIP)."""

from datetime import datetime, time, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.domain.quiet_hours import in_quiet_hours, next_send_time, zip_time_zone

WINDOW = (time(21, 0), time(9, 0))
NY = ZoneInfo("America/New_York")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


@pytest.mark.parametrize(
    "zip5, zone",
    [
        ("98101", "America/Los_Angeles"),
        ("30303", "America/New_York"),
        ("66044", "America/Chicago"),
        ("96813", "Pacific/Honolulu"),
    ],
)
def test_zip_time_zone(zip5, zone):
    assert zip_time_zone(zip5, NY) == ZoneInfo(zone)


@pytest.mark.parametrize("zip5", ["00000", "", "abcde"])
def test_unknown_zip_falls_back(zip5):
    assert zip_time_zone(zip5, NY) == NY


@pytest.mark.parametrize(
    "local, quiet",
    [
        (time(20, 59), False),
        (time(21, 0), True),
        (time(2, 0), True),
        (time(8, 59), True),
        (time(9, 0), False),
    ],
)
def test_window_spans_midnight(local, quiet):
    assert in_quiet_hours(local, WINDOW) is quiet


def test_daytime_sends_now():
    now = utc("2026-11-23T18:00")  # 10 am in Seattle
    assert next_send_time(now, ZoneInfo("America/Los_Angeles"), WINDOW) == now


def test_evening_is_held_until_nine_next_morning_local():
    now = utc("2026-11-24T05:30")  # 9:30 pm Monday in Seattle, 12:30 am in New York
    held = next_send_time(now, ZoneInfo("America/Los_Angeles"), WINDOW)
    assert held == utc("2026-11-24T17:00")  # 9 am Tuesday in Seattle


def test_early_morning_is_held_until_nine_the_same_day():
    now = utc("2026-11-24T10:00")  # 5 am in New York
    assert next_send_time(now, NY, WINDOW) == utc("2026-11-24T14:00")


def test_quiet_hours_across_a_dst_change():
    now = utc("2026-03-08T05:00")  # 0:00 EST Sunday; DST starts at 2 am
    assert next_send_time(now, NY, WINDOW) == utc("2026-03-08T13:00")  # 9 am EDT


def test_no_window_means_no_quiet_hours():
    now = utc("2026-11-24T05:30")
    assert next_send_time(now, NY, None) == now
