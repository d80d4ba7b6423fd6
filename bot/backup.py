"""Backups of the SQLite database, taken while the bot runs.

sqlite3's online backup API copies the database page by page from one read transaction:
the copy is consistent (every transaction committed before the copy began is in it, none
half) and writers carry on meanwhile (WAL). With BACKUP_DIR set, the bot takes one a day
and keeps the newest BACKUP_KEEP; `studybot backup [PATH]` takes one by hand.

To restore, stop the bot and copy a backup over the database file (delete the `-wal` and
`-shm` files beside it first). PostgreSQL has its own tools: `pg_dump` and `pg_restore`.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

PREFIX = "studybot-"
SUFFIX = ".db"
DAILY = timedelta(days=1)


def backup_name(now: datetime) -> str:
    return f"{PREFIX}{now:%Y%m%d-%H%M%S}{SUFFIX}"


def backup(source: str | Path, dest: str | Path) -> Path:
    """Copy the SQLite database at `source` to `dest`, consistently (blocking: run it off
    the event loop). The copy is written beside `dest` and renamed into place."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".partial")
    with (
        contextlib.closing(sqlite3.connect(source, timeout=5)) as src,
        contextlib.closing(sqlite3.connect(partial)) as out,
    ):
        src.backup(out)
        out.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
    os.replace(partial, dest)
    return dest


def rotate(folder: str | Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` backups in `folder`; returns what was deleted."""
    found = sorted(Path(folder).glob(f"{PREFIX}*{SUFFIX}"))
    old = found[:-keep] if keep > 0 else found
    for path in old:
        path.unlink()
    return old


def latest(folder: str | Path) -> Path | None:
    found = sorted(Path(folder).glob(f"{PREFIX}*{SUFFIX}"))
    return found[-1] if found else None


def taken_at(path: Path) -> datetime | None:
    """When a backup was taken, from its name."""
    stamp = path.name.removeprefix(PREFIX).removesuffix(SUFFIX)
    try:
        return datetime.strptime(stamp, "%Y%m%d-%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        return None


def due(folder: str | Path, now: datetime, every: timedelta = DAILY) -> bool:
    """Whether the newest backup in `folder` is `every` old (or there is none)."""
    newest = latest(folder)
    when = taken_at(newest) if newest is not None else None
    return when is None or now - when >= every
