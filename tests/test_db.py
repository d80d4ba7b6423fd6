"""SQLite runs in WAL with the pragmas the design asks for, and writers queue."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, text

from bot.db import Database
from bot.models import Meta, QuestionStat


async def test_sqlite_pragmas(sqlite_db: Database) -> None:
    async with sqlite_db.read() as session:
        assert (await session.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
        assert (await session.execute(text("PRAGMA foreign_keys"))).scalar() == 1
        assert (await session.execute(text("PRAGMA busy_timeout"))).scalar() == 5000
        assert (await session.execute(text("PRAGMA synchronous"))).scalar() == 1  # NORMAL


async def test_concurrent_writers_queue_instead_of_failing(sqlite_db_url: str) -> None:
    """Read-then-write transactions from many tasks and two engines: no 'database is locked'."""
    engines = [Database.from_url(sqlite_db_url), Database.from_url(sqlite_db_url)]
    async with engines[0].begin() as session:
        session.add(QuestionStat(question_id="q", answered=0, correct=0, flags=0))

    async def bump(db: Database) -> None:
        async with db.begin() as session:
            row = await session.get(QuestionStat, "q")
            assert row is not None
            await asyncio.sleep(0)  # let another writer try to interleave
            row.answered += 1

    await asyncio.gather(*(bump(engines[i % 2]) for i in range(60)))
    async with engines[0].read() as session:
        assert await session.scalar(select(QuestionStat.answered)) == 60
    for e in engines:
        await e.close()


async def test_transaction_rolls_back_on_error(db: Database) -> None:
    with pytest.raises(RuntimeError):
        async with db.begin() as session:
            session.add(Meta(key="k", value="v"))
            await session.flush()
            raise RuntimeError("boom")
    async with db.read() as session:
        assert await session.scalar(select(func.count()).select_from(Meta)) == 0


async def test_utc_datetimes_round_trip(db: Database) -> None:
    from bot.models import Member

    when = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    async with db.begin() as session:
        session.add(Member(user_id=1, created_at=when))
    async with db.read() as session:
        got = await session.scalar(select(Member.created_at))
    assert got == when
    assert got is not None
    assert got.tzinfo is not None


async def test_naive_datetimes_are_refused(db: Database) -> None:
    from sqlalchemy.exc import StatementError

    from bot.models import Member

    with pytest.raises(StatementError):
        async with db.begin() as session:
            session.add(Member(user_id=2, created_at=datetime(2026, 1, 1)))
