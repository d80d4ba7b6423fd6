"""Daily question drops: setup, rotation, what is due, answers, reveals and streaks.

A drop is keyed by guild and local date (`daily:<guild>:<date>`): restarts, overlapping
ticks and several processes can never post the same day twice. A drop missed during
downtime still goes out the same local day; once the local day is over it is skipped.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.content import ContentStore
from bot.models import Answer, DailyDrop, GuildSettings
from bot.services import deliveries
from bot.services.deliveries import LEASE
from bot.services.errors import InvalidInput, NotFound
from bot.services.timezones import local_moment, parse_time, parse_timezone

log = logging.getLogger(__name__)

MAX_FAILURES = 3
REVEAL_HOURS = (1, 24)
RECENT_MISSES = timedelta(days=30)


# -- setup ------------------------------------------------------------------------------------
def parse_domains(content: ContentStore, text: str | None) -> list[str]:
    ids = [d.id for d in content.blueprint.domains]
    if not text:
        return ids
    chosen = [part.strip().lower() for part in text.replace(";", ",").split(",") if part.strip()]
    unknown = [c for c in chosen if c not in ids]
    if unknown:
        raise InvalidInput(
            f"Unknown domain(s): {', '.join(unknown)}. Use any of: "
            f"{', '.join(ids)} (comma separated)."
        )
    return list(dict.fromkeys(chosen))


async def configure(
    session: AsyncSession,
    content: ContentStore,
    *,
    guild_id: int,
    channel_id: int,
    time: str,
    timezone: str,
    role_id: int | None,
    domains: str | None,
    reveal_after: int,
    setup_by: int,
    shard_key: int,
    now: datetime,
) -> GuildSettings:
    tz = parse_timezone(timezone)
    at = parse_time(time)
    if not REVEAL_HOURS[0] <= reveal_after <= REVEAL_HOURS[1]:
        raise InvalidInput("reveal_after is 1 to 24 hours.")
    chosen = parse_domains(content, domains)
    settings = await session.get(GuildSettings, guild_id)
    if settings is None:
        settings = GuildSettings(guild_id=guild_id)
        session.add(settings)
    settings.channel_id = channel_id
    settings.post_time = at.strftime("%H:%M")
    settings.timezone = tz.key
    settings.role_id = role_id
    settings.domains = ",".join(chosen)
    settings.reveal_after_hours = reveal_after
    settings.paused, settings.pause_reason, settings.failures = False, None, 0
    settings.setup_by = setup_by
    settings.shard_key = shard_key
    settings.updated_at = now
    return settings


async def get_settings(session: AsyncSession, guild_id: int) -> GuildSettings:
    settings = await session.get(GuildSettings, guild_id)
    if settings is None:
        raise NotFound("Daily drops are not set up here yet: an admin runs /daily setup.")
    return settings


async def set_paused(
    session: AsyncSession, guild_id: int, paused: bool, now: datetime, reason: str | None = None
) -> GuildSettings:
    settings = await get_settings(session, guild_id)
    settings.paused, settings.pause_reason, settings.updated_at = paused, reason, now
    if not paused:
        settings.failures = 0
    return settings


def local_day(settings: GuildSettings, now: datetime) -> date:
    return now.astimezone(parse_timezone(settings.timezone)).date()


def post_moment(settings: GuildSettings, day: date) -> datetime:
    return local_moment(day, parse_time(settings.post_time), parse_timezone(settings.timezone))


def drop_key(guild_id: int, day: date) -> str:
    return f"daily:{guild_id}:{day.isoformat()}"


# -- what is due ------------------------------------------------------------------------------
@dataclass(frozen=True)
class DueDrop:
    guild_id: int
    day: date
    due_at: datetime

    @property
    def key(self) -> str:
        return drop_key(self.guild_id, self.day)


async def due_drops(
    session: AsyncSession, now: datetime, owns: Callable[[int], bool] = lambda _g: True
) -> list[DueDrop]:
    """Guilds whose drop for their current local day is due and not yet claimed.

    Plain rows, cached zones and times, and a pause every thousand guilds keep the event
    loop responsive with thousands of guilds.
    """
    rows = await session.execute(
        select(GuildSettings.guild_id, GuildSettings.post_time, GuildSettings.timezone).where(
            GuildSettings.paused.is_(False)
        )
    )
    due = []
    for n, (guild_id, post_time, zone) in enumerate(rows):
        if n % 1000 == 999:
            await asyncio.sleep(0)
        if not owns(guild_id):
            continue
        tz = parse_timezone(zone)
        day = now.astimezone(tz).date()
        moment = local_moment(day, _time(post_time), tz)
        if now >= moment:
            due.append(DueDrop(guild_id, day, moment))
    done = await deliveries.existing(session, (d.key for d in due))
    return [d for d in due if d.key not in done]


async def missed_drops(
    session: AsyncSession, now: datetime, owns: Callable[[int], bool] = lambda _g: True
) -> list[DueDrop]:
    """Yesterday's drops (local) that never went out, e.g. during downtime: too stale to
    post now, so the tick records them as skipped and logs them."""
    rows = await session.execute(
        select(
            GuildSettings.guild_id,
            GuildSettings.post_time,
            GuildSettings.timezone,
            GuildSettings.updated_at,
        ).where(GuildSettings.paused.is_(False))
    )
    missed = []
    for guild_id, post_time, zone, updated_at in rows:
        if not owns(guild_id):
            continue
        tz = parse_timezone(zone)
        day = now.astimezone(tz).date() - timedelta(days=1)
        moment = local_moment(day, _time(post_time), tz)
        if updated_at < moment:  # set up before it was due
            missed.append(DueDrop(guild_id, day, moment))
    done = await deliveries.existing(session, (d.key for d in missed))
    return [d for d in missed if d.key not in done]


@lru_cache(maxsize=2048)
def _time(text: str) -> time:
    return parse_time(text)


async def failed_drops(
    session: AsyncSession, now: datetime, owns: Callable[[int], bool] = lambda _g: True
) -> list[DailyDrop]:
    """Drops to try again (same local day, guild not paused): those that failed, and those
    left pending by a process that died between claiming and posting."""
    stuck = DailyDrop.status == "pending"
    rows = await session.execute(
        select(DailyDrop, GuildSettings)
        .join(GuildSettings)
        .where(
            (DailyDrop.status == "failed") | (stuck & (DailyDrop.due_at < now - LEASE)),
            GuildSettings.paused.is_(False),
        )
    )
    return [
        drop
        for drop, settings in rows
        if owns(drop.guild_id) and drop.local_date == local_day(settings, now)
    ]


# -- rotation ---------------------------------------------------------------------------------
def _current_cycle(used: Sequence[str], eligible: set[str]) -> set[str]:
    """Questions used since the guild last went through the whole eligible bank."""
    cycle: set[str] = set()
    for qid in used:
        if qid in eligible:
            cycle.add(qid)
            if cycle >= eligible:
                cycle = set()
    return cycle


async def choose_question(
    session: AsyncSession,
    content: ContentStore,
    settings: GuildSettings,
    now: datetime,
    rng: random.Random,
) -> str:
    domains = [d for d in settings.domains.split(",") if d in content.by_domain]
    eligible = {q for d in domains for q in content.by_domain[d]}
    if not eligible:
        raise NotFound("No questions in the chosen domains.")
    used = list(
        await session.scalars(
            select(DailyDrop.question_id)
            .where(DailyDrop.guild_id == settings.guild_id)
            .order_by(DailyDrop.local_date, DailyDrop.id)
        )
    )
    remaining = eligible - _current_cycle(used, eligible)
    weights = content.weights("domains")
    open_domains = [d for d in domains if any(q in remaining for q in content.by_domain[d])]
    domain = rng.choices(open_domains, weights=[weights[d] for d in open_domains])[0]
    pool = sorted(q for q in content.by_domain[domain] if q in remaining)
    missed = list(
        await session.scalars(
            select(Answer.question_id)
            .where(
                Answer.guild_id == settings.guild_id,
                Answer.correct.is_(False),
                Answer.answered_at >= now - RECENT_MISSES,
                Answer.question_id.in_(pool),
            )
            .group_by(Answer.question_id)
            .order_by(func.max(Answer.answered_at).desc())
            .limit(5)
        )
    )
    return missed[0] if missed else rng.choice(pool)


async def create_drop(
    session: AsyncSession, content: ContentStore, due: DueDrop, now: datetime, rng: random.Random
) -> DailyDrop | None:
    """Claim the day's delivery and create its drop; None when another process has it."""
    if not await deliveries.claim(session, due.key, "daily", now):
        return None
    existing = await session.scalar(
        select(DailyDrop.id).where(
            DailyDrop.guild_id == due.guild_id, DailyDrop.local_date == due.day
        )
    )
    if existing is not None:
        return None  # a stale claim taken over: the drop exists, the retry path posts it
    settings = await get_settings(session, due.guild_id)
    drop = DailyDrop(
        guild_id=due.guild_id,
        local_date=due.day,
        status="pending",
        attempts=0,
        question_id=await choose_question(session, content, settings, now, rng),
        channel_id=settings.channel_id,
        due_at=due.due_at,
        reveal_at=now + timedelta(hours=settings.reveal_after_hours),
        answers=0,
        shown_answers=0,
    )
    session.add(drop)
    await session.flush()
    return drop


