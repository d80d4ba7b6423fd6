"""Statements written once for SQLite and PostgreSQL, and the fast path for the hot ones.

A click on a quiz answer runs about fifteen small statements (primary-key reads, one-row
upserts). Through `Session.execute` each costs 40 to 60 µs of SQLAlchemy's execution
machinery against a few µs in SQLite itself, which held a busy server to about 450
answers a second. A `Prepared` statement is an ordinary Core statement, compiled once per
dialect with SQLAlchemy's public compiler API (`Compiled.string`, `positiontup`, `binds`),
whose values go through the type processors SQLAlchemy itself would use
(`TypeEngine.dialect_impl(dialect).bind_processor` and `result_processor`: datetimes stay
UTC). On SQLite it runs on the DB-API connection of the session's own transaction
(`Connection.connection.driver_connection`), so it takes part in the unit of work's
SAVEPOINT and commit like any other statement; on PostgreSQL it is a plain
`session.execute`. It runs wherever the unit of work runs: never on the event loop.

A prepared statement cannot expand IN lists, and must give every column it writes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable

Params = Mapping[str, Any]
Processor = Callable[[Any], Any] | None
_RAW = "sql.raw"  # session.info key: the sqlite3 connection of the session's transaction


def dialect_of(session: Session) -> str:
    return session.get_bind().dialect.name


def dialect_insert(dialect: str, table: Any) -> Any:
    """The dialect's own INSERT, which has ON CONFLICT: PostgreSQL's or SQLite's."""
    return (postgresql if dialect == "postgresql" else sqlite).insert(table)


def _sqlite_connection(session: Session) -> sqlite3.Connection | None:
    """The sqlite3 connection under the session's transaction (None on PostgreSQL)."""
    if _RAW not in session.info:
        conn = session.connection()
        sqlite_conn = conn.dialect.name == "sqlite"
        session.info[_RAW] = conn.connection.driver_connection if sqlite_conn else None
    raw: sqlite3.Connection | None = session.info[_RAW]
    return raw


@dataclass(frozen=True, slots=True)
class _Plan:
    """A statement compiled for SQLite: its SQL, parameter order and value processors."""

    sql: str
    names: tuple[str, ...]
    binds: tuple[Processor, ...]
    results: tuple[Processor, ...]
    fixed: Mapping[str, Any]  # values written into the statement (literals)

    def args(self, params: Params) -> tuple[Any, ...]:
        out = []
        for name, bind in zip(self.names, self.binds, strict=True):
            value = params[name] if name in params else self.fixed[name]
            out.append(value if bind is None or value is None else bind(value))
        return tuple(out)

    def row(self, raw: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(
            value if result is None or value is None else result(value)
            for value, result in zip(raw, self.results, strict=True)
        )


def _columns(statement: Any) -> Sequence[Any]:
    """The columns a statement returns (a SELECT's, or an INSERT's RETURNING)."""
    selected = getattr(statement, "selected_columns", None)
    if selected is not None:
        return list(selected)
    return list(getattr(statement, "exported_columns", ()))


def _plan(statement: Any, dialect: Dialect) -> _Plan:
    compiled: Any = statement.compile(dialect=dialect)
    if "POSTCOMPILE" in compiled.string:
        raise ValueError("a prepared statement cannot expand IN lists: use OR")
    names = tuple(compiled.positiontup or ())
    params = [compiled.binds[name] for name in names]
    binds = tuple(p.type.dialect_impl(dialect).bind_processor(dialect) for p in params)
    results = tuple(
        column.type.dialect_impl(dialect).result_processor(dialect, None)
        for column in _columns(statement)
    )
    fixed = {name: p.value for name, p in zip(names, params, strict=True) if not p.required}
    return _Plan(compiled.string, names, binds, results, fixed)


class Prepared:
    """A Core statement with named bind parameters, compiled once per dialect.

    `build` is the statement, or a function of the dialect's name that returns it (for
    the dialects' own INSERT … ON CONFLICT).
    """

    __slots__ = ("_build", "_plans", "_statements")

    def __init__(self, build: Executable | Callable[[str], Executable]) -> None:
        self._build = build
        self._statements: dict[str, Executable] = {}
        self._plans: dict[str, _Plan] = {}

    def statement(self, dialect: str) -> Any:
        found = self._statements.get(dialect)
        if found is None:
            build = self._build
            found = build if isinstance(build, Executable) else build(dialect)
            self._statements[dialect] = found
        return found

    def _sqlite(self, session: Session) -> tuple[sqlite3.Connection, _Plan] | None:
        raw = _sqlite_connection(session)
        if raw is None:
            return None
        plan = self._plans.get("sqlite")
        if plan is None:
            dialect = session.get_bind().dialect
            plan = self._plans["sqlite"] = _plan(self.statement("sqlite"), dialect)
        return raw, plan

    def rows(self, session: Session, params: Params | None = None) -> list[tuple[Any, ...]]:
        params = params or {}
        fast = self._sqlite(session)
        if fast is None:
            result = session.execute(self.statement(dialect_of(session)), dict(params))
            return [tuple(row) for row in result]
        raw, plan = fast
        found = raw.execute(plan.sql, plan.args(params)).fetchall()
        if not any(plan.results):  # no column needs converting: sqlite3's tuples as they are
            return found
        return [plan.row(r) for r in found]

    def first(self, session: Session, params: Params | None = None) -> tuple[Any, ...] | None:
        rows = self.rows(session, params)
        return rows[0] if rows else None

    def scalar(self, session: Session, params: Params | None = None) -> Any:
        row = self.first(session, params)
        return row[0] if row is not None else None

    def run(self, session: Session, params: Params | None = None) -> int:
        """Execute a write; returns the number of rows it changed."""
        params = params or {}
        fast = self._sqlite(session)
        if fast is None:
            result: Any = session.execute(self.statement(dialect_of(session)), dict(params))
            return int(result.rowcount)
        raw, plan = fast
        return raw.execute(plan.sql, plan.args(params)).rowcount

    def run_many(self, session: Session, rows: Sequence[Params]) -> None:
        if not rows:
            return
        fast = self._sqlite(session)
        if fast is None:
            session.execute(self.statement(dialect_of(session)), [dict(r) for r in rows])
            return
        raw, plan = fast
        raw.executemany(plan.sql, _args(plan, rows))


def _args(plan: _Plan, rows: Iterable[Params]) -> Iterable[tuple[Any, ...]]:
    return (plan.args(r) for r in rows)


def upsert(
    table: Table,
    keys: tuple[str, ...],
    counts: tuple[str, ...] = (),
    overwrite: tuple[str, ...] = (),
) -> Prepared:
    """INSERT … ON CONFLICT (keys) DO UPDATE adding `counts` and replacing `overwrite` (or
    DO NOTHING when there are neither), every column a bind parameter of its own name."""

    def build(dialect: str) -> Any:
        ins = dialect_insert(dialect, table).values(
            {c.name: bindparam(c.name) for c in table.columns}
        )
        if not counts and not overwrite:
            return ins.on_conflict_do_nothing()
        update = {name: table.c[name] + ins.excluded[name] for name in counts}
        update.update({name: ins.excluded[name] for name in overwrite})
        return ins.on_conflict_do_update(index_elements=list(keys), set_=update)

    return Prepared(build)
