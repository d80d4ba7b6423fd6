"""One drop per local day, also across a change of the guild's timezone.

A drop is keyed by guild, local date and timezone (`daily:<guild>:<date>:<timezone>`; a
drop made before the key had its timezone keeps `daily:<guild>:<date>`). A day's drop is
due only while no drop of the guild fell on that local day or later, in the timezone in
force (`covered`), and only when the drops were set up (or resumed) before its moment
(`GuildSettings.updated_at`; re-running `/daily setup` on running drops keeps it).

So a guild moving east does not get a second drop on the day its last one already fell
on; a guild moving west gets the drop of each new local day, late on the day of the move if
its time has passed there, and never finds that day's key taken by the old timezone's drop
of the same date.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.models import DailyDrop, GuildSettings
from bot.services.errors import InvalidInput
from bot.services.timezones import local_moment, parse_time, parse_timezone


def drop_key(guild_id: int, day: date, timezone: str | None) -> str:
    """The delivery key of a guild's drop on a local date in a timezone (None: a drop made
    before the key had its timezone)."""
    base = f"daily:{guild_id}:{day.isoformat()}"
    return base if timezone is None else f"{base}:{timezone}"


def key_of(drop: DailyDrop) -> str:
    return drop_key(drop.guild_id, drop.local_date, drop.timezone)


@dataclass(frozen=True)
class DueDrop:
    guild_id: int
    day: date  # the local date, in `timezone`
    due_at: datetime
    timezone: str

    @property
    def key(self) -> str:
        return drop_key(self.guild_id, self.day, self.timezone)


def latest_drops(session: Session, items: Sequence[DueDrop]) -> dict[int, datetime]:
    """The moment of each guild's latest drop near `items`' days, in one read (the drop
    dates of a guild stay within two days of its local dates in any timezone)."""
    if not items:
        return {}
    since = min(d.day for d in items) - timedelta(days=3)
    ids = sorted({d.guild_id for d in items})
    found: dict[int, datetime] = {}
    for i in range(0, len(ids), 500):
        rows = session.execute(
            select(DailyDrop.guild_id, func.max(DailyDrop.due_at))
            .where(DailyDrop.guild_id.in_(ids[i : i + 500]), DailyDrop.local_date >= since)
            .group_by(DailyDrop.guild_id)
        )
        found.update({guild: at for guild, at in rows if at is not None})
    return found


def covered(item: DueDrop, latest: dict[int, datetime]) -> bool:
    """Whether a drop of the guild already fell on `item`'s local day or later (in its
    timezone): after a move east, the day the last drop fell on gets no second one."""
    last = latest.get(item.guild_id)
    return last is not None and last.astimezone(cached_zone(item.timezone)).date() >= item.day


def next_drop(session: Session, guild_id: int, now: datetime) -> datetime | None:
    """When the guild's next drop comes, by the scheduler's own rule: `now` when today's
    is due and not out yet; None while paused, or when the settings cannot be read."""
    settings = session.get(GuildSettings, guild_id)
    if settings is None or settings.paused:
        return None
    try:
        tz, at = cached_zone(settings.timezone), cached_time(settings.post_time)
    except InvalidInput:
        return None
    today = now.astimezone(tz).date()
    items = [DueDrop(guild_id, today + timedelta(days=i), now, tz.key) for i in range(3)]
    latest = latest_drops(session, items)
    for item in items:
        moment = local_moment(item.day, at, tz)
        if covered(item, latest) or settings.updated_at >= moment:
            continue
        return max(moment, now)
    return None


@lru_cache(maxsize=2048)
def cached_zone(name: str) -> ZoneInfo:
    return parse_timezone(name)


@lru_cache(maxsize=2048)
def cached_time(text: str) -> time:
    return parse_time(text)