async def posted(session: AsyncSession, drop_id: int, message_id: int, now: datetime) -> None:
    drop = await session.get(DailyDrop, drop_id)
    assert drop is not None
    drop.status, drop.message_id, drop.posted_at = "open", message_id, now
    drop.attempts += 1
    settings = await get_settings(session, drop.guild_id)
    drop.reveal_at = now + timedelta(hours=settings.reveal_after_hours)
    settings.failures = 0
    await deliveries.finish(session, drop_key(drop.guild_id, drop.local_date), "sent", now)


async def post_failed(
    session: AsyncSession, drop_id: int, error: str, now: datetime
) -> GuildSettings | None:
    """Record a failed post; returns the settings when the guild's drops were just paused."""
    drop = await session.get(DailyDrop, drop_id)
    assert drop is not None
    drop.status, drop.last_error = "failed", error
    drop.attempts += 1
    settings = await get_settings(session, drop.guild_id)
    settings.failures += 1
    await deliveries.finish(
        session, drop_key(drop.guild_id, drop.local_date), "failed", now, detail=error
    )
    if settings.failures >= MAX_FAILURES and not settings.paused:
        settings.paused = True
        settings.pause_reason = (
            f"the last {MAX_FAILURES} drops could not be posted in "
            f"<#{settings.channel_id}> ({error})"
        )
        return settings
    return None


async def claim_retry(session: AsyncSession, drop: DailyDrop, now: datetime) -> bool:
    """Claim a failed drop again, or take over one whose claim went stale."""
    key = drop_key(drop.guild_id, drop.local_date)
    return await deliveries.retry(session, key, now) or await deliveries.claim(
        session, key, "daily", now
    )


async def open_drop(session: AsyncSession, guild_id: int) -> DailyDrop | None:
    return await session.scalar(
        select(DailyDrop)
        .where(DailyDrop.guild_id == guild_id, DailyDrop.status == "open")
        .order_by(DailyDrop.local_date.desc())
        .limit(1)
    )
