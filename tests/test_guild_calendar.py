"""The guild's own calendar, with a fixed clock: leaderboard weeks and months and the Monday
summary in its timezone (Auckland, Los Angeles), recounting on a change of timezone, and
daily drops that give each local day one drop when the guild moves west or east."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.content import ContentStore
from bot.db import Database
from bot.models import DailyDrop, Delivery, LeaderboardTotal
from bot.services import daily, deliveries, drop_days, guild_time, leaderboard
from bot.services.answers import record_answer
from bot.services.timezones import zone
from tests.conftest import add, get, scalar, scalars
from tests.test_daily import GUILD, setup_guild

A, B, C = 11, 12, 13


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


async def right(db: Database, content: ContentStore, user: int, when: datetime) -> None:
    """A right daily-drop answer: 10 points."""
    q = next(iter(content.questions.values()))
    await db.write(
        record_answer,
        content,
        user_id=user,
        guild_id=GUILD,
        question_id=q.id,
        choice=q.key,
        source="daily",
        now=when,
    )


async def summary_at(db: Database, now: datetime) -> tuple[str, dict[int, int]] | None:
    """The summary due at `now` (claimed), as (week, points by member)."""
    due = await db.read(daily.due_summaries, now)
    if not due:
        return None
    ((guild, week),) = due
    claimed = await db.write(daily.claim_summary, guild, week, now)
    assert claimed is not None
    await db.write(deliveries.record_send, claimed.claim.key, now, ok=True, detail="")  # posted
    return week, {r.user_id: r.points for r in claimed.summary.top}


async def board(db: Database, period: str, now: datetime, weeks_ago: int = 0) -> dict[int, int]:
    found = await db.read(
        leaderboard.guild_board, guild_id=GUILD, period=period, now=now, weeks_ago=weeks_ago
    )
    return {r.user_id: r.points for r in found.board.top}


# -- the Monday summary and the boards -----------------------------------------------------------
async def test_monday_summary_in_auckland(db: Database, content: ContentStore) -> None:
    """Monday 09:00 in Auckland is Sunday 20:00 UTC: the summary then is of the week that
    just ended there, Monday to Sunday in Auckland."""
    await setup_guild(db, content, timezone="Pacific/Auckland", now=at(11, 20, 0))
    await right(db, content, C, at(11, 29, 19))  # Mon 30 Nov 08:00 there: Sunday in UTC
    await right(db, content, A, at(12, 6, 10))  # Sun 6 Dec 23:00 there
    await right(db, content, B, at(12, 6, 19))  # Mon 7 Dec 08:00 there: still Sunday in UTC
    assert await board(db, "week", at(12, 6, 19, 30)) == {B: 10}  # Monday 08:30 there
    assert await board(db, "week", at(12, 6, 19, 30), weeks_ago=1) == {A: 10, C: 10}
    assert await summary_at(db, at(12, 6, 19, 59)) is None
    assert await summary_at(db, at(12, 6, 20)) == ("2026-W49", {A: 10, C: 10})
    assert await summary_at(db, at(12, 6, 21)) is None  # once


async def test_monday_summary_in_los_angeles(db: Database, content: ContentStore) -> None:
    """Sunday evening in Los Angeles is Monday in UTC: it still belongs to the week the
    summary at Monday 09:00 there (17:00 UTC) is about."""
    await setup_guild(db, content, timezone="America/Los_Angeles", now=at(11, 20, 0))
    await right(db, content, C, at(11, 30, 6))  # Sun 29 Nov 22:00 there: the week before
    await right(db, content, A, at(12, 7, 4))  # Sun 6 Dec 20:00 there
    await right(db, content, B, at(12, 7, 16))  # Mon 7 Dec 08:00 there
    assert await summary_at(db, at(12, 7, 16, 59)) is None
    assert await summary_at(db, at(12, 7, 17)) == ("2026-W49", {A: 10})
    # months too: 1 December 03:00 UTC is still November there
    await right(db, content, C, at(12, 1, 3))
    assert await board(db, "month", at(12, 1, 4)) == {C: 20}


async def test_a_new_timezone_recounts_the_weeks(db: Database, content: ContentStore) -> None:
    """A guild in UTC moves to Auckland: its week and month rows are rebuilt from the
    answers in Auckland's calendar, no point lost, the all-time rows as they were."""
    await right(db, content, A, at(11, 29, 20))  # Sunday in UTC, Monday 09:00 in Auckland
    await right(db, content, A, at(11, 25, 12))
    await right(db, content, B, at(11, 30, 12))
    assert await board(db, "week", at(11, 29, 21)) == {A: 20}  # UTC: week 48
    all_time = await board(db, "all", at(11, 29, 21))
    changed = await db.write(guild_time.set_timezone, GUILD, "Pacific/Auckland", at(11, 29, 21))
    assert (changed.previous, changed.timezone, changed.daily) == ("UTC", "Pacific/Auckland", None)
    assert changed.rebuilt > 0
    assert await board(db, "week", at(11, 29, 21)) == {A: 10, B: 10}  # Auckland: week 49
    assert await board(db, "week", at(11, 29, 21), weeks_ago=1) == {A: 10}
    assert await board(db, "all", at(11, 29, 21)) == all_time
    weeks = await db.read(
        lambda s: s.execute(
            select(LeaderboardTotal.user_id, func.sum(LeaderboardTotal.points))
            .where(LeaderboardTotal.period.like("%-W%"), LeaderboardTotal.domain == "*")
            .group_by(LeaderboardTotal.user_id)
        ).all()
    )
    assert dict(weeks) == all_time  # every point in exactly one week
    await right(db, content, C, at(11, 29, 22))  # Monday in Auckland: this week
    assert await board(db, "week", at(11, 29, 23)) == {A: 10, B: 10, C: 10}
    again = await db.write(guild_time.set_timezone, GUILD, "pacific/auckland", at(11, 29, 23))
    assert again.rebuilt == 0


