"""Timezones and local times from member input, and local moments that survive DST.

Members name places, not offsets: IANA names such as Europe/Berlin, matched without regard
to case. Abbreviations such as PST are refused: they name an offset that daylight saving
changes twice a year, so a reminder set with one would drift by an hour.
"""

from __future__ import annotations

import difflib
import logging
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.services.errors import InvalidInput, clip

log = logging.getLogger(__name__)
T = TypeVar("T")

# Shown first by autocomplete: one well-known place per common offset, west to east.
COMMON = (
    "UTC",
    "America/Los_Angeles",
    "America/Denver",
    "America/Chicago",
    "America/New_York",
    "America/Sao_Paulo",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Paris",
    "Europe/Madrid",
    "Africa/Lagos",
    "Africa/Cairo",
    "Europe/Istanbul",
    "Asia/Dubai",
    "Asia/Karachi",
    "Asia/Kolkata",
    "Asia/Dhaka",
    "Asia/Jakarta",
    "Asia/Singapore",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Asia/Seoul",
    "Australia/Sydney",
    "Pacific/Auckland",
    "America/Toronto",
)
# Abbreviations (and the legacy zone files named like them) → places to use instead.
ABBREVIATIONS = {
    "PST": ("America/Los_Angeles", "America/Vancouver", "America/Tijuana"),
    "MST": ("America/Denver", "America/Phoenix", "America/Edmonton"),
    "CST": ("America/Chicago", "America/Mexico_City", "Asia/Shanghai"),
    "EST": ("America/New_York", "America/Toronto", "America/Detroit"),
    "AKST": ("America/Anchorage",),
    "HST": ("Pacific/Honolulu",),
    "GMT": ("Europe/London", "Europe/Dublin", "UTC"),
    "BST": ("Europe/London",),
    "WET": ("Europe/Lisbon", "Atlantic/Canary"),
    "CET": ("Europe/Berlin", "Europe/Paris", "Europe/Madrid"),
    "MET": ("Europe/Berlin", "Europe/Paris", "Europe/Madrid"),
    "EET": ("Europe/Athens", "Europe/Helsinki", "Africa/Cairo"),
    "MSK": ("Europe/Moscow",),
    "IST": ("Asia/Kolkata", "Europe/Dublin", "Asia/Jerusalem"),
    "PKT": ("Asia/Karachi",),
    "SGT": ("Asia/Singapore",),
    "HKT": ("Asia/Hong_Kong",),
    "JST": ("Asia/Tokyo",),
    "KST": ("Asia/Seoul",),
    "AWST": ("Australia/Perth",),
    "ACST": ("Australia/Adelaide", "Australia/Darwin"),
    "AEST": ("Australia/Sydney", "Australia/Melbourne", "Australia/Brisbane"),
    "NZST": ("Pacific/Auckland",),
}
for _std, _dst in (("PST", "PDT"), ("MST", "MDT"), ("CST", "CDT"), ("EST", "EDT")):
    ABBREVIATIONS[_dst] = ABBREVIATIONS[_std]
    ABBREVIATIONS[_std[0] + "T"] = ABBREVIATIONS[_std]
for _std, _dst in (("CET", "CEST"), ("EET", "EEST"), ("WET", "WEST"), ("AKST", "AKDT")):
    ABBREVIATIONS[_dst] = ABBREVIATIONS[_std]
for _std, _dst in (("AEST", "AEDT"), ("ACST", "ACDT"), ("NZST", "NZDT"), ("HST", "HDT")):
    ABBREVIATIONS[_dst] = ABBREVIATIONS[_std]
for _legacy, _std in (("EST5EDT", "EST"), ("CST6CDT", "CST"), ("MST7MDT", "MST")):
    ABBREVIATIONS[_legacy] = ABBREVIATIONS[_std]
ABBREVIATIONS["PST8PDT"] = ABBREVIATIONS["PST"]

_NOT_PLACES = {"localtime", "factory"}
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
_AMPM = re.compile(r"^(\d{1,2})(?::(\d{2}))?\s*([ap])\.?m\.?$", re.I)
EXAMPLE = "an IANA name like Europe/Berlin or America/New_York"


