"""guild calendars: leaderboard weeks and months in the guild's timezone; drops keyed by it

A guild's weeks and months (leaderboard totals, the Monday summary) now follow its own
timezone: `guilds.timezone`, taken from the daily drops' setup where a guild has one, else
UTC. The week and month rows of `leaderboard_totals` are rebuilt from the answers in each
guild's calendar (points, answers, right answers, and when the points last moved); the
all-time rows stay. Guilds in UTC keep theirs, which already are UTC weeks.

`daily_drops.timezone` is the timezone its local date is in (NULL for the drops made
before: their delivery keys stay `daily:<guild>:<date>`), and a drop is unique per guild,
local date and timezone, so a guild that moves west can have the drop of a local date its
old timezone already used. On SQLite the table is rebuilt to change the constraint, and
`daily_answers` (which cascades from it) is kept aside meanwhile.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 10:00:00
"""

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from alembic import op

import bot.models

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

guilds = sa.table(
    "guilds",
    sa.column("guild_id", sa.BigInteger()),
    sa.column("timezone", sa.String()),
    sa.column("updated_at", bot.models.UTCDateTime()),
)
settings = sa.table(
    "guild_settings", sa.column("guild_id", sa.BigInteger()), sa.column("timezone", sa.String())
)
answers = sa.table(
    "answers",
    sa.column("guild_id", sa.BigInteger()),
    sa.column("user_id", sa.BigInteger()),
    sa.column("domain", sa.String()),
    sa.column("points", sa.Integer()),
    sa.column("correct", sa.Boolean()),
    sa.column("answered_at", bot.models.UTCDateTime()),
)
totals = sa.table(
    "leaderboard_totals",
    sa.column("guild_id", sa.BigInteger()),
    sa.column("period", sa.String()),
    sa.column("domain", sa.String()),
    sa.column("user_id", sa.BigInteger()),
    sa.column("points", sa.Integer()),
    sa.column("answered", sa.Integer()),
    sa.column("correct", sa.Integer()),
    sa.column("reached_at", bot.models.UTCDateTime()),
)


def upgrade() -> None:
    conn = op.get_bind()
    _guild_zones(conn)
    for guild_id, name in list(conn.execute(sa.select(guilds.c.guild_id, guilds.c.timezone))):
        if _away_from_utc(_zone(name)):
            _rebuild(conn, guild_id, _zone(name))
    _drops_by_timezone(conn, ["guild_id", "local_date", "timezone"], add=True)


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "sqlite":  # the old constraint: one drop per guild and date
        conn.execute(
            sa.text(
                "DELETE FROM daily_drops d USING daily_drops e WHERE d.guild_id = e.guild_id "
                "AND d.local_date = e.local_date AND d.id > e.id"
            )
        )
    else:
        conn.execute(
            sa.text(
                "DELETE FROM daily_drops WHERE id NOT IN "
                "(SELECT min(id) FROM daily_drops GROUP BY guild_id, local_date)"
            )
        )
    _drops_by_timezone(conn, ["guild_id", "local_date"], add=False)
    for guild_id, name in list(conn.execute(sa.select(guilds.c.guild_id, guilds.c.timezone))):
        if _away_from_utc(_zone(name)):
            _rebuild(conn, guild_id, UTC)  # the weeks of the version before: UTC


def _zone(name: str | None) -> tzinfo:
    try:
        return ZoneInfo(name) if name else UTC
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def _away_from_utc(tz: tzinfo) -> bool:
    """Whether the zone's calendar differs from UTC's (in winter or in summer)."""
    return any(tz.utcoffset(datetime(2026, m, 1)) for m in (1, 7))


def _guild_zones(conn: sa.Connection) -> None:
    """Each guild with daily drops takes their timezone as its own (unless it has one)."""
    now = datetime.now(UTC)
    known = dict(list(conn.execute(sa.select(guilds.c.guild_id, guilds.c.timezone))))
    for guild_id, name in list(conn.execute(sa.select(settings.c.guild_id, settings.c.timezone))):
        if guild_id not in known:
            conn.execute(guilds.insert().values(guild_id=guild_id, timezone=name, updated_at=now))
        elif known[guild_id] is None:
            conn.execute(guilds.update().where(guilds.c.guild_id == guild_id).values(timezone=name))