# -- daily drops across a change of timezone -----------------------------------------------------
Step = Callable[[datetime], Awaitable[None]]


async def run_daily_ticks(
    db: Database,
    content: ContentStore,
    start: datetime,
    end: datetime,
    events: dict[datetime, Step],
) -> list[DailyDrop]:
    """The daily tick every 10 minutes, posting what is due; `events` at their moment."""
    now = start
    while now <= end:
        if now in events:
            await events[now](now)
        for due in await db.read(daily.due_drops, now):
            drop = await db.write(daily.create_drop, content, due, now, random.Random(1))
            assert drop is not None
            await db.write(daily.posted, drop.id, 1234, now)
        now += timedelta(minutes=10)
    return await scalars(db, select(DailyDrop).order_by(DailyDrop.due_at))


def per_local_day(drops: list[DailyDrop], timezone: str) -> Counter[date]:
    return Counter(d.due_at.astimezone(zone(timezone)).date() for d in drops)


def move_to(db: Database, timezone: str, first: datetime) -> Step:
    """Move the guild to `timezone`; the next drop it announces must be `first`."""

    async def step(now: datetime) -> None:
        await db.write(guild_time.set_timezone, GUILD, timezone, now)
        assert await db.read(drop_days.next_drop, GUILD, now) == first

    return step


async def test_moving_west_gives_the_new_day_its_drop(db: Database, content: ContentStore) -> None:
    """Tokyo's Tuesday drop (Tuesday 00:00 UTC) falls on Monday in Los Angeles. Moved there
    an hour later, the guild gets Los Angeles' Tuesday drop at 09:00 all the same: its key
    has the timezone, so Tokyo's Tuesday does not take it."""
    await setup_guild(db, content, timezone="Asia/Tokyo", now=at(11, 29, 0))
    events = {at(12, 1, 1): move_to(db, "America/Los_Angeles", at(12, 1, 17))}
    drops = await run_daily_ticks(db, content, at(11, 29, 0), at(12, 3, 23, 50), events)
    la = per_local_day(drops, "America/Los_Angeles")
    assert sorted(la) == [date(2026, 11, 28) + timedelta(days=i) for i in range(6)]
    assert set(la.values()) == {1}
    assert [d.local_date for d in drops] == [
        date(2026, 11, 29), date(2026, 11, 30), date(2026, 12, 1),  # Tokyo's
        date(2026, 12, 1), date(2026, 12, 2), date(2026, 12, 3),  # Los Angeles'
    ]  # fmt: skip
    assert await get(db, Delivery, f"daily:{GUILD}:2026-12-01:America/Los_Angeles") is not None


