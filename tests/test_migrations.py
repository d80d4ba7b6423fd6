"""The migrations produce exactly the models' schema, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from bot.db import Database
from bot.models import Base


def _diff(connection: Connection) -> list[Any]:
    ctx = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(ctx, Base.metadata))


async def test_migrations_match_models(db: Database) -> None:
    assert await db.read(lambda s: _diff(s.connection())) == []


async def test_every_model_table_exists(db: Database) -> None:
    tables = await db.read(lambda s: set(inspect(s.connection()).get_table_names()))
    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables


async def test_upgrade_is_idempotent(db: Database) -> None:
    from bot.migrate import upgrade

    await upgrade(db.engine)
    assert await db.read(lambda s: _diff(s.connection())) == []


async def test_0002_keeps_the_enrolments(db_url: str) -> None:
    """Upgrading a database at 0001 keeps its enrolments, with next_at not worked out."""
    from sqlalchemy import text

    from bot.db import Database
    from bot.migrate import upgrade

    db = Database.from_url(db_url)

    def back_to_0001(session: Session) -> None:  # as a bot of that version left it
        _downgrade(session.connection(), "0001")
        session.execute(
            text(
                "INSERT INTO enrolments (user_id, timezone, start_date, weeks, reminder_time, "
                "reminder_day, deliver, status, created_at) VALUES (7, 'UTC', '2026-11-02', 12, "
                "'09:00', 0, 'dm', 'active', '2026-11-01 10:00:00')"
            )
        )

    await db.write(back_to_0001)
    await upgrade(db.engine)
    rows = await db.read(lambda s: s.execute(text("SELECT user_id, next_at FROM enrolments")).all())
    await db.close()
    assert [tuple(r) for r in rows] == [(7, None)]


def _downgrade(connection: object, revision: str) -> None:
    from alembic import command

    from bot.migrate import alembic_config

    cfg = alembic_config()
    cfg.attributes["connection"] = connection
    command.downgrade(cfg, revision)
