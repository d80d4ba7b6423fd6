"""The database: one async engine and session factory per process.

SQLite (the default) runs in WAL mode with foreign keys on and a busy timeout, and every
write transaction starts with BEGIN IMMEDIATE so that concurrent writers queue on the lock
instead of failing later with "database is locked". Reads run each statement on its own,
without BEGIN, so they never wait for writers (WAL) and cost one thread trip fewer.
PostgreSQL (asyncpg) uses the same models and migrations.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, closing
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry

from bot.prepared import Runner
from bot.sqlite_driver import BUSY_TIMEOUT_MS, OneHopDBAPI, begin_waiting

log = logging.getLogger(__name__)

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA foreign_keys=ON",
    f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
    "PRAGMA wal_autocheckpoint=0",  # the Database checkpoints, off the event loop
)


def is_sqlite(url: str | URL) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _prepare_sqlite_file(url: URL) -> None:
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An engine for `url` with the SQLite pragmas and BEGIN IMMEDIATE for writes."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 20)
        kwargs.setdefault("pool_pre_ping", True)
        return create_async_engine(parsed, **kwargs)

    _prepare_sqlite_file(parsed)
    engine = create_async_engine(
        parsed,
        module=OneHopDBAPI(),
        connect_args={"timeout": 5, "check_same_thread": False},
        **kwargs,
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: ConnectionPoolEntry) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        if mode != "NONE":  # reads run each statement on its own, without BEGIN
            conn.connection.dbapi_connection.begin(mode)

    return engine


CHECKPOINT_EVERY = 64  # write transactions between WAL checkpoints


class Checkpointer:
    """Checkpoints an SQLite WAL on a worker thread, every CHECKPOINT_EVERY write transactions.

    The connections have automatic checkpoints off: SQLite would run them inside a COMMIT,
    which runs on the event loop (see bot/sqlite_driver.py), and a checkpoint writes to the
    database file and syncs it. A PASSIVE checkpoint never blocks readers or writers.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._writes = 0
        self._running: asyncio.Future[None] | None = None
        self.runs = 0

    def wrote(self) -> None:
        self._writes += 1
        if self._writes >= CHECKPOINT_EVERY and (self._running is None or self._running.done()):
            self._writes = 0
            self._running = asyncio.get_running_loop().run_in_executor(None, self.checkpoint)

    def checkpoint(self, mode: str = "PASSIVE") -> None:
        try:
            with closing(sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000)) as conn:
                conn.execute(f"PRAGMA wal_checkpoint({mode})")
            self.runs += 1
        except sqlite3.Error as error:  # the next one catches up
            log.warning("WAL checkpoint failed: %s", error)

    async def wait(self) -> None:
        if self._running is not None:
            await self._running


