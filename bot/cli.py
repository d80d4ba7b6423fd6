"""The `studybot` command (also `python -m bot`).

    studybot [run]          start the bot (the default)
    studybot check [DIR]    validate the content (DIR or CONTENT_DIR) and print its figures
    studybot migrate        bring the database (DATABASE_URL) to the latest schema
    studybot backup [PATH]  copy the SQLite database, consistently, while the bot runs

Every failure a user can fix prints one line and exits 2 (1 for content that fails the
check, as `make check-content` does).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path

from pydantic import ValidationError

from bot.config import ToolSettings, describe_error


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def _tool_settings() -> ToolSettings | None:
    try:
        return ToolSettings()
    except ValidationError as exc:
        _fail(describe_error(exc))
        return None


def check(folder: Path | None) -> int:
    from bot.content.check import check as check_content

    if folder is None:
        settings = _tool_settings()
        if settings is None:
            return 2
        folder = settings.content_dir
    return check_content(folder)


def migrate() -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from bot.db import Database
    from bot.migrate import upgrade

    settings = _tool_settings()
    if settings is None:
        return 2

    async def run() -> None:
        db = Database.from_url(settings.database_url)
        try:
            await upgrade(db.engine)
        finally:
            await db.close()

    try:
        asyncio.run(run())
    except (OSError, SQLAlchemyError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        return _fail(f"cannot migrate the database at DATABASE_URL ({reason})")
    print("database at the latest schema")
    return 0


def backup(dest: Path | None) -> int:
    import sqlite3

    from bot.backup import backup as take_backup
    from bot.backup import backup_name
    from bot.db import is_sqlite, sqlite_path

    settings = _tool_settings()
    if settings is None:
        return 2
    url = settings.database_url
    if not is_sqlite(url):
        return _fail("backups here are for SQLite; for PostgreSQL use pg_dump (see README)")
    source = sqlite_path(url)
    if source is None or not Path(source).exists():
        return _fail(f"no SQLite database at {source or url}")
    name = backup_name(datetime.now(UTC))
    if dest is None:
        dest = (settings.backup_dir or Path(".")) / name
    elif dest.is_dir():
        dest = dest / name
    try:
        written = take_backup(source, dest)
    except (OSError, sqlite3.Error) as exc:
        return _fail(f"backup failed: {exc}")
    print(f"backup written to {written}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="studybot", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("run", help="start the bot (the default)")
    checking = commands.add_parser("check", help="validate the content and print its figures")
    checking.add_argument("dir", nargs="?", type=Path, default=None)
    commands.add_parser("migrate", help="bring the database to the latest schema")
    backing = commands.add_parser("backup", help="copy the SQLite database while the bot runs")
    backing.add_argument("path", nargs="?", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.command == "check":
        return check(args.dir)
    if args.command == "migrate":
        return migrate()
    if args.command == "backup":
        return backup(args.path)
    from bot.launch import main as run

    return run()
