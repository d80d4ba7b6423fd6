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


async def test_prepared_statements_round_trip_values(db: Database) -> None:
    """Datetimes go in and come out as UTC, literals and LIMIT keep their values."""
    from sqlalchemy import bindparam, insert

    from bot.models import Member
    from bot.prepared import Prepared

    table = Member.__table__
    add = Prepared(insert(table).values(user_id=bindparam("uid"), created_at=bindparam("at")))
    latest = Prepared(
        select(table.c.user_id, table.c.created_at)
        .where(table.c.created_at >= bindparam("since"), table.c.dms_closed.is_(False))
        .order_by(table.c.created_at.desc())
        .limit(1)
    )
    when = datetime(2026, 3, 29, 1, 30, 15, 250_000, tzinfo=UTC)
    async with db.write() as w:
        for i in range(3):
            assert await w.run(add, {"uid": i + 1, "at": when.replace(hour=i)}) == 1
    async with db.write() as w:
        rows = await w.rows(latest, {"since": when.replace(hour=0)})
    assert rows == [(3, when.replace(hour=2))]
    assert rows[0][1].tzinfo is not None


async def test_write_rolls_back_on_error(db: Database) -> None:
    from sqlalchemy import bindparam, insert

    from bot.prepared import Prepared

    add = Prepared(insert(Meta.__table__).values(key=bindparam("k"), value="v"))
    with pytest.raises(RuntimeError):
        async with db.write() as w:
            await w.run(add, {"k": "a"})
            raise RuntimeError("boom")
    async with db.read() as session:
        assert await session.scalar(select(func.count()).select_from(Meta)) == 0


def test_prepared_statements_refuse_in_lists() -> None:
    from sqlalchemy.dialects import sqlite

    from bot.prepared import Prepared

    statement = Prepared(select(Meta.key).where(Meta.key.in_(["a", "b"])))
    with pytest.raises(ValueError, match="IN lists"):
        statement.compiled(sqlite.dialect())


async def test_write_and_begin_from_two_processes_queue(sqlite_db_url: str) -> None:
    """The hot path's own connection and the ORM's, in two Databases (as two processes)."""
    from sqlalchemy import bindparam, update

    from bot.prepared import Prepared

    first, second = Database.from_url(sqlite_db_url), Database.from_url(sqlite_db_url)
    async with first.begin() as session:
        session.add(QuestionStat(question_id="q", answered=0, correct=0, flags=0))
    stats = QuestionStat.__table__
    bump_sql = Prepared(
        update(stats)
        .where(stats.c.question_id == bindparam("q"))
        .values(answered=stats.c.answered + 1)
    )

    async def hot(db: Database) -> None:
        async with db.write() as w:
            await w.run(bump_sql, {"q": "q"})
            await asyncio.sleep(0)

    async def orm(db: Database) -> None:
        async with db.begin() as session:
            row = await session.get(QuestionStat, "q")
            assert row is not None
            await asyncio.sleep(0)
            row.answered += 1

    jobs = [(hot if i % 3 else orm)((first, second)[i % 2]) for i in range(60)]
    await asyncio.gather(*jobs)
    async with first.read() as session:
        assert await session.scalar(select(QuestionStat.answered)) == 60
    for db in (first, second):
        await db.close()


async def test_a_lock_held_elsewhere_waits_off_the_loop(sqlite_db: Database) -> None:
    """BEGIN runs inline, but when another process holds the write lock the wait happens on
    a worker thread: the event loop keeps serving everything else."""
    import sqlite3

    from sqlalchemy import bindparam, insert

    from bot.prepared import Prepared

    other = sqlite3.connect(sqlite_db.checkpointer.path, isolation_level=None)  # type: ignore[union-attr]
    other.execute("BEGIN IMMEDIATE")
    add = Prepared(insert(Meta.__table__).values(key=bindparam("k"), value="v"))

    async def hot() -> None:
        async with sqlite_db.write() as w:
            await w.run(add, {"k": "hot"})

    async def orm() -> None:
        async with sqlite_db.begin() as session:
            session.add(Meta(key="orm", value="v"))

    for job in (hot, orm):
        task = asyncio.create_task(job())
        ticks = 0
        while ticks < 20:  # the loop runs while the write waits for the lock
            await asyncio.sleep(0.005)
            ticks += 1
        assert not task.done()
        other.execute("COMMIT")
        await task
        other.execute("BEGIN IMMEDIATE")
    other.execute("COMMIT")
    other.close()
    async with sqlite_db.read() as session:
        assert set(await session.scalars(select(Meta.key))) == {"hot", "orm"}


async def test_checkpoints_run_every_so_many_writes(sqlite_db: Database) -> None:
    from sqlalchemy import bindparam, insert

    from bot.db import CHECKPOINT_EVERY
    from bot.prepared import Prepared

    checkpointer = sqlite_db.checkpointer
    assert checkpointer is not None
    add = Prepared(insert(Meta.__table__).values(key=bindparam("k"), value="v"))
    for i in range(CHECKPOINT_EVERY * 2):
        async with sqlite_db.write() as w:
            await w.run(add, {"k": str(i)})
        await checkpointer.wait()
    assert checkpointer.runs == 2


async def test_prepared_statements_on_an_in_memory_database() -> None:
    """:memory: has one shared connection: write() and query() go through it."""
    from sqlalchemy import bindparam, insert

    from bot.migrate import upgrade
    from bot.prepared import Prepared

    db = Database.from_url("sqlite+aiosqlite:///:memory:")
    await upgrade(db.engine)
    add = Prepared(insert(Meta.__table__).values(key=bindparam("k"), value="v"))
    async with db.write() as w:
        await w.run(add, {"k": "a"})
    async with db.query() as q:
        assert await q.rows(Prepared(select(Meta.key))) == [("a",)]
    await db.close()
