"""Shared fixtures: real SQLite files and (when TEST_POSTGRES_URL is set) real PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import sqlite3
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.content import ContentStore, load_content
from bot.db import Database
from bot.migrate import upgrade

ROOT = Path(__file__).resolve().parent.parent
CONTENT_DIR = ROOT / "content"
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL")
NO_POSTGRES = "TEST_POSTGRES_URL is not set: PostgreSQL tests skipped (CI sets it)"

FIXED_NOW = datetime(2026, 11, 25, 14, 30, tzinfo=UTC)  # a Wednesday


# -- reading and writing rows from a test (the app goes through services) ----------------------
async def scalar(db: Database, statement: Any) -> Any:
    return await db.read(lambda s: s.scalar(statement))


async def scalars(db: Database, statement: Any) -> list[Any]:
    return await db.read(lambda s: list(s.scalars(statement)))


async def get(db: Database, model: Any, key: Any) -> Any:
    return await db.read(lambda s: s.get(model, key))


async def execute(db: Database, statement: Any) -> list[Any]:
    """The rows of a read, or the rows changed by a write (UPDATE, DELETE)."""
    if getattr(statement, "is_select", False):
        return await db.read(lambda s: list(s.execute(statement)))
    return await db.write(lambda s: s.execute(statement).rowcount)  # type: ignore[attr-defined]


async def add(db: Database, *rows: Any) -> None:
    await db.write(lambda s: s.add_all(rows))


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


@asynccontextmanager
async def write_lock_held(url: str, seconds: float) -> AsyncIterator[None]:
    """Another connection takes the SQLite database's write lock and holds it `seconds`
    (as a long write in another process, or a slow disk, does): the bot's writes wait
    behind it. The block runs while it is held; leaving it waits for the release."""
    path = make_url(url).database
    assert path, f"{url} is not an SQLite file"
    taken = threading.Event()

    def hold() -> None:
        with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as conn:
            conn.execute("BEGIN IMMEDIATE")
            taken.set()
            time.sleep(seconds)
            conn.execute("ROLLBACK")

    holder = asyncio.ensure_future(asyncio.to_thread(hold))
    await asyncio.to_thread(taken.wait, 5)
    try:
        yield
    finally:
        await holder


async def reset_postgres(url: str) -> None:
    """Drop everything in the test database's public schema.

    A connection an earlier test left open in a transaction would make the DROP wait for
    ever: after 30 s it fails instead, naming what that connection last ran."""
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("SET LOCAL lock_timeout = '30s'"))
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
    except DBAPIError:
        blockers = await _open_transactions(engine)
        raise RuntimeError(f"connections left open block the reset: {blockers}") from None
    finally:
        await engine.dispose()


async def _open_transactions(engine: AsyncEngine) -> list[tuple[str, str]]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT state, query FROM pg_stat_activity"
                " WHERE datname = current_database() AND state <> 'idle'"
                " AND pid <> pg_backend_pid()"
            )
        )
        return [(str(state), str(query)) for state, query in rows]


@pytest.fixture(scope="session")
def content() -> ContentStore:
    return load_content(CONTENT_DIR)


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite file migrated to head once per run; tests get a copy."""
    path = tmp_path_factory.mktemp("template") / "template.db"

    async def build() -> None:
        db = Database.from_url(sqlite_url(path))
        await upgrade(db.engine)
        await db.close()

    asyncio.run(build())
    return path


def _copy_template(template: Path, dest: Path) -> str:
    shutil.copyfile(template, dest)
    return sqlite_url(dest)


@pytest.fixture
def sqlite_db_url(migrated_template: Path, tmp_path: Path) -> str:
    return _copy_template(migrated_template, tmp_path / "bot.db")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgres" and not POSTGRES_URL:
        pytest.skip(NO_POSTGRES)
    return str(request.param)


@pytest.fixture
async def db_url(backend: str, migrated_template: Path, tmp_path: Path) -> str:
    """A migrated database on each backend: SQLite always, PostgreSQL when configured."""
    if backend == "sqlite":
        return _copy_template(migrated_template, tmp_path / "bot.db")
    assert POSTGRES_URL
    await reset_postgres(POSTGRES_URL)
    engine = create_async_engine(POSTGRES_URL)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()
    return POSTGRES_URL


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database.from_url(db_url)
    yield database
    await database.close()


@pytest.fixture
async def sqlite_db(sqlite_db_url: str) -> AsyncIterator[Database]:
    database = Database.from_url(sqlite_db_url)
    yield database
    await database.close()


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No bot settings from the environment or a .env file."""
    for key in list(os.environ):
        if key in {
            "DISCORD_TOKEN",
            "DATABASE_URL",
            "CONTENT_DIR",
            "DEV_GUILD_ID",
            "LOG_LEVEL",
            "SHARD_COUNT",
            "SHARD_IDS",
            "OWNER_IDS",
            "LOG_FORMAT",
            "BACKUP_DIR",
            "BACKUP_KEEP",
            "METRICS_PORT",
            "METRICS_HOST",
        }:
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    return tmp_path
