"""The two doors: SQLite in WAL with the design's pragmas, one fair writer that groups
commits, readers that never wait, and the same behaviour on PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import Session

from bot.db import CHECKPOINT_EVERY, Database
from bot.migrate import upgrade
from bot.models import Member, Meta, QuestionStat
from tests.conftest import add, scalar, scalars


def _pragmas(session: Session) -> tuple[object, ...]:
    return tuple(
        session.execute(text(f"PRAGMA {name}")).scalar()
        for name in ("journal_mode", "foreign_keys", "busy_timeout", "synchronous")
    )


async def test_sqlite_pragmas(sqlite_db: Database) -> None:
    assert await sqlite_db.read(_pragmas) == ("wal", 1, 5000, 1)  # synchronous=NORMAL
    assert await sqlite_db.write(_pragmas) == ("wal", 1, 5000, 1)


def _bump(session: Session, key: str = "q") -> int:
    """Read, then write what was read: lost updates would show if writers interleaved."""
    row = session.get(QuestionStat, key, with_for_update=True)  # PostgreSQL: lock the row
    assert row is not None
    row.answered += 1
    session.flush()
    return row.answered


async def test_writers_from_many_tasks_and_two_processes_queue(sqlite_db_url: str) -> None:
    """Read-then-write units from many tasks and two Databases (as two processes): every
    update lands, none fails with 'database is locked'."""
    first, second = Database.from_url(sqlite_db_url), Database.from_url(sqlite_db_url)
    await add(first, QuestionStat(question_id="q", answered=0, correct=0, flags=0))
    seen = await asyncio.gather(*(db.write(_bump) for db in (first, second) * 40))
    assert sorted(seen) == list(range(1, 81))
    assert await scalar(first, select(QuestionStat.answered)) == 80
    for db in (first, second):
        await db.close()


async def test_a_failing_unit_rolls_back_alone(db: Database) -> None:
    """Units of work queued together share a commit; one that raises rolls back only its
    own changes, and the caller gets the exception."""
    await add(db, QuestionStat(question_id="q", answered=0, correct=0, flags=0))

    def boom(session: Session) -> None:
        session.add(Meta(key="lost", value="v"))
        session.flush()
        raise RuntimeError("boom")

    results = await asyncio.gather(
        db.write(_bump), db.write(boom), db.write(_bump), return_exceptions=True
    )
    assert sorted([results[0], results[2]]) == [1, 2]  # type: ignore[type-var]
    assert isinstance(results[1], RuntimeError)
    assert await scalar(db, select(func.count()).select_from(Meta)) == 0
    assert await scalar(db, select(QuestionStat.answered)) == 2


async def test_a_failing_unit_alone_leaves_nothing_and_the_next_write_runs(db: Database) -> None:
    """A unit alone in its batch runs without a savepoint: when it raises, its whole
    transaction is rolled back and the writer goes on with the next unit."""

    def boom(session: Session) -> None:
        session.add(Meta(key="lost", value="v"))
        session.flush()
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        await db.write(boom)
    await add(db, Meta(key="kept", value="v"))
    assert await scalar(db, select(Meta.key)) == "kept"


async def test_the_result_comes_after_the_commit(sqlite_db: Database) -> None:
    """When a write's result arrives, another connection already sees the row."""

    def insert(session: Session) -> str:
        session.add(Meta(key="k", value="v"))
        return "done"

    assert await sqlite_db.write(insert) == "done"
    assert sqlite_db.path is not None
    other = sqlite3.connect(sqlite_db.path)
    assert other.execute("SELECT value FROM meta WHERE key = 'k'").fetchone() == ("v",)
    other.close()


async def test_utc_datetimes_round_trip(db: Database) -> None:
    when = datetime(2026, 3, 29, 1, 30, 15, 250_000, tzinfo=UTC)
    await add(db, Member(user_id=1, created_at=when))
    got = await scalar(db, select(Member.created_at))
    assert got == when
    assert got.tzinfo is not None
    with pytest.raises(StatementError):
        await add(db, Member(user_id=2, created_at=datetime(2026, 1, 1)))


async def test_a_lock_held_elsewhere_never_blocks_the_loop(sqlite_db: Database) -> None:
    """Another process holds SQLite's write lock: our write waits for it on the writer
    thread, reads carry on (WAL), and the event loop keeps running."""
    assert sqlite_db.path is not None
    other = sqlite3.connect(sqlite_db.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    task = asyncio.create_task(add(sqlite_db, Meta(key="k", value="v")))
    loop = asyncio.get_running_loop()
    started = loop.time()
    for _ in range(20):  # the loop runs while the write waits for the lock
        await asyncio.sleep(0.005)
    assert loop.time() - started < 1.0
    assert await scalar(sqlite_db, select(func.count()).select_from(Meta)) == 0
    assert not task.done()
    other.execute("COMMIT")
    other.close()
    await task
    assert await scalars(sqlite_db, select(Meta.key)) == ["k"]


async def test_units_of_work_never_run_on_the_loop_thread(db: Database) -> None:
    loop_thread = threading.get_ident()

    def where(_session: Session) -> int:
        return threading.get_ident()

    if db.is_sqlite:
        assert await db.read(where) != loop_thread
        assert await db.write(where) != loop_thread
    else:  # asyncpg: run_sync hands the session over on the loop, statements are awaited
        assert await db.write(where) == loop_thread


async def test_checkpoints_run_every_so_many_writes(sqlite_db: Database) -> None:
    def put(session: Session, key: str) -> None:
        session.add(Meta(key=key, value="v"))

    for i in range(CHECKPOINT_EVERY * 2):
        await sqlite_db.write(put, str(i))
    for _ in range(100):
        if sqlite_db.checkpoints >= 2:
            break
        await asyncio.sleep(0.01)
    assert sqlite_db.checkpoints == 2


async def test_close_finishes_queued_writes_and_empties_the_log(sqlite_db_url: str) -> None:
    db = Database.from_url(sqlite_db_url)

    def put(session: Session, key: str) -> None:
        session.add(Meta(key=key, value="v"))

    writes = [asyncio.ensure_future(db.write(put, str(i))) for i in range(10)]
    await asyncio.sleep(0)
    await db.close()
    await asyncio.gather(*writes)
    assert db.path is not None
    wal = db.path + "-wal"  # checkpointed at close: the log is empty or gone
    assert await asyncio.to_thread(lambda: not os.path.exists(wal) or os.path.getsize(wal) == 0)
    conn = sqlite3.connect(db.path)
    assert conn.execute("SELECT count(*) FROM meta").fetchone() == (10,)
    conn.close()
    with pytest.raises(RuntimeError, match="closed"):
        await db.write(put, "late")


async def test_an_in_memory_database_works_through_both_doors() -> None:
    """:memory: has one connection: reads queue with the writes on the writer thread."""
    db = Database.from_url("sqlite:///:memory:")
    await upgrade(db.engine)
    await add(db, Meta(key="a", value="v"))
    assert await scalars(db, select(Meta.key)) == ["a"]
    await db.close()


async def test_postgres_and_sqlite_run_the_same_unit_of_work(db: Database) -> None:
    await add(db, QuestionStat(question_id="q", answered=0, correct=0, flags=0))

    def change(session: Session) -> int:
        session.execute(update(QuestionStat).values(answered=QuestionStat.answered + 5))
        return _bump(session)

    assert await db.write(change) == 6
    assert await db.read(lambda s: s.get(QuestionStat, "q").answered) == 6  # type: ignore[union-attr]