def _norm(text: str) -> str:
    return "_".join(text.strip().casefold().split())


@cache
def _names() -> dict[str, str]:
    """Every usable zone: casefolded name → canonical name."""
    return {
        name.casefold(): name
        for name in available_timezones()
        if name.casefold() not in _NOT_PLACES and name.upper() not in ABBREVIATIONS
    }


@cache
def _listed() -> tuple[str, ...]:
    """Names worth offering: Area/City places and UTC, not legacy aliases."""
    skip = ("etc/", "us/", "systemv/", "canada/", "brazil/", "chile/", "mexico/")
    return tuple(
        sorted(
            name
            for key, name in _names().items()
            if key == "utc" or ("/" in key and not key.startswith(skip))
        )
    )


@cache
def _cities() -> dict[str, list[str]]:
    """Casefolded city part (the last segment) → the listed zones that end with it."""
    found: dict[str, list[str]] = {}
    for name in _listed():
        found.setdefault(name.rsplit("/", 1)[-1].casefold(), []).append(name)
    return found


def suggestions(text: str, limit: int = 3) -> list[str]:
    """Up to `limit` zone names close to `text`: by abbreviation, city part, then full name."""
    key = _norm(text)
    found: list[str] = list(ABBREVIATIONS.get(text.strip().upper(), ()))
    city = key.rsplit("/", 1)[-1]
    found += _cities().get(city, [])
    for close in difflib.get_close_matches(city, list(_cities()), n=limit, cutoff=0.75):
        found += _cities()[close]
    lowered = {name.casefold(): name for name in _listed()}
    found += [lowered[m] for m in difflib.get_close_matches(key, list(lowered), n=limit)]
    return list(dict.fromkeys(found))[:limit]


_ETC = re.compile(r"^(?:etc/)?gmt([+-])(\d{1,2})$", re.I)
_OFFSET = re.compile(r"^(?:utc|gmt)\s*([+-−])\s*(\d{1,2})(?::?(\d{2}))?$", re.I)
_REFERENCE = datetime(2026, 1, 15, 12, tzinfo=UTC)  # offsets for suggestions: a fixed day


def places_at(offset: timedelta, limit: int = 3) -> list[str]:
    """Places whose clocks are `offset` from UTC (on a fixed January day), common first."""
    places = [n for n in _listed() if not n.startswith(("Antarctica/", "Etc/")) and n != "UTC"]
    listed = [*[n for n in COMMON if n in places], *places]
    return [
        n for n in dict.fromkeys(listed) if _REFERENCE.astimezone(zone(n)).utcoffset() == offset
    ][:limit]


def _fixed_offset(text: str) -> InvalidInput | None:
    """The refusal for a fixed-offset name (UTC+5, Etc/GMT+5), explaining what it means."""
    etc = _ETC.match(text)
    if etc is not None:
        hours = int(etc[2]) * (-1 if etc[1] == "+" else 1)  # the sign is inverted
        places = ", ".join(places_at(timedelta(hours=hours))) or EXAMPLE
        return InvalidInput(
            f"'{text}' means UTC{hours:+d} (these names invert the sign) with no daylight "
            f"saving. Name a place instead, so reminders follow its clocks: {places}."
        )
    plain = _OFFSET.match(text)
    if plain is not None:
        sign = -1 if plain[1] in "-−" else 1
        hours, minutes = int(plain[2]), int(plain[3] or 0)
        offset = sign * timedelta(hours=hours, minutes=minutes)
        places = ", ".join(places_at(offset)) or EXAMPLE
        etc_hint = f" or Etc/GMT{-sign * hours:+d} (no daylight saving)" if not minutes else ""
        return InvalidInput(
            f"'{text}' is an offset, not a place, and daylight saving moves offsets. "
            f"Use a place at {'+' if sign > 0 else '-'}{hours}"
            f"{f':{minutes:02d}' if minutes else ''}: {places}{etc_hint}."
        )
    return None


