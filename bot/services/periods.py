"""Period keys for running totals.

A guild's weeks and months are those of its own timezone (`bot.services.guild_time`;
UTC when it set none): a week key is the ISO week of the local date ("2026-W48", Monday to
Sunday), a month key the local month ("2026-11"). A member's own totals (`progress_totals`)
use the UTC ISO week.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo

ALL = "all"


def iso_week(when: datetime | date, tz: tzinfo = UTC) -> str:
    """The ISO week key of a moment (its date in `tz`) or of a date."""
    day = when.astimezone(tz).date() if isinstance(when, datetime) else when
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def month(when: datetime, tz: tzinfo = UTC) -> str:
    return when.astimezone(tz).strftime("%Y-%m")


def periods(when: datetime, tz: tzinfo = UTC) -> tuple[str, str, str]:
    """The leaderboard periods an answer at `when` counts toward, in a guild keeping `tz`."""
    return ALL, iso_week(when, tz), month(when, tz)


def week_start(week: str) -> date:
    """Monday of an ISO week key like '2026-W48'."""
    year, _, number = week.partition("-W")
    return date.fromisocalendar(int(year), int(number), 1)


def shift_week(week: str, weeks: int) -> str:
    return iso_week(week_start(week) + timedelta(weeks=weeks))
