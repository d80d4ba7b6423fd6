"""SQLite through aiosqlite with one thread hop per statement, and none for transactions.

SQLAlchemy's aiosqlite adapter makes four trips to the connection's thread for every
statement (open a cursor, execute, fetch, close); each trip wakes the event loop. This
adapter runs the whole statement — execute, fetch, read rowcount — in one trip, which
makes a typical unit of work several times faster.

BEGIN, COMMIT and ROLLBACK take no trip at all: they run on the event loop's thread.
In WAL mode with synchronous=NORMAL a commit appends to the log without an fsync (the
Database runs checkpoints, the part that does write and sync, off the loop), and this
process's writers queue on the Database's lock before they begin, so BEGIN IMMEDIATE
only waits when another process holds the lock; then it waits on the thread instead.
Under load each trip also waits its turn on a busy loop, and these three run while the
write lock is held, so taking them inline is what lets concurrent answers through.
Everything else is SQLAlchemy's own aiosqlite adapter.
"""

from __future__ import annotations

import collections
import sqlite3
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

Outcome = tuple[Any, list[Any], int, int | None]
BUSY_TIMEOUT_MS = 5000


def begin_now(raw: sqlite3.Connection, mode: str) -> bool:
    """BEGIN `mode` if that needs no waiting; False when another process holds the lock."""
    raw.execute("PRAGMA busy_timeout=0")
    try:
        raw.execute(f"BEGIN {mode}")
        return True
    except sqlite3.OperationalError as error:
        if error.sqlite_errorcode != sqlite3.SQLITE_BUSY:
            raise
        return False
    finally:
        raw.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")


def begin_waiting(raw: sqlite3.Connection, mode: str) -> None:
    """BEGIN `mode` on a connection whose busy timeout is 0, waiting up to BUSY_TIMEOUT_MS
    for another process's lock (run this on a worker thread)."""
    raw.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    try:
        raw.execute(f"BEGIN {mode}")
    finally:
        raw.execute("PRAGMA busy_timeout=0")


class OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ("_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: Any) -> None:
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> int:
        return self._lastrowid  # type: ignore[return-value]

    async def _async_soft_close(self) -> None:
        return None

    def close(self) -> None:
        self._rows.clear()

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        try:
            return await_(self._run(operation, parameters, many=False))
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        try:
            return await_(self._run(operation, seq_of_parameters, many=True))
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    async def _run(self, operation: Any, parameters: Any, *, many: bool) -> None:
        connection: aiosqlite.Connection = self._connection  # type: ignore[assignment]
        raw: sqlite3.Connection = connection._conn

        def work() -> Outcome:
            cursor = raw.cursor()
            try:
                if many:
                    cursor.executemany(operation, parameters)
                elif parameters is None:
                    cursor.execute(operation)
                else:
                    cursor.execute(operation, parameters)
                description = cursor.description
                rows = cursor.fetchall() if description else []
                return description, rows, cursor.rowcount, cursor.lastrowid
            finally:
                cursor.close()

        async with self._adapt_connection._execute_mutex:
            outcome: Outcome = await connection._execute(work)
        self._description, rows, self._rowcount, self._lastrowid = outcome
        self._rows = collections.deque(rows)


class OneHopConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = OneHopCursor

    def _sqlite(self) -> sqlite3.Connection | None:
        connection: aiosqlite.Connection = self._connection  # type: ignore[assignment]
        return connection._connection

    def begin(self, mode: str) -> None:
        """BEGIN `mode` inline; if another process holds the lock, wait for it on the thread."""
        raw = self._sqlite()
        assert raw is not None, "connection closed"
        if begin_now(raw, mode):
            return
        cursor = self.cursor()
        cursor.execute(f"BEGIN {mode}")
        cursor.close()

    def commit(self) -> None:
        self._end(sqlite3.Connection.commit)

    def rollback(self) -> None:
        self._end(sqlite3.Connection.rollback)

    def _end(self, how: Any) -> None:
        raw = self._sqlite()
        if raw is None:
            return
        try:
            how(raw)
        except Exception as error:
            self._handle_exception(error)


class OneHopDBAPI(AsyncAdapt_aiosqlite_dbapi):
    def __init__(self) -> None:
        super().__init__(aiosqlite, sqlite3)

    def connect(self, *arg: Any, **kw: Any) -> OneHopConnection:
        kw.pop("async_creator_fn", None)
        connection = aiosqlite.connect(*arg, **kw)
        connection._thread.daemon = True
        return OneHopConnection(self, await_(connection))  # type: ignore[arg-type]
