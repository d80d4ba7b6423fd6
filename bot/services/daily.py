"""Daily question drops: setup, rotation, what is due, answers, reveals and streaks.

A drop is keyed by guild, local date and timezone (`bot.services.drop_days`, which also
keeps to one drop per local day across a change of timezone): restarts, overlapping ticks
and several processes can never post the same day twice. A drop missed during downtime
still goes out the same local day; once the local day is over it is skipped.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.content import ContentStore
from bot.enums import DailyMode, DeliveryKind, DeliveryStatus, DropStatus
from bot.models import Answer, DailyDrop, GuildSettings
from bot.services import deliveries, guild_time, weak_spots
from bot.services.drop_days import DueDrop, cached_time, cached_zone, covered, key_of, latest_drops
from bot.services.errors import InvalidInput, NotFound, clip
from bot.services.leaderboard import WeeklySummary, weekly_summary
from bot.services.periods import iso_week
from bot.services.timezones import local_moment, parse_time, parse_timezone

log = logging.getLogger(__name__)

MAX_FAILURES = 3
REVEAL_HOURS = (1, 24)
RECENT_MISSES = timedelta(days=30)


# -- setup ------------------------------------------------------------------------------------
def parse_domains(content: ContentStore, text: str | None) -> list[str]:
    """The domain ids of a comma-separated list; nothing (or only commas) means all."""
    ids = [d.id for d in content.blueprint.domains]
    chosen = [p.strip().lower() for p in (text or "").replace(";", ",").split(",") if p.strip()]
    if not chosen:
        return ids
    unknown = [c for c in chosen if c not in ids]
    if unknown:
        shown = ", ".join(clip(u, 30) for u in unknown[:5]) + (" …" if len(unknown) > 5 else "")
        raise InvalidInput(
            f"Unknown domain(s): {shown}. Use any of: {', '.join(ids)} (comma separated)."
        )
    return list(dict.fromkeys(chosen))


def configure(
    session: Session,
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
    mode: str = DailyMode.ROTATE,
) -> GuildSettings:
    """Set up (or change) a guild's drops; the timezone becomes the guild's own (its weeks
    and months too: `guild_time.set_timezone`)."""
    tz = parse_timezone(timezone)
    if mode not in tuple(DailyMode):
        raise InvalidInput("mode is rotate or weak-spots.")
    at = parse_time(time)
    if not REVEAL_HOURS[0] <= reveal_after <= REVEAL_HOURS[1]:
        raise InvalidInput("reveal_after is 1 to 24 hours.")
    chosen = parse_domains(content, domains)
    guild_time.set_timezone(session, guild_id, tz.key, now)  # locks the guild's row first
    settings = session.get(GuildSettings, guild_id)
    if settings is None or settings.paused:  # new, or resumed: drops from now on
        settings = settings or GuildSettings(guild_id=guild_id)
        session.add(settings)
        settings.updated_at = now
    settings.channel_id = channel_id
    settings.post_time = at.strftime("%H:%M")
    settings.timezone = tz.key
    settings.role_id = role_id
    settings.domains = ",".join(chosen)
    settings.reveal_after_hours = reveal_after
    settings.mode = mode
    settings.paused, settings.pause_reason, settings.failures = False, None, 0
    settings.setup_by = setup_by
    settings.shard_key = shard_key
    return settings


def get_settings(session: Session, guild_id: int) -> GuildSettings:
    settings = session.get(GuildSettings, guild_id)
    if settings is None:
        raise NotFound("Daily drops are not set up here yet: an admin runs /daily setup.")
    return settings


def get_drop(session: Session, drop_id: int) -> DailyDrop | None:
    return session.get(DailyDrop, drop_id)


def status(session: Session, guild_id: int) -> tuple[GuildSettings, DailyDrop | None]:
    """What /daily status shows: the settings and the open drop."""
    return get_settings(session, guild_id), open_drop(session, guild_id)


def set_paused(
    session: Session, guild_id: int, paused: bool, now: datetime, reason: str | None = None
) -> GuildSettings:
    settings = get_settings(session, guild_id)
    settings.paused, settings.pause_reason, settings.updated_at = paused, reason, now
    if not paused:
        settings.failures = 0
    return settings


def local_day(settings: GuildSettings, now: datetime) -> date:
    return now.astimezone(parse_timezone(settings.timezone)).date()


def post_moment(settings: GuildSettings, day: date) -> datetime:
    return local_moment(day, parse_time(settings.post_time), parse_timezone(settings.timezone))


# -- what is due ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Broken:
    """A guild whose settings can never work (a timezone or time that cannot be read)."""

    guild_id: int
    reason: str


def _scan(
    session: Session, now: datetime, owns: Callable[[int], bool]
) -> tuple[list[DueDrop], list[DueDrop], list[Broken]]:
    """One pass over the guilds: today's drops due now, yesterday's never sent (missed), and
    the guilds whose settings cannot be read. Each guild stands alone: a bad row is reported,
    never stops the others. A day's drop is due only when the guild was set up before its
    moment, so `/daily setup` after today's time means the first drop comes tomorrow, as
    its reply says; and only while no drop fell on that local day or later (`covered`)."""
    rows = session.execute(
        select(
            GuildSettings.guild_id,
            GuildSettings.post_time,
            GuildSettings.timezone,
            GuildSettings.updated_at,
        ).where(GuildSettings.paused.is_(False))
    )
    due, missed, broken = [], [], []
    for guild_id, post_time, zone, updated_at in rows:
        if not owns(guild_id):
            continue
        try:
            tz, at = cached_zone(zone), cached_time(post_time)
        except InvalidInput as error:
            broken.append(Broken(guild_id, str(error)))
            continue
        today = now.astimezone(tz).date()
        moment = local_moment(today, at, tz)
        if now >= moment and updated_at < moment:
            due.append(DueDrop(guild_id, today, moment, tz.key))
        yesterday = today - timedelta(days=1)
        before = local_moment(yesterday, at, tz)
        if updated_at < before:  # set up before it was due
            missed.append(DueDrop(guild_id, yesterday, before, tz.key))
    done = deliveries.existing(session, (d.key for d in (*due, *missed)))
    due, missed = [d for d in due if d.key not in done], [d for d in missed if d.key not in done]
    latest = latest_drops(session, [*due, *missed])
    return (
        [d for d in due if not covered(d, latest)],
        [d for d in missed if not covered(d, latest)],
        broken,
    )


def due_drops(
    session: Session, now: datetime, owns: Callable[[int], bool] = lambda _g: True
) -> list[DueDrop]:
    """Guilds whose drop for their current local day is due and not yet claimed."""
    return _scan(session, now, owns)[0]


def missed_drops(
    session: Session, now: datetime, owns: Callable[[int], bool] = lambda _g: True
) -> list[DueDrop]:
    """Yesterday's drops (local) that never went out, e.g. during downtime: too stale to
    post now, so the tick records them as skipped and logs them."""
    return _scan(session, now, owns)[1]


def failed_drops(
    session: Session, now: datetime, owns: Callable[[int], bool] = lambda _g: True
) -> list[DailyDrop]:
    """Drops to try again (same local day, guild not paused): those that failed, and those
    left pending by a process that died between claiming and recording (its lease lapsed)."""
    rows = session.execute(
        select(DailyDrop, GuildSettings)
        .join(GuildSettings)
        .where(
            DailyDrop.status.in_((DropStatus.FAILED, DropStatus.PENDING)),
            DailyDrop.local_date >= (now - timedelta(days=1)).date(),  # no zone is further
            GuildSettings.paused.is_(False),
        )
    )
    found = []
    for drop, settings in rows:
        if not owns(drop.guild_id):
            continue
        try:
            today = local_day(settings, now)
        except InvalidInput:  # reported by the scan; paused there
            continue
        if drop.local_date == today:
            found.append(drop)
    pending = [key_of(d) for d in found if d.status == DropStatus.PENDING]
    claims = deliveries.states(session, pending) if pending else {}

    def sender_died(drop: DailyDrop) -> bool:
        state = claims.get(key_of(drop))
        return state is None or not state.held(now)

    return [d for d in found if d.status == DropStatus.FAILED or sender_died(d)]


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


def choose_question(
    session: Session,
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
        session.scalars(
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
        session.scalars(
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


def create_drop(
    session: Session, content: ContentStore, due: DueDrop, now: datetime, rng: random.Random
) -> DailyDrop | None:
    """Claim the day's delivery and create its drop; None when another process has it, or
    when the settings changed since `due` was read (a new timezone, a pause) or a drop
    already fell on its day. The settings row is locked first, so a change of timezone and
    a drop of the old one never both go through."""
    settings = session.get(GuildSettings, due.guild_id, with_for_update=True)
    if settings is None:
        raise NotFound("Daily drops are not set up here yet: an admin runs /daily setup.")
    if settings.paused or settings.timezone != due.timezone:
        return None
    if covered(due, latest_drops(session, [due])):
        return None  # also a stale claim taken over: the drop exists, the retry posts it
    if not deliveries.claim(session, due.key, DeliveryKind.DAILY, now):
        return None
    if settings.mode == DailyMode.WEAK_SPOTS:  # the group's weak spots (bot/services/weak_spots)
        pick = weak_spots.choose_drop(
            session,
            content,
            guild_id=settings.guild_id,
            domains=settings.domains.split(","),
            today=due.day,
            now=now,
            rng=rng,
        )
        question_id, reason = pick.question_id, pick.reason
    else:
        question_id, reason = choose_question(session, content, settings, now, rng), None
    drop = DailyDrop(
        guild_id=due.guild_id,
        local_date=due.day,
        timezone=due.timezone,
        status=DropStatus.PENDING,
        attempts=0,
        question_id=question_id,
        reason=reason,
        channel_id=settings.channel_id,
        due_at=due.due_at,
        reveal_at=now + timedelta(hours=settings.reveal_after_hours),
        answers=0,
        shown_answers=0,
    )
    session.add(drop)
    session.flush()
    return drop


@dataclass(frozen=True)
class DueWork:
    """What a daily tick has to do."""

    due: list[DueDrop]
    missed: list[DueDrop]
    retries: list[DailyDrop]
    reveals: list[int]
    broken: list[Broken]


def due_work(
    session: Session, now: datetime, owns: Callable[[int], bool] = lambda _g: True
) -> DueWork:
    from bot.services.drop_answers import due_reveals

    due, missed, broken = _scan(session, now, owns)
    return DueWork(
        due, missed, failed_drops(session, now, owns), due_reveals(session, now, owns), broken
    )


def pause_broken(
    session: Session, guild_id: int, reason: str, now: datetime
) -> GuildSettings | None:
    """Pause a guild whose drops cannot work, saying why; its settings when it was just
    paused (so the admin gets one DM), None when it already was."""
    settings = session.get(GuildSettings, guild_id)
    if settings is None or settings.paused:
        return None
    settings.paused, settings.updated_at = True, now
    settings.pause_reason = f"{reason} Fix it with `/daily setup`."
    return settings


def skip(session: Session, item: DueDrop, now: datetime) -> bool:
    """Record a drop that is too stale to post as skipped (once); False if already handled."""
    return deliveries.claim_and_finish(
        session, item.key, DeliveryKind.DAILY, now, DeliveryStatus.SKIPPED
    )


def drop_and_settings(session: Session, drop_id: int) -> tuple[DailyDrop, GuildSettings]:
    drop = session.get(DailyDrop, drop_id)
    if drop is None:
        raise NotFound("That drop no longer exists.")
    return drop, get_settings(session, drop.guild_id)


# -- the weekly summary -------------------------------------------------------------------------
def summary_week(settings: GuildSettings, now: datetime) -> str | None:
    """The week whose summary is due in this guild now: the one that just ended, from the
    guild's post time on the first day of its new week until the end of that day."""
    day = local_day(settings, now)
    if day.weekday() != 0 or now < post_moment(settings, day):
        return None
    return iso_week(day - timedelta(days=1))