def parse_timezone(name: str) -> ZoneInfo:
    """The zone an IANA name (any case) names; InvalidInput with suggestions otherwise."""
    text = name.strip()
    if not text:
        raise InvalidInput(f"Give your timezone as {EXAMPLE}.")
    fixed = _fixed_offset(text[:16])
    if fixed is not None and len(text) <= 16:
        raise fixed
    canonical = _names().get(_norm(text))
    if canonical is not None:
        try:
            return ZoneInfo(canonical)
        except (ZoneInfoNotFoundError, ValueError):  # pragma: no cover - broken tz database
            pass
    close = suggestions(text[:64])
    if text.upper() in ABBREVIATIONS:
        reason = f"'{text}' is an abbreviation, and daylight saving changes what it means"
    else:
        reason = f"'{clip(text)}' is not a timezone I know"
    hint = f"Did you mean {', '.join(close)}?" if close else f"Use {EXAMPLE}."
    raise InvalidInput(f"{reason}. {hint}")


def autocomplete(prefix: str, limit: int = 25) -> list[str]:
    """Zone names whose full name or city part starts with `prefix` (any case)."""
    key = _norm(prefix)
    if not key:
        return list(COMMON[:limit])
    full = [n for n in _listed() if n.casefold().startswith(key)]
    city = [
        n for n in _listed() if any(part.casefold().startswith(key) for part in n.split("/")[1:])
    ]
    common = [n for n in COMMON if n in full or n in city]
    return list(dict.fromkeys(common + full + city))[:limit]


def parse_time(text: str) -> time:
    """A 24-hour "HH:MM" (or "H:MM") time of day."""
    raw = text.strip()
    if not raw:
        raise InvalidInput("Give a time as 24-hour HH:MM, e.g. 09:00 or 18:30.")
    match = _TIME.match(raw)
    if match is None:
        ampm = _AMPM.match(raw)
        if ampm is not None and 1 <= int(ampm[1]) <= 12:
            hour = int(ampm[1]) % 12 + (12 if ampm[3].lower() == "p" else 0)
            minute = int(ampm[2] or 0)
            hint = f" ({raw} is {hour:02d}:{minute:02d})" if minute < 60 else ""
            raise InvalidInput(f"Use the 24-hour clock{hint}: HH:MM, e.g. 09:00 or 18:30.")
        raise InvalidInput(f"'{clip(raw)}' is not a time: use 24-hour HH:MM, e.g. 09:00 or 18:30.")
    hour, minute = int(match[1]), int(match[2])
    if hour > 23 or minute > 59:
        raise InvalidInput(f"'{raw}' is not a time of day: hours run 00-23 and minutes 00-59.")
    return time(hour, minute)


def format_time(at: time) -> str:
    return f"{at.hour:02d}:{at.minute:02d}"


def local_moment(day: date, at: time, tz: ZoneInfo) -> datetime:
    """`day` at `at` in `tz`, as an aware UTC datetime.

    A wall time skipped by a DST change (02:30 on a spring-forward day) moves forward to the
    first minute that exists (03:00); a repeated one (01:30 on a fall-back day) is its first
    occurrence. So a daily or weekly reminder is never skipped and never doubled.
    """
    naive = datetime.combine(day, at.replace(tzinfo=None, fold=0))
    moment = naive.replace(tzinfo=tz).astimezone(UTC)
    if moment.astimezone(tz).replace(tzinfo=None) == naive:  # it exists
        return moment
    # In a gap: the transition lies between the two readings of the wall time; find it.
    lo = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
    hi = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    lo, hi = min(lo, hi), max(lo, hi)
    before = lo.astimezone(tz).utcoffset()
    while hi - lo > timedelta(seconds=1):
        mid = lo + (hi - lo) / 2
        if mid.astimezone(tz).utcoffset() == before:
            lo = mid
        else:
            hi = mid
    hi = hi.replace(microsecond=0)
    if hi.second:
        hi += timedelta(seconds=60 - hi.second)
    return hi


