"""Timezone and time input, and local moments that neither skip nor double across DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.services import timezones
from bot.services.errors import InvalidInput
from bot.services.timezones import parse_timezone


def test_parse_timezone_and_suggestions() -> None:
    assert timezones.parse_timezone("europe/berlin").key == "Europe/Berlin"
    assert timezones.parse_timezone(" America/New York ").key == "America/New_York"
    assert timezones.parse_timezone("UTC").key == "UTC"
    for wrong, suggested in (
        ("Berlin", "Europe/Berlin"),
        ("auckland", "Pacific/Auckland"),
        ("Europ/Berln", "Europe/Berlin"),
        ("PST", "America/Los_Angeles"),
        ("EST", "America/New_York"),
        ("CET", "Europe/Berlin"),
    ):
        with pytest.raises(InvalidInput, match=suggested) as caught:
            timezones.parse_timezone(wrong)
        offered = str(caught.value).split("Did you mean ")[1].rstrip("?").split(", ")
        assert 1 <= len(offered) <= 3
    with pytest.raises(InvalidInput, match="abbreviation"):
        timezones.parse_timezone("pdt")
    with pytest.raises(InvalidInput, match="IANA name"):
        timezones.parse_timezone("xyzzy")
    with pytest.raises(InvalidInput, match="IANA name"):
        timezones.parse_timezone("  ")


def test_autocomplete() -> None:
    common = timezones.autocomplete("")
    assert common[0] == "UTC"
    assert "America/Los_Angeles" in common
    assert len(common) <= 25
    assert timezones.autocomplete("ber")[0] == "Europe/Berlin"  # the city part
    assert "America/New_York" in timezones.autocomplete("america/new")
    assert "America/Argentina/Buenos_Aires" in timezones.autocomplete("Buenos")
    assert timezones.autocomplete("new york") == ["America/New_York"]
    assert len(timezones.autocomplete("america", limit=5)) == 5
    assert timezones.autocomplete("zzzz") == []
    assert "PST8PDT" not in timezones.autocomplete("p", limit=1000)


def test_parse_time() -> None:
    assert timezones.parse_time("09:00") == time(9, 0)
    assert timezones.parse_time("7:30") == time(7, 30)
    assert timezones.parse_time(" 23:59 ") == time(23, 59)
    for bad, message in (
        ("25:00", "hours run 00-23"),
        ("12:60", "minutes 00-59"),
        ("7pm", r"7pm is 19:00"),
        ("12am", r"12am is 00:00"),
        ("", "HH:MM"),
        ("noon", "not a time"),
        ("0930", "not a time"),
    ):
        with pytest.raises(InvalidInput, match=message):
            timezones.parse_time(bad)


def test_local_moments_across_dst() -> None:
    berlin, new_york = ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York")
    spring = date(2026, 3, 29)
    assert timezones.local_moment(spring, time(2, 30), berlin) == datetime(
        2026, 3, 29, 1, 0, tzinfo=UTC
    )  # 02:30 does not exist: 03:00 CEST
    assert timezones.local_moment(spring, time(3, 0), berlin) == datetime(
        2026, 3, 29, 1, 0, tzinfo=UTC
    )
    assert timezones.local_moment(date(2026, 11, 1), time(1, 30), new_york) == datetime(
        2026, 11, 1, 5, 30, tzinfo=UTC
    )  # 01:30 happens twice: the first (EDT)
    now = datetime(2026, 3, 29, 7, 30, tzinfo=UTC)
    assert timezones.latest_weekly(now, berlin, 6, time(9, 0)) == (
        datetime(2026, 3, 29, 7, 0, tzinfo=UTC),
        spring,
    )
    assert timezones.latest_weekly(now, berlin, 6, time(10, 0))[1] == date(2026, 3, 22)
    moments = timezones.Moments(now)  # the per-tick cache agrees, and survives bad rows
    assert moments.latest_weekly("Europe/Berlin", 6, "09:00") == (
        datetime(2026, 3, 29, 7, 0, tzinfo=UTC),
        spring,
    )
    assert moments.moment(spring, "02:30", "Europe/Berlin") == datetime(
        2026, 3, 29, 1, 0, tzinfo=UTC
    )
    assert moments.latest_weekly("Mars/Olympus_Mons", 6, "09:00") is None
    assert moments.latest_weekly("Europe/Berlin", 6, "9am") is None


@pytest.mark.parametrize(
    ("text", "means", "suggests"),
    [
        ("Etc/GMT+5", "UTC-5", "America/New_York"),
        ("etc/gmt-9", "UTC+9", "Asia/Tokyo"),
        ("GMT+1", "UTC-1", "Atlantic/Azores"),
    ],
)
def test_etc_gmt_names_are_explained_with_places(text: str, means: str, suggests: str) -> None:
    with pytest.raises(InvalidInput) as info:
        parse_timezone(text)
    assert f"means {means}" in str(info.value)
    assert "invert the sign" in str(info.value)
    assert suggests in str(info.value)


@pytest.mark.parametrize(
    ("text", "etc", "place"),
    [("UTC+5", "Etc/GMT-5", "Asia/Karachi"), ("utc -8", "Etc/GMT+8", "America/Los_Angeles")],
)
def test_offsets_suggest_the_etc_name_and_places_at_that_offset(
    text: str, etc: str, place: str
) -> None:
    with pytest.raises(InvalidInput) as info:
        parse_timezone(text)
    message = str(info.value)
    assert "is an offset, not a place" in message
    assert etc in message
    assert place in message
    assert "Did you mean UTC" not in message


def test_half_hour_offsets_suggest_places_only() -> None:
    with pytest.raises(InvalidInput, match=r"Asia/Kolkata") as info:
        parse_timezone("UTC+5:30")
    assert "Etc/GMT" not in str(info.value)  # no Etc name has half hours
