"""Alembic environment. The URL comes from the bot's settings.

`bot.migrate.upgrade()` runs the migrations for the bot by handing a connection in
`config.attributes["connection"]`; the `alembic` command line runs them against
DATABASE_URL: SQLite through the standard library's sqlite3, PostgreSQL through asyncpg.
"""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from bot.db import create_sqlite_engine, is_sqlite
from bot.models import Base

config = context.config
target_metadata = Base.metadata


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )


def do_run_migrations(connection: Connection) -> None:
    _configure(connection)
    with context.begin_transaction():
        context.run_migrations()


async def run_async_migrations() -> None:
    from bot.config import DEFAULT_DATABASE_URL

    url = config.get_main_option("sqlalchemy.url") or os.environ.get(
        "DATABASE_URL", DEFAULT_DATABASE_URL
    )
    if is_sqlite(url):
        sync_engine = create_sqlite_engine(url)
        try:
            with sync_engine.connect() as connection:
                do_run_migrations(connection)
                connection.commit()
        finally:
            sync_engine.dispose()
        return
    engine = create_async_engine(url)
    try:
        async with engine.connect() as async_connection:
            await async_connection.run_sync(do_run_migrations)
            await async_connection.commit()
    finally:
        await engine.dispose()


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
elif (conn := config.attributes.get("connection")) is not None:
    do_run_migrations(conn)
else:
    asyncio.run(run_async_migrations())
