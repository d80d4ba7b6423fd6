"""Small helpers for statements written once for SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def dialect_of(session: Session) -> str:
    return session.get_bind().dialect.name


def dialect_insert(dialect: str, table: Any) -> Any:
    """The dialect's own INSERT, which has ON CONFLICT: PostgreSQL's or SQLite's."""
    return (postgresql if dialect == "postgresql" else sqlite).insert(table)


class Upsert:
    """INSERT … ON CONFLICT (keys) DO UPDATE, adding `counts` and replacing `overwrite`:
    one statement per dialect, built once, every column a bind parameter of its own name."""

    def __init__(
        self,
        table: Table,
        keys: tuple[str, ...],
        counts: tuple[str, ...] = (),
        overwrite: tuple[str, ...] = (),
    ) -> None:
        self.table, self.keys, self.counts, self.overwrite = table, keys, counts, overwrite
        self._built: dict[str, Any] = {}

    def statement(self, session: Session) -> Any:
        dialect = dialect_of(session)
        built = self._built.get(dialect)
        if built is None:
            table = self.table
            ins = dialect_insert(dialect, table).values(
                {c.name: bindparam(c.name) for c in table.columns}
            )
            if self.counts or self.overwrite:
                update = {name: table.c[name] + ins.excluded[name] for name in self.counts}
                update.update({name: ins.excluded[name] for name in self.overwrite})
                built = ins.on_conflict_do_update(index_elements=list(self.keys), set_=update)
            else:
                built = ins.on_conflict_do_nothing()
            self._built[dialect] = built
        return built

    def run(self, session: Session, rows: dict[str, Any] | list[dict[str, Any]]) -> int:
        """Execute for one row (returns the rows changed) or many."""
        result: Any = session.execute(self.statement(session), rows)
        return int(result.rowcount) if isinstance(rows, dict) else len(rows)
