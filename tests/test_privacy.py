"""Members' data and guilds' data, table by table: whatever table a feature adds, a member's
export shows their rows, their delete removes them (and nobody else's), and a guild's purge
leaves nothing tied to it. The rows are made from the schema itself, so a new table with a
`user_id` or `guild_id` column is covered the day it is added, or this test fails."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from bot.db import Database
from bot.models import Base, Delivery, PracticeSession
from bot.services import privacy
from tests.conftest import FIXED_NOW

ME, OTHER = 1001, 1002
GUILD, OTHER_GUILD = 7001, 7002
MEMBER_COLUMN, GUILD_COLUMN = "user_id", "guild_id"


def tables_with(column: str) -> list[Table]:
    return [t for t in Base.metadata.sorted_tables if column in t.columns]


def value_for(column: Any, n: int) -> Any:
    kind = getattr(column.type, "impl", column.type).python_type  # a TypeDecorator's own
    if kind is bool:
        return False
    if kind is datetime:
        return FIXED_NOW
    if kind is date:
        return date(2026, 1, 1) + timedelta(days=n)
    if kind is str:
        return f"v{n}"
    if kind is int:
        return 50_000 + n
    raise AssertionError(f"no test value for {column} ({column.type!r})")


def insert_row(session: Session, table: Table, n: int, **given: Any) -> dict[str, Any]:
    """A row of `table` with every required column filled (parents made for foreign keys)."""
    row: dict[str, Any] = {}
    for column in table.columns:
        if column.name in given:
            row[column.name] = given[column.name]
        elif column.foreign_keys:
            (fk,) = column.foreign_keys
            parent = insert_row(session, fk.column.table, n, **pick(fk.column.table, given))
            row[column.name] = parent[fk.column.name]
        elif column is table.autoincrement_column:
            continue  # the database numbers it
        elif not column.nullable or column.primary_key:
            row[column.name] = value_for(column, n)
    result = session.execute(table.insert().values(**row))
    if result.inserted_primary_key:
        names = [c.name for c in table.primary_key]
        row.update(zip(names, result.inserted_primary_key, strict=True))
    return row


def pick(table: Table, given: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in given.items() if k in table.columns}


def count(session: Session, table: Table, column: str, value: int) -> int:
    return session.scalar(select(func.count()).select_from(table).where(table.c[column] == value))


async def test_every_table_with_a_member_is_exported_and_deleted(db: Database) -> None:
    def seed(session: Session) -> None:
        for n, table in enumerate(tables_with(MEMBER_COLUMN)):
            for user in (ME, OTHER):
                insert_row(session, table, n * 2 + (user == OTHER), user_id=user)
        mine = insert_row(session, PracticeSession.__table__, 90, user_id=ME)
        for key in (f"remind:{ME}:3", f"exam:{mine['id']}", f"mock:5:{ME}", f"remind:{OTHER}:3"):
            session.add(Delivery(key=key, kind="x", status="sent", claimed_at=FIXED_NOW))

    await db.write(seed)
    exported = await db.read(privacy.export_member, ME, FIXED_NOW)
    exported_tables = {m.__table__ for m in privacy.MEMBER_TABLES.values()}
    for table in tables_with(MEMBER_COLUMN):
        if table.name == "practice_sessions":
            assert [s["user_id"] for s in exported["practice_sessions"]] == [ME, ME]
            continue
        assert table in exported_tables, f"{table.name} is not in privacy.MEMBER_TABLES"
    for name, rows in exported.items():
        if isinstance(rows, list) and name != "reminders_and_results":
            assert rows, name
            assert all(r["user_id"] == ME for r in rows), name
    keys = sorted(r["key"] for r in exported["reminders_and_results"])
    assert keys == sorted([f"remind:{ME}:3", f"exam:{keys[0].split(':')[1]}", f"mock:5:{ME}"])

    gone = await db.write(privacy.delete_member, ME)
    assert gone.rows > len(tables_with(MEMBER_COLUMN))

    def left(session: Session) -> dict[str, tuple[int, int]]:
        return {
            t.name: (count(session, t, MEMBER_COLUMN, ME), count(session, t, MEMBER_COLUMN, OTHER))
            for t in tables_with(MEMBER_COLUMN)
        }

    assert set((await db.read(left)).values()) == {(0, 1)}  # mine gone, the other's kept
    remaining = await db.read(lambda s: sorted(s.scalars(select(Delivery.key))))
    assert remaining == [f"remind:{OTHER}:3"]
    empty = await db.read(privacy.export_member, ME, FIXED_NOW)
    assert all(v == [] for v in empty.values() if isinstance(v, list))


async def test_a_purged_guild_leaves_no_row_tied_to_it(db: Database) -> None:
    def seed(session: Session) -> None:
        for n, table in enumerate(tables_with(GUILD_COLUMN)):
            for guild in (GUILD, OTHER_GUILD):
                insert_row(session, table, n * 2 + (guild == OTHER_GUILD), guild_id=guild)
        # the rows that hang off a guild's live quiz and mock-exam day
        for table in (Base.metadata.tables["live_answers"], Base.metadata.tables["mock_entries"]):
            for guild in (GUILD, OTHER_GUILD):
                insert_row(session, table, 40 + (guild == OTHER_GUILD), guild_id=guild)

    await db.write(seed)

    def left(session: Session) -> dict[str, tuple[int, int]]:
        found = {
            t.name: (
                count(session, t, GUILD_COLUMN, GUILD),
                count(session, t, GUILD_COLUMN, OTHER_GUILD),
            )
            for t in tables_with(GUILD_COLUMN)
        }
        for name, parent in (("live_answers", "live_quizzes"), ("mock_entries", "mock_days")):
            child, owner = Base.metadata.tables[name], Base.metadata.tables[parent]
            key = next(iter(child.foreign_keys)).parent
            others = session.scalar(
                select(func.count())
                .select_from(child.join(owner, key == owner.c.id))
                .where(owner.c.guild_id == OTHER_GUILD)
            )
            everyone = session.scalar(select(func.count()).select_from(child))
            found[name] = (everyone - others, others)  # the first: GUILD's, or orphans
        return found

    before = await db.read(left)
    assert all(mine > 0 for mine, _ in before.values())
    await db.write(privacy.purge_guild, GUILD)
    after = await db.read(left)
    assert after == {name: (0, others) for name, (_, others) in before.items()}


def test_the_row_factory_fills_what_the_schema_requires() -> None:
    """The factory above covers every column type the schema uses (else a new one fails
    here first, with its name)."""
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if not column.nullable and not column.foreign_keys:
                value_for(column, 1)
    assert isinstance(value_for(Base.metadata.tables["answers"].c.answered_at, 1), datetime)
