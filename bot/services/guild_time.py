"""A guild's own timezone: the calendar of its leaderboard weeks and months, its running
totals, the Monday summary and its daily drops.

`/daily setup` and `/studyadmin timezone` set it (one timezone per guild: setting it moves
the daily drops too); a guild that set none keeps UTC. Changing it rebuilds the guild's
week and month totals from its answers in the new calendar, so a board never mixes two
calendars; the all-time totals do not depend on it.

Recording an answer reads the timezone with a shared lock on the guild's row (PostgreSQL's
FOR KEY SHARE), and a change takes the row's exclusive lock before it rebuilds: an answer
recorded while the totals are rebuilt waits for the rebuild and is counted in the new
calendar, never lost between the rebuild's read and its write. SQLite has one writer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, delete, insert, select
from sqlalchemy.orm import Session

from bot.models import Answer, Guild, GuildSettings, LeaderboardTotal
from bot.services.periods import ALL, periods
from bot.services.sql import Prepared
from bot.services.timezones import parse_timezone, zone

DEFAULT = "UTC"
BATCH = 5_000

_NAME = select(Guild.timezone).where(Guild.guild_id == bindparam("guild"))
_ZONE = Prepared(_NAME)
_LOCKED_ZONE = Prepared(_NAME.with_for_update(read=True, key_share=True))


def zone_of(session: Session, guild_id: int, *, lock: bool = False) -> ZoneInfo:
    """The guild's timezone (UTC when it set none); with `lock`, its row share-locked until
    the transaction ends (to write totals in its calendar)."""
    name = (_LOCKED_ZONE if lock else _ZONE).scalar(session, {"guild": guild_id})
    return _zone_or_utc(name)


def _zone_or_utc(name: str | None) -> ZoneInfo:
    try:
        return zone(name or DEFAULT)
    except (KeyError, ValueError, OSError):  # a zone gone from the tz database: UTC
        return zone(DEFAULT)


def name_of(session: Session, guild_id: int) -> str:
    """The guild's timezone name, for replies ("UTC" when it set none)."""
    return zone_of(session, guild_id).key


@dataclass(frozen=True)
class Changed:
    timezone: str
    previous: str
    rebuilt: int  # week and month total rows written in the new calendar (0: unchanged)
    daily: GuildSettings | None  # the daily drops, now in this timezone too


def set_timezone(session: Session, guild_id: int, timezone: str, now: datetime) -> Changed:
    """Make `timezone` the guild's: its weeks, months and daily drops follow it.

    The daily drops keep their time of day and their day count: no local day gets two
    drops or none (bot.services.daily works that out from the drops already posted).
    """
    tz = parse_timezone(timezone)
    row = session.get(Guild, guild_id, with_for_update=True)
    if row is None:
        row = Guild(guild_id=guild_id, updated_at=now)
        session.add(row)
    previous = _zone_or_utc(row.timezone).key
    row.timezone, row.updated_at = tz.key, now
    settings = session.get(GuildSettings, guild_id)
    if settings is not None:
        settings.timezone = tz.key
    rebuilt = rebuild_totals(session, guild_id, tz) if tz.key != previous else 0
    return Changed(tz.key, previous, rebuilt, settings)


def rebuild_totals(session: Session, guild_id: int, tz: ZoneInfo) -> int:
    """Rewrite the guild's week and month totals from its answers in `tz`'s calendar;
    returns the rows written. The all-time rows stay as they are."""
    totals: dict[tuple[str, str, int], list[Any]] = {}
    query = (
        select(Answer.user_id, Answer.domain, Answer.answered_at, Answer.points, Answer.correct)
        .where(Answer.guild_id == guild_id)
        .execution_options(yield_per=BATCH)
    )
    for user_id, domain, at, points, correct in session.execute(query):
        _, week, month = periods(at, tz)
        for period in (week, month):
            for scope in ("*", domain):
                _add(totals, (period, scope, user_id), at, points, correct)
    session.execute(
        delete(LeaderboardTotal).where(
            LeaderboardTotal.guild_id == guild_id, LeaderboardTotal.period != ALL
        )
    )
    rows = [
        {
            "guild_id": guild_id,
            "period": period,
            "domain": scope,
            "user_id": user_id,
            "points": points,
            "answered": answered,
            "correct": correct,
            "reached_at": scored or first,
        }
        for (period, scope, user_id), (points, answered, correct, scored, first) in totals.items()
    ]
    for i in range(0, len(rows), BATCH):
        session.execute(insert(LeaderboardTotal), rows[i : i + BATCH])
    return len(rows)


def _add(
    totals: dict[tuple[str, str, int], list[Any]],
    key: tuple[str, str, int],
    at: datetime,
    points: int,
    correct: bool,
) -> None:
    """Count one answer as `answers.record_answer` does: reached_at is the last moment the
    points moved (the first answer's while there are none)."""
    row = totals.get(key)
    if row is None:
        row = totals[key] = [0, 0, 0, None, at]
    row[0] += points
    row[1] += 1
    row[2] += int(correct)
    if points and (row[3] is None or at > row[3]):
        row[3] = at
    if at < row[4]:
        row[4] = at