def summary_key(guild_id: int, week: str) -> str:
    return f"summary:{guild_id}:{week}"


def due_summaries(
    session: Session, now: datetime, owns: Callable[[int], bool] = lambda _g: True
) -> list[tuple[int, str]]:
    """(guild, week) of the weekly summaries due now: not yet claimed, or claimed by a
    sender that died (its lease lapsed)."""
    rows = session.execute(select(GuildSettings).where(GuildSettings.paused.is_(False)))
    found = []
    for (settings,) in rows:
        if owns(settings.guild_id) and (week := summary_week(settings, now)) is not None:
            found.append((settings.guild_id, week))
    claims = deliveries.states(session, (summary_key(g, w) for g, w in found))

    def due(key: str) -> bool:
        state = claims.get(key)
        return state is None or state.lapsed(now)

    return [(g, w) for g, w in found if due(summary_key(g, w))]


@dataclass(frozen=True)
class SummaryClaim:
    channel_id: int
    summary: WeeklySummary
    claim: deliveries.Claim


def claim_summary(session: Session, guild_id: int, week: str, now: datetime) -> SummaryClaim | None:
    """Claim a guild's summary of `week`; its channel and content, or None if taken."""
    claimed = deliveries.claim(session, summary_key(guild_id, week), DeliveryKind.SUMMARY, now)
    if claimed is None:
        return None
    settings = get_settings(session, guild_id)
    summary = weekly_summary(session, guild_id=guild_id, week=week)
    return SummaryClaim(settings.channel_id, summary, claimed)


