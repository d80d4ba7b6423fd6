"""Hot-path statements: Core statements compiled once and run straight on the driver.

A click on a quiz answer runs a dozen small statements (primary-key reads, single-row
upserts). Through an AsyncSession each cost 0.2 to 0.5 ms of SQLAlchemy's execution
machinery on the development machine, against microseconds in SQLite itself; that
overhead, not the database, held answers to about a hundred a second.

A `Prepared` statement is an ordinary Core statement, so it is written once for both
databases. On SQLite it is compiled once and run on a sqlite3 connection on the event
loop's thread: `Database.write()`'s own connection (quiz and review clicks, behind the
writer lock), `Database.query()`'s (leaderboards: WAL readers never wait), or through
`Runner.of(session)` the connection of an ORM session's transaction. The statements are
index lookups and single-row writes, so they take microseconds and never wait on a lock.
Values go through the bind and result processors SQLAlchemy would use (dates in and out
as UTC datetimes). On PostgreSQL a runner is an ordinary execute on an AsyncConnection.
A prepared statement cannot expand IN lists, and an INSERT must set every column that
has no plain default.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.sql import Executable

Params = Mapping[str, Any]
Processor = Callable[[Any], Any] | None


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]
    binds: tuple[Processor, ...]
    results: tuple[Processor, ...]
    fixed: Mapping[str, Any]  # the values written into the statement (literals, LIMIT)

    def args(self, params: Params) -> tuple[Any, ...]:
        fixed = self.fixed
        out = []
        for name, bind in zip(self.names, self.binds, strict=True):
            value = params[name] if name in params else fixed[name]
            out.append(value if bind is None or value is None else bind(value))
        return tuple(out)

    def row(self, raw: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(
            value if result is None or value is None else result(value)
            for value, result in zip(raw, self.results, strict=True)
        )


def dialect_insert(dialect: str, table: Any) -> Any:
    """The dialect's own INSERT, which has ON CONFLICT: PostgreSQL's or SQLite's."""
    return (postgresql if dialect == "postgresql" else sqlite).insert(table)


def _memo(processor: Processor) -> Processor:
    """`processor` remembering its recent results: a unit of work binds the same few
    values (its `now`, ids) many times, and converting a datetime costs microseconds."""
    if processor is None:
        return None
    cached = lru_cache(maxsize=256)(processor)

    def process(value: Any) -> Any:
        try:
            return cached(value)
        except TypeError:  # unhashable
            return processor(value)

    return process


class Prepared:
    """A Core statement with named bind parameters, compiled once.

    `build` is the statement, or a function of the dialect's name that returns it (for
    the dialects' own INSERT … ON CONFLICT).
    """

    __slots__ = ("_build", "_compiled", "_statements")

    def __init__(self, build: Executable | Callable[[str], Executable]) -> None:
        self._build = build
        self._statements: dict[str, Executable] = {}
        self._compiled: _Compiled | None = None

    def statement(self, dialect: str) -> Executable:
        statement = self._statements.get(dialect)
        if statement is None:
            build = self._build
            statement = build if isinstance(build, Executable) else build(dialect)
            self._statements[dialect] = statement
        return statement

    def compiled(self, dialect: Dialect) -> _Compiled:
        """The SQLite form: SQL text, parameter order and value processors."""
        if self._compiled is None:
            statement: Any = self.statement(dialect.name)
            compiled: Any = statement.compile(dialect=dialect)
            if "POSTCOMPILE" in compiled.string:
                raise ValueError("a prepared statement cannot expand IN lists: use OR")
            names = tuple(compiled.positiontup or ())
            processors = compiled._bind_processors
            results = tuple(
                column.type._cached_result_processor(dialect, None)
                for column in compiled._result_columns
            )
            fixed = {
                name: value
                for name, value in compiled.construct_params(_check=False).items()
                if value is not None
            }
            for column in (*compiled.insert_prefetch, *compiled.update_prefetch):
                default = column.default if compiled.isinsert else column.onupdate
                if default is None or not default.is_scalar:
                    raise ValueError(f"a prepared statement must set {column.key}")
                fixed[column.key] = default.arg
            self._compiled = _Compiled(
                compiled.string,
                names,
                tuple(_memo(processors.get(n)) for n in names),
                results,
                fixed,
            )
        return self._compiled


_RUNNER = "prepared.runner"  # session.info key: (transaction, runner)


class Runner:
    """Runs prepared statements in one transaction: on an sqlite3 connection used from the
    event loop's thread (`raw`), or on an AsyncConnection (PostgreSQL)."""

    __slots__ = ("_conn", "_dialect", "_raw")

    def __init__(
        self,
        dialect: Dialect,
        *,
        conn: AsyncConnection | None = None,
        raw: sqlite3.Connection | None = None,
    ) -> None:
        assert (conn is None) != (raw is None)
        self._conn, self._dialect, self._raw = conn, dialect, raw

    @classmethod
    async def of(cls, session: AsyncSession) -> Runner:
        """The runner for `session`'s transaction (which it begins if it has not yet)."""
        if session.new or session.dirty or session.deleted:
            await session.flush()  # prepared statements may refer to rows added through the ORM
        transaction = session.sync_session.get_transaction()
        cached = session.info.get(_RUNNER)
        if cached is not None and transaction is not None and cached[0] is transaction:
            return cached[1]
        conn = await session.connection()
        if conn.dialect.name != "sqlite":
            runner = cls(conn.dialect, conn=conn)
        else:
            fairy = await conn.get_raw_connection()
            driver: Any = fairy.driver_connection  # the aiosqlite connection
            runner = cls(conn.dialect, raw=driver._conn)
        session.info[_RUNNER] = (session.sync_session.get_transaction(), runner)
        return runner

    async def rows(self, prepared: Prepared, params: Params | None = None) -> list[tuple[Any, ...]]:
        params = params or {}
        if self._conn is not None:
            result = await self._conn.execute(prepared.statement(self._dialect.name), dict(params))
            return [tuple(row) for row in result]
        assert self._raw is not None
        plan = prepared.compiled(self._dialect)
        return [plan.row(r) for r in self._raw.execute(plan.sql, plan.args(params)).fetchall()]

    async def first(
        self, prepared: Prepared, params: Params | None = None
    ) -> tuple[Any, ...] | None:
        rows = await self.rows(prepared, params)
        return rows[0] if rows else None

    async def run(self, prepared: Prepared, params: Params | None = None) -> int:
        """Execute a write; returns the number of rows it changed."""
        params = params or {}
        if self._conn is not None:
            result: Any = await self._conn.execute(
                prepared.statement(self._dialect.name), dict(params)
            )
            return int(result.rowcount)
        assert self._raw is not None
        plan = prepared.compiled(self._dialect)
        return self._raw.execute(plan.sql, plan.args(params)).rowcount

    async def run_many(self, prepared: Prepared, rows: Sequence[Params]) -> None:
        if not rows:
            return
        if self._conn is not None:
            await self._conn.execute(
                prepared.statement(self._dialect.name), [dict(r) for r in rows]
            )
            return
        assert self._raw is not None
        plan = prepared.compiled(self._dialect)
        self._raw.executemany(plan.sql, _args(plan, rows))


def _args(plan: _Compiled, rows: Iterable[Params]) -> Iterable[tuple[Any, ...]]:
    return (plan.args(r) for r in rows)