async def test_moving_west_after_the_time_posts_the_day_late(
    db: Database, content: ContentStore
) -> None:
    """Moved to Los Angeles at noon there on Monday, before Tokyo's Tuesday drop: Monday in
    Los Angeles has had no drop (Tokyo's Monday one fell on Sunday there), so it comes at
    once rather than never."""
    await setup_guild(db, content, timezone="Asia/Tokyo", now=at(11, 29, 0))
    events = {at(11, 30, 20): move_to(db, "America/Los_Angeles", at(11, 30, 20))}
    drops = await run_daily_ticks(db, content, at(11, 29, 0), at(12, 2, 23, 50), events)
    la = per_local_day(drops, "America/Los_Angeles")
    assert sorted(la) == [date(2026, 11, 28) + timedelta(days=i) for i in range(5)]
    assert set(la.values()) == {1}
    assert drops[2].due_at == at(11, 30, 17)  # Monday 09:00 there, posted at 20:00 UTC
    assert drops[2].posted_at == at(11, 30, 20)


async def test_moving_east_skips_the_day_already_dropped(
    db: Database, content: ContentStore
) -> None:
    """Los Angeles' Monday drop (17:00 UTC) falls on Tuesday in Tokyo. Moved there an hour
    later, Tokyo's Tuesday gets no second drop: the next comes on Wednesday at 09:00."""
    await setup_guild(db, content, timezone="America/Los_Angeles", now=at(11, 29, 17))
    events = {at(11, 30, 18): move_to(db, "Asia/Tokyo", at(12, 2, 0))}
    drops = await run_daily_ticks(db, content, at(11, 29, 17), at(12, 3, 23, 50), events)
    tokyo = per_local_day(drops, "Asia/Tokyo")
    assert sorted(tokyo) == [date(2026, 11, 30) + timedelta(days=i) for i in range(4)]
    assert set(tokyo.values()) == {1}


async def test_a_stale_due_of_the_old_timezone_is_not_created(
    db: Database, content: ContentStore
) -> None:
    """A tick that read the settings before a move: its drop is not made (a second process
    posting the old timezone's drop and the new one's for the same local day)."""
    await setup_guild(db, content, timezone="America/Los_Angeles", now=at(11, 28, 0))
    (due,) = await db.read(daily.due_drops, at(11, 30, 17))
    await db.write(guild_time.set_timezone, GUILD, "Asia/Tokyo", at(11, 30, 17))
    assert await db.write(daily.create_drop, content, due, at(11, 30, 17), random.Random()) is None
    assert await scalar(db, select(func.count()).select_from(DailyDrop)) == 0


async def test_a_drop_made_before_the_timezone_was_kept(
    db: Database, content: ContentStore
) -> None:
    """A drop of the version before (no timezone, key daily:<guild>:<date>): today counts as
    dropped, and its retry and record use its own key."""
    now = at(11, 25, 8, 30)  # 09:30 in Berlin
    await setup_guild(db, content, now=now)
    old = DailyDrop(guild_id=GUILD, local_date=date(2026, 11, 25), timezone=None,
        question_id=next(iter(content.questions)), channel_id=777, status="failed",
        attempts=1, due_at=at(11, 25, 8), reveal_at=at(11, 25, 20), answers=0,
        shown_answers=0)  # fmt: skip
    await add(db, old)
    await db.write(lambda s: s.add(Delivery(key=f"daily:{GUILD}:2026-11-25", kind="daily",
        status="failed", claimed_by="old", claimed_at=at(11, 25, 8), attempts=1)))  # fmt: skip
    assert await db.read(daily.due_drops, now) == []
    assert await db.read(drop_days.next_drop, GUILD, now) == at(11, 26, 8)
    (retry,) = await db.read(daily.failed_drops, now)
    assert drop_days.key_of(retry) == f"daily:{GUILD}:2026-11-25"
    assert await db.write(daily.claim_retry, retry, now)
    await db.write(daily.posted, retry.id, 99, now)
    row = await get(db, Delivery, f"daily:{GUILD}:2026-11-25")
    assert (row.status, row.attempts) == ("sent", 2)


@pytest.mark.parametrize("name", ["Pacific/Chatham", "Asia/Kathmandu"])
def test_period_keys_in_a_timezone(name: str) -> None:
    """Sunday 11:00 UTC is already Monday in Chatham (+13:45), not yet in Kathmandu."""
    now = at(11, 29, 11)
    week = leaderboard.period_key("week", now, tz=zone(name))
    assert week == ("2026-W49" if name == "Pacific/Chatham" else "2026-W48")
    assert leaderboard.period_key("week", now, 1, zone(name)) < week
