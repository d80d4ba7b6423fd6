"""Apply the Alembic migrations programmatically (upgrade head) at start-up."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"  # inside the package: wheels too


def alembic_config() -> Config:
    """Alembic's configuration, made in code: an installed wheel has no alembic.ini."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def upgrade_connection(connection: Connection, revision: str = "head") -> None:
    """Bring the database behind `connection` to `revision` (blocking)."""
    cfg = alembic_config()
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, revision)


async def upgrade(engine: Engine | AsyncEngine, revision: str = "head") -> None:
    """Bring the database at `engine` to `revision`, off the event loop."""
    if isinstance(engine, AsyncEngine):
        async with engine.connect() as conn:
            await conn.run_sync(upgrade_connection, revision)
            await conn.commit()
    else:

        def run() -> None:
            with engine.connect() as conn:
                upgrade_connection(conn, revision)
                conn.commit()

        await asyncio.to_thread(run)
    log.debug("database migrated to %s", revision)
