"""Daily drops and leaderboards at the service level, with a fixed clock."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.content import ContentStore, Question
from bot.db import Database
from bot.models import DailyDrop, Delivery, Streak
from bot.services import daily, drop_answers, leaderboard
from bot.services.answers import record_answer
from bot.services.errors import InvalidInput
from bot.services.periods import iso_week
from tests.conftest import get, scalar, scalars

GUILD, ADMIN = 900_000_000_000_000_001, 42
A, B, C = 1, 2, 3


async def setup_guild(
    db: Database,
    content: ContentStore,
    *,
    guild_id: int = GUILD,
    time: str = "09:00",
    timezone: str = "Europe/Berlin",
    domains: str | None = None,
    now: datetime,
) -> None:
    await db.write(
        daily.configure,
        content,
        guild_id=guild_id,
        channel_id=777,
        time=time,
        timezone=timezone,
        role_id=None,
        domains=domains,
        reveal_after=12,
        setup_by=ADMIN,
        shard_key=0,
        now=now - SET_UP_BEFORE,  # the drops from `now` on are the guild's first
    )


SET_UP_BEFORE = timedelta(days=1)


async def drop_for(
    db: Database, content: ContentStore, now: datetime, rng: random.Random | None = None
) -> DailyDrop:
    due = await db.read(daily.due_drops, now)
    assert len(due) == 1
    drop = await db.write(daily.create_drop, content, due[0], now, rng or random.Random(1))
    assert drop is not None
    await db.write(daily.posted, drop.id, message_id=1234, now=now)
    return drop


def wrong(q: Question) -> str:
    return next(x for x in q.letters if x not in q.answer)


async def test_setup_refuses_bad_input(db: Database, content: ContentStore) -> None:
    now = datetime(2026, 11, 25, 7, 0, tzinfo=UTC)
    for kwargs, message in [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"time": "25:00"}, "25:00"),
        ({"domains": "lowcode,nope"}, "Unknown domain"),
    ]:
        with pytest.raises(InvalidInput, match=message):
            await setup_guild(db, content, now=now, **kwargs)  # type: ignore[arg-type]


async def test_due_across_timezones_and_dst(db: Database, content: ContentStore) -> None:
    # Berlin leaves summer time on 2026-10-25; 09:00 local stays 09:00 local.
    await setup_guild(db, content, now=datetime(2026, 10, 20, tzinfo=UTC))
    await setup_guild(
        db,
        content,
        guild_id=GUILD + 1,
        timezone="America/Los_Angeles",
        time="18:30",
        now=datetime(2026, 10, 20, tzinfo=UTC),
    )
    before = await db.read(daily.due_drops, datetime(2026, 10, 24, 6, 59, tzinfo=UTC))
    summer = await db.read(daily.due_drops, datetime(2026, 10, 24, 7, 0, tzinfo=UTC))
    winter_early = await db.read(daily.due_drops, datetime(2026, 10, 26, 7, 59, tzinfo=UTC))
    winter = await db.read(daily.due_drops, datetime(2026, 10, 26, 8, 0, tzinfo=UTC))
    la = await db.read(daily.due_drops, datetime(2026, 10, 27, 1, 30, tzinfo=UTC))
    assert [d.guild_id for d in before] == [GUILD + 1]  # LA's drop of the 23rd is still due
    assert any(d.guild_id == GUILD and d.day == date(2026, 10, 24) for d in summer)
    assert all(d.guild_id != GUILD for d in winter_early)
    assert any(d.guild_id == GUILD and d.day == date(2026, 10, 26) for d in winter)
    assert any(d.guild_id == GUILD + 1 and d.day == date(2026, 10, 26) for d in la)


async def test_exactly_once_when_ticks_race(db: Database, content: ContentStore) -> None:
    now = datetime(2026, 11, 25, 8, 5, tzinfo=UTC)
    await setup_guild(db, content, now=now)
    due = (await db.read(daily.due_drops, now))[0]

    async def claim() -> bool:
        return await db.write(daily.create_drop, content, due, now, random.Random()) is not None

    results = await asyncio.gather(*(claim() for _ in range(5)))
    assert sorted(results) == [False, False, False, False, True]
    assert await scalar(db, select(func.count()).select_from(DailyDrop)) == 1
    assert await db.read(daily.due_drops, now) == []  # claimed: not due again


async def test_rotation_never_repeats_until_the_bank_is_used(
    db: Database, content: ContentStore
) -> None:
    start = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
    await setup_guild(db, content, timezone="UTC", domains="serving", now=start)
    bank = set(content.by_domain["serving"])
    seen: list[str] = []
    for day in range(len(bank) + 3):
        now = start + timedelta(days=day)
        drop = await drop_for(db, content, now, random.Random(day))
        seen.append(drop.question_id)
    first_cycle = seen[: len(bank)]
    assert set(first_cycle) == bank
    assert len(set(first_cycle)) == len(bank)
    assert len(set(seen[len(bank) :])) == 3


async def test_rotation_prefers_recent_misses(db: Database, content: ContentStore) -> None:
    now = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
    await setup_guild(db, content, timezone="UTC", domains="pipelines", now=now)
    target = content.questions[content.by_domain["pipelines"][-1]]
    await db.write(
        record_answer,
        content,
        user_id=A,
        guild_id=GUILD,
        question_id=target.id,
        choice=wrong(target),
        source="quiz",
        now=now - timedelta(days=1),
    )
    settings = await db.write(daily.get_settings, GUILD)
    chosen = await db.write(daily.choose_question, content, settings, now, random.Random(5))
    assert chosen == target.id


async def test_answers_reveal_stats_and_streaks(db: Database, content: ContentStore) -> None:
    day1 = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    await setup_guild(db, content, timezone="UTC", time="08:00", now=day1)
    drop1 = await drop_for(db, content, day1)
    q1 = content.questions[drop1.question_id]
    await db.write(
        drop_answers.answer,
        content,
        drop_id=drop1.id,
        user_id=A,
        choice=q1.key,
        now=day1 + timedelta(minutes=1),
    )
    await db.write(
        drop_answers.answer,
        content,
        drop_id=drop1.id,
        user_id=B,
        choice=wrong(q1),
        now=day1 + timedelta(minutes=2),
    )
    await db.write(
        drop_answers.answer,
        content,
        drop_id=drop1.id,
        user_id=C,
        choice=q1.key,
        now=day1 + timedelta(minutes=3),
    )
    again = await db.write(  # B clicks again, the right key this time: one answer each
        drop_answers.answer,
        content,
        drop_id=drop1.id,
        user_id=B,
        choice=q1.key,
        now=day1 + timedelta(minutes=4),
    )
    assert (again.choice, again.correct) == (wrong(q1), False)  # the first answer stands
    assert await db.read(drop_answers.due_reveals, day1 + timedelta(hours=11)) == []
    assert await db.read(drop_answers.due_reveals, day1 + timedelta(hours=12)) == [drop1.id]
    stats = await db.read(drop_answers.reveal_stats, drop1.id)
    assert (stats.answered, stats.correct, stats.first_correct) == (3, 2, [A, C])
    assert stats.counts[wrong(q1)] >= 1
    assert await db.write(drop_answers.claim_reveal, drop1.id, day1 + timedelta(hours=12))
    assert not await db.write(drop_answers.claim_reveal, drop1.id, day1 + timedelta(hours=12))
    await db.write(drop_answers.revealed, drop1.id, day1 + timedelta(hours=12))
    with pytest.raises(drop_answers.DropClosed):
        await db.write(
            drop_answers.answer,
            content,
            drop_id=drop1.id,
            user_id=99,
            choice="A",
            now=day1 + timedelta(hours=13),
        )

    day2 = day1 + timedelta(days=1)
    drop2 = await drop_for(db, content, day2)
    q2 = content.questions[drop2.question_id]
    await db.write(
        drop_answers.answer, content, drop_id=drop2.id, user_id=A, choice=q2.key, now=day2
    )
    await db.write(
        drop_answers.answer, content, drop_id=drop2.id, user_id=C, choice=wrong(q2), now=day2
    )
    await db.write(
        drop_answers.answer, content, drop_id=drop2.id, user_id=B, choice=q2.key, now=day2
    )
    streaks = {r.user_id: (r.current, r.best) for r in await scalars(db, select(Streak))}
    assert streaks == {A: (2, 2), B: (1, 1), C: (0, 1)}


async def test_failures_pause_after_three(db: Database, content: ContentStore) -> None:
    now = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
    await setup_guild(db, content, timezone="UTC", time="08:00", now=now)
    due = (await db.read(daily.due_drops, now))[0]
    drop = await db.write(daily.create_drop, content, due, now, random.Random())
    assert drop is not None
    assert await db.write(daily.post_failed, drop.id, "404 10003: Unknown Channel", now) is None
    for attempt in (2, 3):
        retry = await db.read(daily.failed_drops, now)
        assert [d.id for d in retry] == [drop.id]
        assert await db.write(daily.claim_retry, retry[0], now)
        paused = await db.write(daily.post_failed, drop.id, "404 10003: Unknown Channel", now)
        assert (paused is not None) == (attempt == 3)
    settings = await db.read(daily.get_settings, GUILD)
    assert settings.paused
    assert "Unknown Channel" in (settings.pause_reason or "")
    assert await db.read(daily.failed_drops, now) == []
    row = await get(db, Delivery, due.key)
    assert row is not None
    assert (row.status, row.attempts) == ("failed", 3)


async def test_leaderboard_order_rank_and_weekly_summary(
    db: Database, content: ContentStore
) -> None:
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    last_week = now - timedelta(days=7)
    qs = list(content.questions.values())
    # user 1: 3 right this week; user 2: 3 right, earlier; users 10..24: 2 right each
    for i, q in enumerate(qs[:3]):
        await db.write(
            record_answer,
            content,
            user_id=2,
            guild_id=GUILD,
            question_id=q.id,
            choice=q.key,
            source="quiz",
            now=now - timedelta(hours=5 - i),
        )
        await db.write(
            record_answer,
            content,
            user_id=1,
            guild_id=GUILD,
            question_id=q.id,
            choice=q.key,
            source="quiz",
            now=now - timedelta(hours=1 - i),
        )
    for user in range(10, 25):
        for q in qs[:2]:
            await db.write(
                record_answer,
                content,
                user_id=user,
                guild_id=GUILD,
                question_id=q.id,
                choice=q.key,
                source="quiz",
                now=now - timedelta(days=1),
            )
    await db.write(
        record_answer,
        content,
        user_id=99,
        guild_id=GUILD,
        question_id=qs[5].id,
        choice=wrong(qs[5]),
        source="daily",
        now=now,
    )
    await db.write(
        record_answer,
        content,
        user_id=2,
        guild_id=GUILD,
        question_id=qs[4].id,
        choice=qs[4].key,
        source="quiz",
        now=last_week,
    )
    week = iso_week(now)
    board = await db.read(leaderboard.board, guild_id=GUILD, key=week, caller_id=99)
    all_time = await db.read(leaderboard.board, guild_id=GUILD, key="all")
    summary = await db.read(leaderboard.weekly_summary, guild_id=GUILD, week=week)
    assert [r.user_id for r in board.top[:2]] == [2, 1]  # tie on 3 points: 2 got there first
    assert len(board.top) == 10
    assert board.caller is not None
    assert board.caller.user_id == 99
    assert board.caller.points == 2
    assert board.caller.rank == 18  # ties at 2 points: the others got there first
    assert all_time.top[0].user_id == 2
    assert all_time.top[0].points == 4
    assert [r.user_id for r in summary.top[:2]] == [2, 1]
    assert summary.improver == (2, 2)  # 1 point last week, 3 this week


def test_period_keys() -> None:
    now = datetime(2026, 11, 25, tzinfo=UTC)
    assert leaderboard.period_key("week", now) == "2026-W48"
    assert leaderboard.period_key("week", now, weeks_ago=2) == "2026-W46"
    assert leaderboard.period_key("month", now) == "2026-11"
    assert leaderboard.period_key("all", now) == "all"
    with pytest.raises(InvalidInput):
        leaderboard.period_key("year", now)
