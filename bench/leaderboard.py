"""Leaderboard and daily-drop benchmarks.

- the leaderboard at 1,000,000 answers over 10,000 members and 500 guilds: all time, the
  caller's rank, and a week (p50 and p99);
- computing the due drops for 10,000 guilds.

Run: `python -m bench.leaderboard [--answers N]`.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import time
from datetime import timedelta
from pathlib import Path

from bench.common import NOW, migrated, report, seeded, temp_db_path
from bot.db import Database
from bot.services import daily, leaderboard
from bot.services.periods import iso_week

MEMBERS, GUILDS = 10_000, 500


async def board_latency(path: Path, samples: int = 300) -> None:
    db = Database.from_url(f"sqlite:///{path}")
    rng = random.Random(5)
    week = iso_week(NOW)
    all_time, rank, weekly = [], [], []
    for _ in range(samples):
        guild = rng.randrange(GUILDS) + 1
        caller = guild + GUILDS * rng.randrange(MEMBERS // GUILDS) - 1 or GUILDS
        t0 = time.perf_counter()
        await db.read(leaderboard.board, guild_id=guild, key="all")
        all_time.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        await db.read(leaderboard.rank_of, guild_id=guild, key="all", domain="*", user_id=caller)
        rank.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        await db.read(leaderboard.board, guild_id=guild, key=week, caller_id=caller)
        weekly.append(time.perf_counter() - t0)
    await db.close()
    report("leaderboard top 10, all time", all_time, "p99 < 2 ms")
    report("the caller's rank, all time", rank, "p99 < 2 ms")
    report("leaderboard for a week, with the caller's rank", weekly, "p99 < 10 ms")


async def due_drops(guilds: int = 10_000) -> None:
    path = temp_db_path()
    db = await migrated(path)
    rng = random.Random(2)
    zones = [
        "UTC",
        "Europe/Berlin",
        "America/New_York",
        "Asia/Tokyo",
        "Australia/Sydney",
        "America/Los_Angeles",
        "Asia/Kolkata",
    ]
    with sqlite3.connect(path) as conn:
        conn.executemany(
            "INSERT INTO guild_settings (guild_id, channel_id, post_time, timezone, domains, "
            "reveal_after_hours, paused, failures, setup_by, shard_key, updated_at) VALUES "
            "(?, ?, ?, ?, 'lowcode,data,scaling,serving,pipelines', 12, 0, 0, 1, 0, "
            "'2026-11-01 00:00:00')",
            [
                (g, g, f"{rng.randrange(24):02d}:{rng.choice(['00', '30'])}", rng.choice(zones))
                for g in range(1, guilds + 1)
            ],
        )
    samples = []
    for i in range(7):
        t0 = time.perf_counter()
        due = await db.read(daily.due_drops, NOW + timedelta(minutes=i))
        samples.append(time.perf_counter() - t0)
    await db.close()
    report(f"due drops for {guilds:,} guilds ({len(due):,} due)", samples)


async def main(answers: int, path: Path | None = None) -> None:
    path = await seeded(answers, path)
    print(f"leaderboard: {answers:,} answers, {MEMBERS:,} members, {GUILDS} guilds")
    await board_latency(path)
    await due_drops()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--answers", type=int, default=1_000_000)
    asyncio.run(main(parser.parse_args().answers))