class Database:
    """The engine and the two ways to open a unit of work."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.url = engine.url
        self.is_sqlite = engine.url.get_backend_name() == "sqlite"
        self._writer = async_sessionmaker(engine, expire_on_commit=False)
        reader_engine = engine.execution_options(sqlite_begin="NONE")
        self._reader = async_sessionmaker(reader_engine, expire_on_commit=False)
        # SQLite has one writer at a time. Queue this process's writers here, in order,
        # rather than in SQLite's busy handler, which is not fair and can starve a writer
        # past busy_timeout under load; busy_timeout still covers other processes.
        self._write_lock = asyncio.Lock() if self.is_sqlite else None
        database = self.url.database if self.is_sqlite else None
        self.checkpointer = Checkpointer(database) if database and database != ":memory:" else None
        # the connections of write() and query(), made on first use
        self._hot: sqlite3.Connection | None = None
        self._reads: sqlite3.Connection | None = None

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> Database:
        return cls(create_engine(url, **kwargs))

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[AsyncSession]:
        """A write transaction: commits on success, rolls back on error."""
        if self._write_lock is None:
            async with self._writer.begin() as session:
                yield session
            return
        async with self._write_lock, self._writer.begin() as session:
            yield session
        if self.checkpointer is not None:
            self.checkpointer.wrote()

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Runner]:
        """A write transaction of prepared statements only: the hot path, with no ORM session.

        On SQLite it runs on a connection of its own, on the event loop's thread, queued
        behind the same lock as `begin()` (see bot/prepared.py for why).
        """
        if not self.is_sqlite:
            async with self.engine.begin() as conn:
                yield Runner(conn.dialect, conn=conn)
            return
        if self.checkpointer is None:  # :memory:, a single connection
            async with self.begin() as session:
                yield await Runner.of(session)
            return
        assert self._write_lock is not None
        async with self._write_lock:
            raw = self._hot_connection()
            try:
                raw.execute("BEGIN IMMEDIATE")  # its busy timeout is 0: this never waits
            except sqlite3.OperationalError as error:
                if error.sqlite_errorcode != sqlite3.SQLITE_BUSY:
                    raise
                # another process holds the lock: wait for it off the loop
                await asyncio.to_thread(begin_waiting, raw, "IMMEDIATE")
            try:
                yield Runner(self.engine.dialect, raw=raw)
                raw.commit()
            except BaseException:
                if raw.in_transaction:
                    raw.rollback()
                raise
        self.checkpointer.wrote()

    @asynccontextmanager
    async def query(self) -> AsyncIterator[Runner]:
        """Reads by prepared statements (leaderboards): on SQLite, on a thread-free
        connection of their own; WAL readers never wait for the writer."""
        if not self.is_sqlite:
            async with self.engine.connect() as conn:
                yield Runner(conn.dialect, conn=conn)
            return
        if self.checkpointer is None:  # :memory:, a single connection
            async with self.read() as session:
                yield await Runner.of(session)
            return
        if self._reads is None:
            # a WAL reader waits only while the log is recovered (at start): briefly
            self._reads = self._connect(busy_ms=100)
        yield Runner(self.engine.dialect, raw=self._reads)

    def _connect(self, busy_ms: int) -> sqlite3.Connection:
        """An sqlite3 connection for use on the event loop's thread."""
        assert self.checkpointer is not None
        conn = sqlite3.connect(
            self.checkpointer.path,
            timeout=BUSY_TIMEOUT_MS / 1000,
            isolation_level=None,
            check_same_thread=False,
        )
        for pragma in (*SQLITE_PRAGMAS, f"PRAGMA busy_timeout={busy_ms}"):
            conn.execute(pragma)
        return conn

    def _hot_connection(self) -> sqlite3.Connection:
        if self._hot is None:
            self._hot = self._connect(busy_ms=0)  # see write(): it never waits on the loop
        return self._hot

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A read-only unit of work that never takes SQLite's write lock."""
        async with self._reader() as session, session.begin():
            yield session

    async def ping(self) -> None:
        """Raise if the database cannot be reached."""
        from sqlalchemy import text

        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def close(self) -> None:
        if self.checkpointer is not None:
            await self.checkpointer.wait()
        for conn in (self._hot, self._reads):
            if conn is not None:  # the last connection to close checkpoints: off the loop
                await asyncio.to_thread(conn.close)
        self._hot = self._reads = None
        await self.engine.dispose()


async def fetch_tuples(session: AsyncSession, query: Any) -> list[tuple[Any, ...]]:
    """The rows of a Core select as plain tuples, for bulk reads of many rows.

    On SQLite the statement runs in one trip to the connection's thread and skips
    SQLAlchemy's per-row processing (values come back as the driver returns them: dates
    as text); elsewhere it is an ordinary execute.
    """
    conn = await session.connection()
    if conn.dialect.name != "sqlite":
        return [tuple(row) for row in (await conn.execute(query)).all()]
    compiled = query.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    params = compiled.construct_params()
    processors = compiled._bind_processors
    values = [
        processors[name](params[name]) if name in processors else params[name]
        for name in compiled.positiontup or ()
    ]
    raw = await conn.get_raw_connection()
    driver: Any = raw.driver_connection  # the aiosqlite connection
    rows = await driver.execute_fetchall(compiled.string, values)
    return list(rows)