def _rebuild(conn: sa.Connection, guild_id: int, tz: tzinfo) -> None:
    """The guild's week and month totals, from its answers, in `tz`'s calendar: the
    database sums them, an INSERT … SELECT per local week and month, per domain and over
    all domains (reached_at: when the points last moved, else the first answer)."""
    conn.execute(totals.delete().where(totals.c.guild_id == guild_id, totals.c.period != "all"))
    first, last = conn.execute(
        sa.select(sa.func.min(answers.c.answered_at), sa.func.max(answers.c.answered_at)).where(
            answers.c.guild_id == guild_id
        )
    ).one()
    if first is None:
        return
    for period, start, end in _windows(first, last, tz):
        params = {"guild": guild_id, "period": period, "start": start, "end": end}
        for statement in SUMS:
            conn.execute(statement, params)


def _sums(by_domain: bool) -> sa.Insert:
    domain = answers.c.domain if by_domain else sa.literal("*", sa.String)
    scored = sa.func.max(sa.case((answers.c.points > 0, answers.c.answered_at)))
    guild = sa.bindparam("guild", type_=sa.BigInteger)
    query = (
        sa.select(
            guild,
            sa.bindparam("period", type_=sa.String),
            domain,
            answers.c.user_id,
            sa.func.sum(answers.c.points),
            sa.func.count(),
            sa.func.sum(sa.cast(answers.c.correct, sa.Integer)),
            sa.func.coalesce(scored, sa.func.min(answers.c.answered_at)),
        )
        .where(
            answers.c.guild_id == guild,
            answers.c.answered_at >= sa.bindparam("start", type_=bot.models.UTCDateTime()),
            answers.c.answered_at < sa.bindparam("end", type_=bot.models.UTCDateTime()),
        )
        .group_by(answers.c.user_id, *([answers.c.domain] if by_domain else []))
    )
    return totals.insert().from_select(COLUMNS, query)


COLUMNS = ["guild_id", "period", "domain", "user_id", "points", "answered", "correct", "reached_at"]


SUMS = (_sums(by_domain=True), _sums(by_domain=False))


def _windows(first: datetime, last: datetime, tz: tzinfo) -> list[tuple[str, datetime, datetime]]:
    """The local weeks (from Monday 00:00) and months of `tz` from `first` to `last`."""

    def midnight(day: date) -> datetime:
        return datetime.combine(day, time(), tzinfo=tz).astimezone(UTC)

    found = []
    day, end = first.astimezone(tz).date(), last.astimezone(tz).date()
    week = day - timedelta(days=day.weekday())
    while week <= end:
        year, number, _ = week.isocalendar()
        found.append((f"{year}-W{number:02d}", midnight(week), midnight(week + timedelta(7))))
        week += timedelta(days=7)
    month = day.replace(day=1)
    while month <= end:
        after = (month + timedelta(days=32)).replace(day=1)
        found.append((f"{month:%Y-%m}", midnight(month), midnight(after)))
        month = after
    return found


def _drops_by_timezone(conn: sa.Connection, unique: list[str], *, add: bool) -> None:
    """Add (or drop) daily_drops.timezone and make `unique` the drops' constraint.

    SQLite rebuilds the table for it, and dropping the old table would cascade to the
    answers of the drops: they are kept aside and put back."""
    sqlite = conn.dialect.name == "sqlite"
    if sqlite:
        conn.execute(
            sa.text("CREATE TEMPORARY TABLE kept_daily_answers AS SELECT * FROM daily_answers")
        )
    with op.batch_alter_table("daily_drops", schema=None, recreate="auto") as batch_op:
        batch_op.drop_constraint("uq_daily_drops_guild_id", type_="unique")
        if add:
            batch_op.add_column(sa.Column("timezone", sa.String(length=64), nullable=True))
        else:
            batch_op.drop_column("timezone")
        batch_op.create_unique_constraint("uq_daily_drops_guild_id", unique)
    if sqlite:
        conn.execute(
            sa.text(
                "INSERT INTO daily_answers SELECT * FROM kept_daily_answers k WHERE NOT EXISTS "
                "(SELECT 1 FROM daily_answers a WHERE a.drop_id = k.drop_id "
                "AND a.user_id = k.user_id) AND k.drop_id IN (SELECT id FROM daily_drops)"
            )
        )
        conn.execute(sa.text("DROP TABLE kept_daily_answers"))
