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
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import (
    BigInteger,
    Integer,
    String,
    Table,
    bindparam,
    case,
    cast,
    delete,
    func,
    insert,
    literal,
    select,
)
from sqlalchemy.orm import Session

from bot.models import Answer, Guild, GuildSettings, LeaderboardTotal
from bot.services.periods import ALL, iso_week
from bot.services.sql import Prepared
from bot.services.timezones import local_moment, parse_timezone, zone

DEFAULT = "UTC"

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
    returns the rows written. The all-time rows stay as they are.

    The database sums the answers: an INSERT … SELECT per local week and month (an
    indexed range of the guild's answers each), per domain and over all domains."""
    first, last = session.execute(
        select(func.min(Answer.answered_at), func.max(Answer.answered_at)).where(
            Answer.guild_id == guild_id
        )
    ).one()
    session.execute(
        delete(LeaderboardTotal).where(
            LeaderboardTotal.guild_id == guild_id, LeaderboardTotal.period != ALL
        )
    )
    if first is None:
        return 0
    written = 0
    for period, start, end in windows(first, last, tz):
        params = {"guild": guild_id, "period": period, "start": start, "end": end}
        for statement in _SUMS:
            written += statement.run(session, params)
    return written


TOTALS: Table = LeaderboardTotal.__table__  # type: ignore[assignment]


def _sums(by_domain: bool) -> Prepared:
    """INSERT the totals of one window's answers, per member and domain (or "*")."""
    domain = Answer.domain if by_domain else literal("*", String)
    points = func.sum(Answer.points)
    scored = func.max(case((Answer.points > 0, Answer.answered_at)))
    query = (
        select(
            bindparam("guild", type_=BigInteger),
            bindparam("period", type_=String),
            domain,
            Answer.user_id,
            points,
            func.count(),
            func.sum(cast(Answer.correct, Integer)),
            func.coalesce(scored, func.min(Answer.answered_at)),  # as record_answer keeps it
        )
        .where(
            Answer.guild_id == bindparam("guild", type_=BigInteger),
            Answer.answered_at >= bindparam("start", type_=Answer.answered_at.type),
            Answer.answered_at < bindparam("end", type_=Answer.answered_at.type),
        )
        .group_by(Answer.user_id, *([Answer.domain] if by_domain else []))
    )
    columns = ("guild_id", "period", "domain", "user_id", "points", "answered", "correct")
    return Prepared(insert(TOTALS).from_select([*columns, "reached_at"], query))


_SUMS = (_sums(by_domain=True), _sums(by_domain=False))


def windows(first: datetime, last: datetime, tz: ZoneInfo) -> list[tuple[str, datetime, datetime]]:
    """The local weeks (Monday 00:00 to Monday 00:00) and months of `tz` that hold the
    moments from `first` to `last`: (period key, start, end) with UTC moments."""
    midnight = time()
    found = []
    day, end = first.astimezone(tz).date(), last.astimezone(tz).date()
    week = day - timedelta(days=day.weekday())
    while week <= end:
        after = week + timedelta(days=7)
        bounds = local_moment(week, midnight, tz), local_moment(after, midnight, tz)
        found.append((iso_week(week), *bounds))
        week = after
    month_start = day.replace(day=1)
    while month_start <= end:
        after = (month_start + timedelta(days=32)).replace(day=1)
        bounds = local_moment(month_start, midnight, tz), local_moment(after, midnight, tz)
        found.append((f"{month_start:%Y-%m}", *bounds))
        month_start = after
    return found