def moment_note(at: str, moment: datetime, tz_name: str) -> str:
    """A note for a reply when `at` ("HH:MM") is not an ordinary wall time on `moment`'s
    day: skipped by a DST change (the bot uses the first minute after the gap) or repeated
    (the bot uses the first of the two). Empty on ordinary days."""
    tz = zone(tz_name)
    local = moment.astimezone(tz)
    if f"{local:%H:%M}" != at:
        return (
            f" ({at} does not exist on {local:%a %d %b} in {tz_name}: the clocks go forward, "
            f"so it comes at {local:%H:%M})"
        )
    naive = local.replace(tzinfo=None)
    first = naive.replace(tzinfo=tz, fold=0).utcoffset()
    if first != naive.replace(tzinfo=tz, fold=1).utcoffset():
        return (
            f" ({at} happens twice on {local:%a %d %b} in {tz_name}: the clocks go back, "
            f"and it comes the first time, at UTC{_offset(first)})"
        )
    return ""


def _offset(delta: timedelta | None) -> str:
    minutes = int((delta or timedelta()).total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def latest_weekly(now: datetime, tz: ZoneInfo, weekday: int, at: time) -> tuple[datetime, date]:
    """The last moment at or before `now` that falls on `weekday` at `at` in `tz`.

    Returns the moment (UTC) and its local date.
    """
    today = now.astimezone(tz).date()
    day = today - timedelta(days=(today.weekday() - weekday) % 7)
    moment = local_moment(day, at, tz)
    if moment > now:
        day -= timedelta(days=7)
        moment = local_moment(day, at, tz)
    return moment, day


class Moments:
    """Local moments for one tick, cached: many rows share a zone, weekday and time.

    Rows with a zone gone from the tz database or a garbled time give None (and a warning)
    instead of stopping the tick for everyone else.
    """

    def __init__(self, now: datetime) -> None:
        self.now = now
        self._cache: dict[tuple[object, ...], object] = {}

    def _get(self, key: tuple[object, ...], compute: Callable[[], T]) -> T | None:
        if key not in self._cache:
            try:
                self._cache[key] = compute()
            except (ValueError, KeyError, OSError, InvalidInput):
                log.warning("bad timezone or time %r skipped", key[1:], exc_info=True)
                self._cache[key] = None
        return self._cache[key]  # type: ignore[return-value]

    def today(self, tz: str) -> date | None:
        """The local date in `tz`."""
        return self._get(("today", tz), lambda: self.now.astimezone(zone(tz)).date())

    def latest_weekly(self, tz: str, weekday: int, at: str) -> tuple[datetime, date] | None:
        """`latest_weekly` for a zone name and an "HH:MM" text."""
        today = self.today(tz)
        if today is None:
            return None
        day = today - timedelta(days=(today.weekday() - weekday) % 7)
        moment = self.moment(day, at, tz)
        if moment is not None and moment > self.now:
            day -= timedelta(days=7)
            moment = self.moment(day, at, tz)
        return None if moment is None else (moment, day)

    def moment(self, day: date, at: str, tz: str) -> datetime | None:
        """`local_moment` for a zone name and an "HH:MM" text.

        On a day without a DST change (nearly all), plain arithmetic with the day's offset.
        """
        offset = self._get(("offset", tz, day), lambda: _steady_offset(day, zone(tz)))
        if offset is not None:
            clock = self._get(("time", at), lambda: clock_time(at))
            if clock is None:
                return None
            return (datetime.combine(day, clock) - offset).replace(tzinfo=UTC)
        return self._get(("at", tz, day, at), lambda: local_moment(day, clock_time(at), zone(tz)))


def _steady_offset(day: date, tz: ZoneInfo) -> timedelta | None:
    """The UTC offset of `day` in `tz` when it holds all day long, else None."""
    start = datetime.combine(day, time())
    ends = (start, start + timedelta(days=1))
    offsets = {end.replace(tzinfo=tz, fold=fold).utcoffset() for end in ends for fold in (0, 1)}
    return offsets.pop() if len(offsets) == 1 else None


@cache
def zone(name: str) -> ZoneInfo:
    """A stored zone name's ZoneInfo, kept (zoneinfo's own cache holds only a few)."""
    return ZoneInfo(name)


@cache
def clock_time(text: str) -> time:
    """A stored "HH:MM" as a time (validated on the way in by `parse_time`)."""
    return parse_time(text)
