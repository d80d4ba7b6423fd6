"""The database: two doors, each a unit of work that runs off the event loop.

A unit of work is a plain function whose first argument is an SQLAlchemy `Session`
(services in `bot/services/` are such functions). It never runs on the event loop's thread,
so a slow query or a busy lock can never stall Discord's heartbeat or a click.

+----------------------------+---------------------------------+------------------------------+
| door                       | use it for                      | runs                         |
+============================+=================================+==============================+
| await db.read(fn, *a, **k) | anything that only reads: a     | SQLite: on a reader thread,  |
|                            | status, a leaderboard, what a   | in one snapshot (WAL readers |
|                            | tick has to do                  | never wait for the writer).  |
|                            |                                 | PostgreSQL: run_sync.        |
+----------------------------+---------------------------------+------------------------------+
| await db.write(fn, *a, **k)| anything that changes rows: an  | SQLite: on the one writer    |
|                            | answer, a claim, a setting. The | thread, in arrival order.    |
|                            | transaction commits when fn     | PostgreSQL: run_sync in a    |
|                            | returns, rolls back if it raises| transaction.                 |
+----------------------------+---------------------------------+------------------------------+

`fn(session, *args, **kw)`'s return value (or exception) comes back to the caller after the
transaction has committed (or rolled back), never before: nothing is sent to Discord on the
strength of a row that could still be rolled back. Services do not commit; the door does.

SQLite (the default) runs in WAL mode with synchronous=NORMAL, foreign keys on and a busy
timeout. It has one writer at a time, so this process has exactly one writer: a thread
that takes units of work in the order they arrive (fair: nobody waits in SQLite's busy
handler, which is not). When several are queued it runs them in one transaction, each in a
SAVEPOINT of its own, and commits once: a unit that fails rolls back alone, and the commit
(the costly part of a small write) is shared. Their callers then resume one per turn of the
event loop, so a large batch never holds the loop in one go. Automatic WAL checkpoints are
off (they would run inside a commit); a PASSIVE checkpoint runs on another thread every
CHECKPOINT_EVERY committed units, and a final one when the database closes.

PostgreSQL (asyncpg) uses the same models, migrations and services through SQLAlchemy's
asyncio extension: `run_sync` hands the unit of work a `Session` whose statements are
awaited on the loop, and several units run at once on the connection pool.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Concatenate, Literal, ParamSpec, TypeVar

from sqlalchemy import Engine, event, text
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry, StaticPool

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")
UnitOfWork = Callable[Concatenate[Session, P], T]

BUSY_TIMEOUT_MS = 5000
SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA foreign_keys=ON",
    f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
    "PRAGMA wal_autocheckpoint=0",  # the Database checkpoints, off the writer thread
)
READERS = 4  # SQLite reader threads
MAX_BATCH = 64  # units of work sharing one commit, at most
CHECKPOINT_EVERY = 64  # committed units of work between WAL checkpoints


def is_sqlite(url: str | URL) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def sqlite_path(url: str | URL) -> str | None:
    """The file of an SQLite URL (None for an in-memory database)."""
    database = make_url(url).database
    return database if database and database != ":memory:" else None


def create_sqlite_engine(url: str | URL, **kwargs: Any) -> Engine:
    """A synchronous engine on the standard library's sqlite3, with the pragmas above.

    Transactions begin as the session's `sqlite_begin` execution option says: IMMEDIATE
    (the default: a writer takes the lock at BEGIN and queues there) or DEFERRED (reads).
    """
    parsed = make_url(url).set(drivername="sqlite+pysqlite")
    path = sqlite_path(parsed)
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("pool_size", READERS + 2)
    else:  # one connection shared by every thread: the database lives in it
        kwargs.setdefault("poolclass", StaticPool)
    engine = create_sync_engine(
        parsed,
        connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
        **kwargs,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
        dbapi_conn.isolation_level = None  # SQLAlchemy, not sqlite3, decides when to BEGIN
        for pragma in SQLITE_PRAGMAS:
            dbapi_conn.execute(pragma)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


@dataclass
class _Job:
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Any]


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.cancelled():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


Outcome = tuple[asyncio.Future[Any], Any, BaseException | None]


def _settle_in_turn(loop: asyncio.AbstractEventLoop, outcomes: deque[Outcome]) -> None:
    """Settle one committed unit's future, and the next in the loop's next turn: a batch of
    64 does not wake 64 handlers (each rendering and sending a reply) in one turn of the
    loop, which would hold its timers and sockets for a few hundred milliseconds."""
    _settle(*outcomes.popleft())
    if outcomes:
        loop.call_soon(_settle_in_turn, loop, outcomes)


class _Writer:
    """The one SQLite writer thread: units of work in arrival order, committed in groups."""

    def __init__(self, engine: Engine, committed: Callable[[int], None]) -> None:
        self.engine = engine
        self._committed = committed
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="db-writer", daemon=True)
        self._thread.start()
        self.batches = 0
        self.units = 0

    def submit(self, job: _Job) -> None:
        self._jobs.put(job)

    def stop(self) -> None:
        """Finish the queued units of work, then end the thread."""
        self._jobs.put(None)
        self._thread.join()

    def _run(self) -> None:
        stopping = False
        while not stopping:
            job = self._jobs.get()
            if job is None:
                break
            batch = [job]
            while len(batch) < MAX_BATCH:
                try:
                    more = self._jobs.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stopping = True
                    break
                batch.append(more)
            self._run_batch(batch)

    def _run_batch(self, batch: list[_Job]) -> None:
        outcomes: list[tuple[Any, BaseException | None]] = []
        try:
            # a unit alone in its batch needs no savepoint: its failure rolls back the whole
            # transaction, which is its own
            mode: Literal["create_savepoint", "rollback_only"] = (
                "create_savepoint" if len(batch) > 1 else "rollback_only"
            )
            with self.engine.connect() as conn, conn.begin():
                for job in batch:
                    with Session(
                        bind=conn, join_transaction_mode=mode, expire_on_commit=False
                    ) as session:
                        try:
                            result = job.fn(session, *job.args, **job.kwargs)
                            session.commit()  # releases its savepoint
                            outcomes.append((result, None))
                        except Exception as refused:
                            session.rollback()  # back to its savepoint; the others stand
                            outcomes.append((None, refused))
        except Exception as failed:  # BEGIN or COMMIT failed: nothing of the batch stands
            log.warning("a write transaction of %d units failed: %s", len(batch), failed)
            outcomes = [(None, failed)] * len(batch)
        self.batches += 1
        self.units += len(batch)
        self._committed(sum(1 for _, problem in outcomes if problem is None))
        by_loop: dict[asyncio.AbstractEventLoop, deque[Outcome]] = {}
        for job, (value, problem) in zip(batch, outcomes, strict=True):
            by_loop.setdefault(job.loop, deque()).append((job.future, value, problem))
        for loop, settled in by_loop.items():
            loop.call_soon_threadsafe(_settle_in_turn, loop, settled)


class Database:
    """The engine and the two doors (see the table above)."""

    def __init__(self, url: str | URL, **engine_kwargs: Any) -> None:
        self.url = make_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        self.engine: Engine | AsyncEngine
        self.path = sqlite_path(self.url) if self.is_sqlite else None
        self._checkpoints = 0
        self._since_checkpoint = 0
        self._closed = False
        self.observe_write: Callable[[float], None] | None = None  # seconds to commit: metrics
        if self.is_sqlite:
            engine = create_sqlite_engine(self.url, **engine_kwargs)
            self.engine = engine
            self._reading = sessionmaker(
                engine.execution_options(sqlite_begin="DEFERRED"), expire_on_commit=False
            )
            self._writer: _Writer | None = _Writer(engine, self._committed)
            # an in-memory database has one connection: its reads queue with the writes
            self._readers = ThreadPoolExecutor(READERS, "db-read") if self.path else None
            self._maintenance = ThreadPoolExecutor(1, "db-checkpoint") if self.path else None
        else:
            engine_kwargs.setdefault("pool_size", 10)
            engine_kwargs.setdefault("max_overflow", 20)
            engine_kwargs.setdefault("pool_pre_ping", True)
            self.engine = create_async_engine(self.url, **engine_kwargs)
            self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)
            self._writer = None
            self._readers = self._maintenance = None

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> Database:
        return cls(url, **kwargs)

    # -- the two doors -----------------------------------------------------------------------
    async def read(self, fn: UnitOfWork[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Run `fn(session, *args, **kwargs)` in a read-only transaction, off the loop."""
        if not self.is_sqlite:
            async with self._sessions() as session:
                return await session.run_sync(fn, *args, **kwargs)
        if self._readers is None:  # in memory: the writer's connection is the only one
            return await self.write(fn, *args, **kwargs)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._readers, self._read_now, fn, args, kwargs)

    def _read_now(self, fn: Callable[..., T], args: Any, kwargs: Any) -> T:
        with self._reading() as session:
            return fn(session, *args, **kwargs)

    async def write(self, fn: UnitOfWork[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Run `fn(session, *args, **kwargs)` in a write transaction, off the loop; the
        result comes back once the transaction has committed."""
        if self._closed:
            raise RuntimeError("the database is closed")
        started = time.perf_counter()
        try:
            if self._writer is None:
                async with self._sessions.begin() as session:
                    return await session.run_sync(fn, *args, **kwargs)
            loop = asyncio.get_running_loop()
            future: asyncio.Future[T] = loop.create_future()
            self._writer.submit(_Job(fn, args, kwargs, loop, future))
            return await future
        finally:
            if self.observe_write is not None:
                self.observe_write(time.perf_counter() - started)

    # -- upkeep ------------------------------------------------------------------------------
    def _committed(self, units: int) -> None:
        """Called by the writer thread after each commit."""
        self._since_checkpoint += units
        if self._maintenance is not None and self._since_checkpoint >= CHECKPOINT_EVERY:
            self._since_checkpoint = 0
            self._maintenance.submit(self.checkpoint)

    def checkpoint(self, mode: str = "PASSIVE") -> None:
        """Copy the write-ahead log into the database file (blocking: call it off the loop).

        PASSIVE never blocks readers or the writer; TRUNCATE (at close) also empties the log.
        """
        if self.path is None:
            return
        try:
            with contextlib.closing(
                sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000)
            ) as conn:
                conn.execute(f"PRAGMA wal_checkpoint({mode})")
            self._checkpoints += 1
        except sqlite3.Error as error:  # the next one catches up
            log.warning("WAL checkpoint failed: %s", error)

    @property
    def checkpoints(self) -> int:
        return self._checkpoints

    @property
    def write_stats(self) -> tuple[int, int]:
        """(transactions, units of work) the SQLite writer has committed."""
        return (self._writer.batches, self._writer.units) if self._writer else (0, 0)

    async def ping(self) -> None:
        """Raise if the database cannot be reached."""
        await self.read(_ping)

    async def close(self) -> None:
        """Finish the queued writes, checkpoint the log (SQLite) and release every connection."""
        if self._closed:
            return
        self._closed = True
        if isinstance(self.engine, AsyncEngine):
            await self.engine.dispose()
            return
        writer, readers, maintenance = self._writer, self._readers, self._maintenance
        engine = self.engine

        def shut() -> None:
            if writer is not None:
                writer.stop()
            for pool in (readers, maintenance):
                if pool is not None:
                    pool.shutdown(wait=True)
            self.checkpoint("TRUNCATE")
            engine.dispose()

        await asyncio.to_thread(shut)


def _ping(session: Session) -> None:
    session.execute(text("SELECT 1"))
