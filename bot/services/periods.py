"""Period keys for running totals. Weeks are ISO weeks in UTC (Monday 00:00 UTC)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

ALL = "all"


def iso_week(when: datetime | date) -> str:
    day = when.astimezone(UTC).date() if isinstance(when, datetime) else when
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def month(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m")


def periods(when: datetime) -> tuple[str, str, str]:
    """The leaderboard periods an answer at `when` counts toward."""
    return ALL, iso_week(when), month(when)


def week_start(week: str) -> date:
    """Monday of an ISO week key like '2026-W48'."""
    year, _, number = week.partition("-W")
    return date.fromisocalendar(int(year), int(number), 1)


def shift_week(week: str, weeks: int) -> str:
    return iso_week(week_start(week) + timedelta(weeks=weeks))
