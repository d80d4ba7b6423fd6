"""Calendar benchmarks: what the guild's timezone and the member's own week cost.

- a server changing its timezone: its week and month totals recounted from its answers
  (servers of the seeded database: 2,000 answers each at 1,000,000; and one with 100,000);
- upgrading to the guild calendars (migration 0007) with the seeded answers in guilds
  whose daily drops run in 7 timezones;
- the plan tick's nudges counted from each member's own kickoff: 5,000 nudges due at one
  moment, each member with 30 answers.

Run: `python -m bench.calendar [--answers N]`.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import sqlite3
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import insert

from bench.common import NOW, content, migrated, report, seed_answers, seeded, temp_db_path
from bot.db import Database
from bot.migrate import upgrade
from bot.models import Answer, Enrolment
from bot.services import guild_time, plan_due

ZONES = (
    *("Pacific/Auckland", "Asia/Tokyo", "Asia/Kolkata", "Europe/Berlin"),
    *("America/Sao_Paulo", "America/New_York", "America/Los_Angeles"),
)
GUILDS = 500


async def timezone_changes(path: Path, answers: int, samples: int = 20) -> None:
    """Move servers of the seeded database (a copy) to other timezones."""
    copy = temp_db_path()
    shutil.copyfile(path, copy)
    db = Database.from_url(f"sqlite:///{copy}")
    times = []
    for i in range(samples):
        t0 = time.perf_counter()
        await db.write(guild_time.set_timezone, i + 1, ZONES[i % len(ZONES)], NOW)
        times.append(time.perf_counter() - t0)
    await db.close()
    report(f"a server's new timezone: weeks recounted (~{answers // GUILDS:,} answers)", times)

    big = temp_db_path()
    await (await migrated(big)).close()
    seed_answers(big, content(), members=2_000, answers=100_000, guilds=1)
    db = Database.from_url(f"sqlite:///{big}")
    times = []
    for zone in ZONES[:3]:
        t0 = time.perf_counter()
        await db.write(guild_time.set_timezone, 1, zone, NOW)
        times.append(time.perf_counter() - t0)
    await db.close()
    report("a server's new timezone: weeks recounted (100,000 answers)", times)


async def upgrade_0007(answers: int) -> None:
    """The upgrade from the version before: every guild's weeks and months rebuilt."""
    path = temp_db_path()
    db = Database.from_url(f"sqlite:///{path}")
    await upgrade(db.engine, "0005")
    await db.close()
    seed_answers(path, content(), members=10_000, answers=answers, guilds=GUILDS)
    rng = random.Random(4)
    with sqlite3.connect(path) as conn:
        conn.executemany(
            "INSERT INTO guild_settings (guild_id, channel_id, post_time, timezone, domains, "
            "reveal_after_hours, mode, paused, failures, setup_by, shard_key, updated_at) "
            "VALUES (?, ?, '09:00', ?, 'data', 12, 'rotate', 0, 0, 1, 0, '2026-11-01')",
            [(g, g, rng.choice(ZONES)) for g in range(1, GUILDS + 1)],
        )
    db = Database.from_url(f"sqlite:///{path}")
    t0 = time.perf_counter()
    await upgrade(db.engine)
    elapsed = time.perf_counter() - t0
    await db.close()
    print(
        f"  {'upgrade to the guild calendars (0007)':<52} {elapsed:7.1f} s    "
        f"({answers:,} answers, {GUILDS} guilds in {len(ZONES)} timezones)"
    )


async def nudges(members: int = 5_000, each: int = 30) -> None:
    """A plan tick at a moment when `members` nudges are due (Thursday 09:00 in Berlin, the
    kickoffs on Mondays), each counted from the member's own kickoff."""
    path = temp_db_path()
    db = await migrated(path)
    start = (NOW - timedelta(days=NOW.weekday())).date()  # Monday 23 November
    moment = NOW.replace(hour=8, minute=0) + timedelta(days=3 - NOW.weekday())
    rows = [
        {"user_id": u, "guild_id": 1, "channel_id": None, "timezone": "Europe/Berlin",
         "start_date": start, "exam_date": None, "weeks": 12, "reminder_time": "09:00",
         "reminder_day": 0, "deliver": "dm", "status": "active",
         "created_at": NOW - timedelta(days=30)}
        for u in range(1, members + 1)
    ]  # fmt: skip
    rng = random.Random(6)
    answers = [
        {"user_id": u, "guild_id": 1, "question_id": "data-001", "domain": "data",
         "subtopic": "preprocessing", "source": "quiz", "choice": "A", "correct": True,
         "points": 0, "answered_at": moment - timedelta(minutes=rng.randrange(6 * 24 * 60))}
        for u in range(1, members + 1)
        for _ in range(each)
    ]  # fmt: skip
    await db.write(lambda s: s.execute(insert(Enrolment), rows))
    await db.write(lambda s: s.execute(insert(Answer), answers))
    store = content()
    times, found = [], None
    for _ in range(5):
        t0 = time.perf_counter()
        found = await db.read(plan_due.due, store, moment, kinds=["nudge"])
        times.append(time.perf_counter() - t0)
    await db.close()
    assert found is not None
    behind = len(found["nudge"].due)
    report(f"plan tick, {members:,} nudges due ({behind:,} behind)", times)


async def main(answers: int, path: Path | None = None) -> None:
    path = await seeded(answers, path)
    print(f"calendar: {answers:,} answers, {GUILDS} guilds")
    await timezone_changes(path, answers)
    await upgrade_0007(answers)
    await nudges()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--answers", type=int, default=1_000_000)
    asyncio.run(main(parser.parse_args().answers))
