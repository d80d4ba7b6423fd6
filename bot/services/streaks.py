"""The study streak: consecutive days, in the member's own timezone, on which they studied.

A day counts when the member answered at least one question that day (a quiz, a mock exam,
a review or a daily drop). Clearing the reviews due that day always counts, because
reviews are answers. The day is the local date in the timezone the member gave the study
plan (UTC when they never enrolled), taken when they answer: a day kept stays kept when
they later move zone, and daylight-saving changes move no answer to another day.

The streak is current while its last day is today or yesterday (today is not over yet).
The daily-drop streak (correct drops in a row, per guild) is another thing and lives in
bot/services/drop_answers.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Table, bindparam, select
from sqlalchemy.orm import Session

from bot.models import Enrolment, StudyDay
from bot.services.sql import Prepared, upsert

DAYS: Table = StudyDay.__table__  # type: ignore[assignment]
ENROLMENTS: Table = Enrolment.__table__  # type: ignore[assignment]
_ZONE = Prepared(select(ENROLMENTS.c.timezone).where(ENROLMENTS.c.user_id == bindparam("user")))
_COUNT_DAY = upsert(DAYS, ("user_id", "day"), counts=("answered",))
_DAYS = Prepared(
    select(DAYS.c.day).where(DAYS.c.user_id == bindparam("user")).order_by(DAYS.c.day.desc())
)


@lru_cache(maxsize=1024)
def zone(name: str | None) -> ZoneInfo:
    """The zone of a stored name; UTC for none or for a name the tz database lost."""
    try:
        return ZoneInfo(name) if name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def member_zone(session: Session, user_id: int) -> ZoneInfo:
    """The timezone the member gave the study plan, or UTC."""
    return zone(_ZONE.scalar(session, {"user": user_id}))


def local_day(when: datetime, tz: ZoneInfo) -> date:
    return when.astimezone(tz).date()


def record(session: Session, user_id: int, now: datetime) -> date:
    """Count an answer towards the member's local day; returns that day."""
    day = local_day(now, member_zone(session, user_id))
    _COUNT_DAY.run(session, {"user_id": user_id, "day": day, "answered": 1})
    return day


@dataclass(frozen=True)
class StudyStreak:
    current: int  # days in a row up to today (or yesterday: today is not over yet)
    best: int
    today: bool  # whether today already counts
    days: int  # days studied in all


def count(days: Sequence[date], today: date) -> StudyStreak:
    """The streak of a member's study days (any order, no repeats) on their local `today`."""
    ordered = sorted(set(days), reverse=True)
    best = run = 0
    previous: date | None = None
    for day in ordered:
        run = run + 1 if previous is not None and previous - day == timedelta(days=1) else 1
        best = max(best, run)
        previous = day
    current = 0
    if ordered and today - ordered[0] <= timedelta(days=1):
        expected = ordered[0]
        for day in ordered:
            if day != expected:
                break
            current += 1
            expected -= timedelta(days=1)
    today_counts = bool(ordered) and ordered[0] == today
    return StudyStreak(current, best, today_counts, len(ordered))


def streak(session: Session, user_id: int, now: datetime) -> StudyStreak:
    """The member's study streak at `now`, in their timezone."""
    tz = member_zone(session, user_id)
    days = [row[0] for row in _DAYS.rows(session, {"user": user_id})]
    return count(days, local_day(now, tz))
