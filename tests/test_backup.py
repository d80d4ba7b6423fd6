"""Backups: consistent under write load, restorable, rotated, daily, and by hand."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot import backup
from bot.db import Database
from bot.models import Meta
from tests.conftest import ROOT, scalar

NOW = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)


def _put(session: Session, key: str) -> None:
    session.add(Meta(key=key, value="v"))


async def test_a_backup_under_write_load_restores_with_nothing_missing(
    sqlite_db_url: str, tmp_path: Path
) -> None:
    db = Database.from_url(sqlite_db_url)
    assert db.path is not None
    written = 0
    stop, warmed = asyncio.Event(), asyncio.Event()

    async def keep_writing() -> None:
        nonlocal written
        while not stop.is_set():
            await db.write(_put, f"k{written:06d}")
            written += 1
            if written == 200:
                warmed.set()

    writer = asyncio.create_task(keep_writing())
    await warmed.wait()
    committed_before = written
    dest = tmp_path / "backups" / backup.backup_name(NOW)
    await asyncio.to_thread(backup.backup, db.path, dest)
    after = written
    stop.set()
    await writer
    await db.close()
    assert after > committed_before  # the bot kept writing while the copy was taken

    restored = tmp_path / "restored.db"
    restored.write_bytes(dest.read_bytes())  # restore: the copy replaces the database file
    check = sqlite3.connect(restored)
    assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    check.close()
    again = Database.from_url(f"sqlite:///{restored}")
    keys = await again.read(lambda s: sorted(s.scalars(select(Meta.key))))
    await again.close()
    # every write committed before the backup began is there, and the rest is a prefix
    assert len(keys) >= committed_before
    assert keys == [f"k{i:06d}" for i in range(len(keys))]


def test_rotation_keeps_the_newest(tmp_path: Path) -> None:
    for day in range(10):
        (tmp_path / backup.backup_name(NOW + timedelta(days=day))).write_bytes(b"x")
    (tmp_path / "notes.txt").write_text("not a backup")
    removed = backup.rotate(tmp_path, 7)
    assert len(removed) == 3
    left = sorted(p.name for p in tmp_path.glob("studybot-*.db"))
    assert left[0] == backup.backup_name(NOW + timedelta(days=3))
    assert (tmp_path / "notes.txt").exists()


def test_a_backup_is_due_a_day_after_the_last(tmp_path: Path) -> None:
    assert backup.due(tmp_path, NOW)  # none yet
    (tmp_path / backup.backup_name(NOW)).write_bytes(b"x")
    assert not backup.due(tmp_path, NOW + timedelta(hours=23))
    assert backup.due(tmp_path, NOW + timedelta(days=1))


def studybot(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "BACKUP_DIR"}}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env={**clean, "PYTHONPATH": str(ROOT), **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_studybot_backup_by_hand(sqlite_db_url: str, tmp_path: Path) -> None:
    done = studybot("backup", str(tmp_path / "copy.db"), cwd=tmp_path, DATABASE_URL=sqlite_db_url)
    assert done.returncode == 0, done.stderr
    assert "backup written to" in done.stdout
    copy = sqlite3.connect(tmp_path / "copy.db")
    assert copy.execute("SELECT count(*) FROM alembic_version").fetchone() == (1,)
    copy.close()
    into_folder = studybot("backup", cwd=tmp_path, DATABASE_URL=sqlite_db_url, BACKUP_DIR="b")
    assert into_folder.returncode == 0, into_folder.stderr
    assert len(list((tmp_path / "b").glob("studybot-*.db"))) == 1
    postgres = "postgresql+asyncpg://nobody@127.0.0.1:1/none"
    refused = studybot("backup", cwd=tmp_path, DATABASE_URL=postgres)
    assert refused.returncode == 2
    assert "pg_dump" in refused.stderr
    assert "Traceback" not in refused.stderr


async def test_the_daily_backup_job(sqlite_db_url: str, tmp_path: Path) -> None:
    """With BACKUP_DIR the bot copies the database once a day and keeps BACKUP_KEEP."""
    from bot.app import create_bot
    from bot.config import Settings
    from bot.content import load_content
    from cogs.ops import OpsCog

    folder = tmp_path / "backups"
    settings = Settings(
        discord_token="t",  # type: ignore[arg-type]
        database_url=sqlite_db_url,
        backup_dir=folder,
        backup_keep=2,
    )
    db = Database.from_url(sqlite_db_url)
    bot = create_bot(settings, db, load_content(ROOT / "content"))
    ops = OpsCog(bot)  # type: ignore[arg-type]
    taken = [await ops.daily_backup(NOW + timedelta(hours=h)) for h in (0, 1, 25, 26, 50)]
    assert taken == [True, False, True, False, True]
    assert len(list(folder.glob("studybot-*.db"))) == 2
    await db.write(_put, "after")
    assert await scalar(db, select(func.count()).select_from(Meta)) >= 1
    await db.close()