def posted(
    session: Session, drop_id: int, message_id: int, now: datetime, channel_id: int | None = None
) -> None:
    """The drop is up: `message_id` is the message members see (and answer on)."""
    drop = session.get(DailyDrop, drop_id)
    assert drop is not None
    drop.status, drop.message_id, drop.posted_at = DropStatus.OPEN, message_id, now
    drop.channel_id = channel_id or drop.channel_id
    drop.attempts += 1
    settings = get_settings(session, drop.guild_id)
    drop.reveal_at = now + timedelta(hours=settings.reveal_after_hours)
    settings.failures = 0
    deliveries.finish(session, key_of(drop), DeliveryStatus.SENT, now, message_id=message_id)


def post_failed(session: Session, drop_id: int, error: str, now: datetime) -> GuildSettings | None:
    """Record a failed post; returns the settings when the guild's drops were just paused."""
    drop = session.get(DailyDrop, drop_id)
    assert drop is not None
    drop.status, drop.last_error = DropStatus.FAILED, error
    drop.attempts += 1
    settings = get_settings(session, drop.guild_id)
    settings.failures += 1
    deliveries.finish(session, key_of(drop), DeliveryStatus.FAILED, now, detail=error)
    if settings.failures >= MAX_FAILURES and not settings.paused:
        settings.paused = True
        settings.pause_reason = (
            f"the last {MAX_FAILURES} drops could not be posted in "
            f"<#{settings.channel_id}> ({error})"
        )
        return settings
    return None


def claim_retry(session: Session, drop: DailyDrop, now: datetime) -> deliveries.Claim | None:
    """Claim a failed drop again, or take over one whose sender died (its lease lapsed)."""
    key = key_of(drop)
    return deliveries.retry(session, key, now) or deliveries.claim(
        session, key, DeliveryKind.DAILY, now
    )


def open_drop(session: Session, guild_id: int) -> DailyDrop | None:
    return session.scalar(
        select(DailyDrop)
        .where(DailyDrop.guild_id == guild_id, DailyDrop.status == DropStatus.OPEN)
        .order_by(DailyDrop.due_at.desc())
        .limit(1)
    )
