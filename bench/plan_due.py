"""Plan benchmark: what is due among 100,000 active enrolments, and one progress chart.

A fresh SQLite database gets 100,000 enrolments (varied timezones, reminder days and times,
some with exam dates); half of this week's kickoffs are already delivered, as in a running
bot. Prints p50 of 5 runs of `due_kickoffs` + `due_reports` (target < 1 s) and p50 of 10
chart renders (target < 300 ms). Run: `python -m bench.plan_due [--enrolments N]`.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
from datetime import timedelta

from sqlalchemy import insert

from bench.common import NOW, content, migrated, temp_db_path
from bot.charts import render_progress_chart
from bot.content import ContentStore
from bot.db import Database
from bot.models import Delivery, Enrolment
from bot.services import plan, progress
from bot.services.answers import record_answer

ZONES = (
    "UTC America/Los_Angeles America/Denver America/Chicago America/New_York America/Sao_Paulo "
    "Europe/London Europe/Berlin Europe/Paris Europe/Madrid Europe/Warsaw Europe/Istanbul "
    "Africa/Lagos Africa/Cairo Africa/Nairobi Asia/Dubai Asia/Karachi Asia/Kolkata Asia/Dhaka "
    "Asia/Jakarta Asia/Singapore Asia/Shanghai Asia/Tokyo Asia/Seoul Australia/Sydney "
    "Australia/Perth Pacific/Auckland America/Toronto America/Mexico_City Asia/Manila"
).split()


def enrolment_rows(n: int, seed: int = 3) -> list[dict[str, object]]:
    rng = random.Random(seed)
    today = NOW.date()
    rows = []
    for user in range(1, n + 1):
        start = today - timedelta(days=rng.randrange(-14, 100))
        exam = start + timedelta(days=rng.randrange(20, 200)) if rng.random() < 0.3 else None
        weeks = 12 if exam is None else max(2, min(52, (exam - start).days // 7))
        rows.append(
            {
                "user_id": user,
                "guild_id": rng.randrange(1, 2000),
                "channel_id": None,
                "timezone": rng.choice(ZONES),
                "start_date": start,
                "exam_date": exam,
                "weeks": weeks,
                "reminder_time": f"{rng.randrange(6, 22):02d}:{rng.choice((0, 15, 30, 45)):02d}",
                "reminder_day": rng.randrange(7),
                "deliver": "dm",
                "status": "active",
                "created_at": NOW - timedelta(days=120),
            }
        )
    return rows


async def seed(db: Database, n: int) -> None:
    async with db.begin() as session:
        await session.execute(insert(Enrolment), enrolment_rows(n))
    async with db.read() as session:
        due = (await plan.due_kickoffs(session, NOW)).due
    sent = [
        {"key": d.key, "kind": "remind", "status": "sent", "claimed_at": NOW, "attempts": 1}
        for d in due[::2]
    ]
    async with db.begin() as session:
        await session.execute(insert(Delivery), sent)


async def due_run(db: Database) -> tuple[float, int, int]:
    start = time.perf_counter()
    async with db.read() as session:
        kickoffs = await plan.due_kickoffs(session, NOW)
        reports = await plan.due_reports(session, NOW)
    found = len(kickoffs.due) + len(kickoffs.stale)
    return time.perf_counter() - start, found, len(reports.due) + len(reports.stale)


async def chart_report(db: Database, store: ContentStore) -> progress.ProgressReport:
    rng, user = random.Random(5), 10_000_000
    qids = sorted(store.questions)
    async with db.begin() as session:
        for i in range(300):
            q = store.questions[rng.choice(qids)]
            right = rng.random() < 0.7
            choice = q.key if right else next(x for x in q.letters if x not in q.answer)
            when = NOW - timedelta(hours=i * 2)
            await record_answer(
                session, store, user_id=user, guild_id=1, question_id=q.id, choice=choice,
                source="quiz", now=when,
            )  # fmt: skip
    async with db.read() as session:
        return await progress.report(session, store, user_id=user, now=NOW)


async def main(n: int) -> None:
    store = content()
    path = temp_db_path()
    db = await migrated(path)
    try:
        t0 = time.perf_counter()
        await seed(db, n)
        print(f"plan: {n:,} active enrolments seeded in {time.perf_counter() - t0:.1f} s ({path})")
        runs = [await due_run(db) for _ in range(5)]
        p50 = statistics.median(r[0] for r in runs) * 1000
        print(
            f"  due kickoffs + reports (5 runs)          p50 {p50:8.1f} ms   (target < 1000 ms)"
            f"   kickoffs pending {runs[0][1]:,}, reports pending {runs[0][2]:,}"
        )
        report = await chart_report(db, store)
        render_progress_chart(report, store)  # warm up: fonts load once per process
        times = []
        for _ in range(10):
            t1 = time.perf_counter()
            png = render_progress_chart(report, store)
            times.append(time.perf_counter() - t1)
        print(
            f"  render one progress chart (10 runs)      p50 "
            f"{statistics.median(times) * 1000:8.1f} ms   (target < 300 ms)   {len(png):,} bytes"
        )
    finally:
        await db.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--enrolments", type=int, default=100_000)
    asyncio.run(main(parser.parse_args().enrolments))
