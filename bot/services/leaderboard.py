"""Leaderboards from running totals (no scan of the answers): top 10, the caller's rank,
closed weeks, and the weekly summary. Weeks and months are the guild's own, in its
timezone (`bot.services.guild_time`).

Order: points, then accuracy (only for members with at least MIN_FOR_ACCURACY answers),
then who reached their points first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any

from sqlalchemy import Float, Integer, and_, bindparam, case, func, or_, select
from sqlalchemy.orm import Session

from bot.models import LeaderboardTotal, Streak
from bot.services import guild_time
from bot.services.errors import InvalidInput
from bot.services.periods import ALL, iso_week, month, shift_week
from bot.services.sql import Prepared

MIN_FOR_ACCURACY = 10
PERIODS = ("week", "month", "all")
MAX_WEEKS_AGO = 520

T = LeaderboardTotal
_ACCURACY = case((T.answered >= MIN_FOR_ACCURACY, T.correct * 1.0 / T.answered), else_=0.0)


@dataclass(frozen=True)
class Row:
    rank: int
    user_id: int
    points: int
    answered: int
    correct: int
    streak: int

    @property
    def accuracy(self) -> float | None:
        return 100 * self.correct / self.answered if self.answered >= MIN_FOR_ACCURACY else None


@dataclass(frozen=True)
class Board:
    period_key: str
    domain: str
    top: list[Row]
    caller: Row | None  # the caller's row when outside the top


def period_key(period: str, now: datetime, weeks_ago: int = 0, tz: tzinfo = UTC) -> str:
    """The totals' key of a period containing `now` in a guild keeping `tz`."""
    if period == "all":
        return ALL
    if period == "month":
        return month(now, tz)
    if period == "week":
        if not 0 <= weeks_ago <= MAX_WEEKS_AGO:
            raise InvalidInput(f"weeks_ago runs from 0 (this week) to {MAX_WEEKS_AGO}.")
        return shift_week(iso_week(now, tz), -weeks_ago)
    raise InvalidInput(f"Period is one of {', '.join(PERIODS)}.")


def _in_board(*extra: Any) -> Any:
    return and_(
        T.guild_id == bindparam("guild"),
        T.period == bindparam("period"),
        T.domain == bindparam("domain"),
        T.points > 0,
        *extra,
    )


_STREAK = and_(Streak.guild_id == T.guild_id, Streak.user_id == T.user_id)
_TOP = Prepared(
    select(T.user_id, T.points, T.answered, T.correct, func.coalesce(Streak.current, 0))
    .outerjoin(Streak, _STREAK)
    .where(_in_board())
    .order_by(T.points.desc(), _ACCURACY.desc(), T.reached_at, T.user_id)
    .limit(bindparam("limit"))
)
_MINE = Prepared(
    select(T.points, T.answered, T.correct, T.reached_at, func.coalesce(Streak.current, 0))
    .outerjoin(Streak, _STREAK)
    .where(_in_board(T.user_id == bindparam("user")))
)
_POINTS, _ACC = bindparam("points", type_=Integer), bindparam("accuracy", type_=Float)
_AHEAD = Prepared(
    select(func.count())
    .select_from(T)
    .where(
        _in_board(
            or_(
                T.points > _POINTS,
                and_(T.points == _POINTS, _ACCURACY > _ACC),
                and_(T.points == _POINTS, _ACCURACY == _ACC, T.reached_at < bindparam("reached")),
            )
        )
    )
)
_TWO_WEEKS = Prepared(
    select(T.user_id, T.period, T.points).where(
        T.guild_id == bindparam("guild"),
        T.domain == "*",
        or_(T.period == bindparam("week"), T.period == bindparam("before")),
    )
)


def board(
    session: Session,
    *,
    guild_id: int,
    key: str,
    domain: str = "*",
    caller_id: int | None = None,
    limit: int = 10,
) -> Board:
    where = {"guild": guild_id, "period": key, "domain": domain}
    rows = _TOP.rows(session, {**where, "limit": limit})
    top = [Row(i + 1, *r) for i, r in enumerate(rows)]
    caller = None
    if caller_id is not None and caller_id not in {r.user_id for r in top}:
        caller = rank_of(session, guild_id=guild_id, key=key, domain=domain, user_id=caller_id)
    return Board(key, domain, top, caller)


def rank_of(session: Session, *, guild_id: int, key: str, domain: str, user_id: int) -> Row | None:
    where = {"guild": guild_id, "period": key, "domain": domain}
    found = _MINE.first(session, {**where, "user": user_id})
    if found is None:
        return None
    points, answered, correct, reached_at, current = found
    acc = correct / answered if answered >= MIN_FOR_ACCURACY else 0.0
    ahead = _AHEAD.scalar(
        session, {**where, "points": points, "accuracy": acc, "reached": reached_at}
    )
    return Row(int(ahead or 0) + 1, user_id, points, answered, correct, current)


@dataclass(frozen=True)
class GuildBoard:
    board: Board
    timezone: str  # the guild's: its weeks and months


def guild_board(
    session: Session,
    *,
    guild_id: int,
    period: str,
    now: datetime,
    weeks_ago: int = 0,
    domain: str = "*",
    caller_id: int | None = None,
) -> GuildBoard:
    """/leaderboard: the board of `period` (week, month, all) in the guild's own calendar."""
    tz = guild_time.zone_of(session, guild_id)
    key = period_key(period, now, weeks_ago, tz)
    found = board(session, guild_id=guild_id, key=key, domain=domain, caller_id=caller_id)
    return GuildBoard(found, tz.key)


@dataclass(frozen=True)
class WeeklySummary:
    week: str
    top: list[Row]
    improver: tuple[int, int] | None  # user id, points gained over the week before


def weekly_summary(session: Session, *, guild_id: int, week: str) -> WeeklySummary:
    result = board(session, guild_id=guild_id, key=week, limit=5)
    before = shift_week(week, -1)
    last: dict[int, int] = {}
    prior: dict[int, int] = {}
    rows = _TWO_WEEKS.rows(session, {"guild": guild_id, "week": week, "before": before})
    for user_id, period, points in rows:
        (last if period == week else prior)[user_id] = points
    gains = {u: p - prior.get(u, 0) for u, p in last.items() if u in prior}
    improver = max(gains.items(), key=lambda kv: (kv[1], -kv[0]), default=None)
    if improver is not None and improver[1] <= 0:
        improver = None
    return WeeklySummary(week, result.top, improver)
