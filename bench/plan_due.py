"""Plan benchmark: what is due among 100,000 active enrolments, and one progress chart.

A fresh SQLite database gets 100,000 enrolments (varied timezones, reminder days and times,
some with exam dates). The first tick reads them all (no enrolment's next moment is known
yet, as after an upgrade); it is timed, then the bot's state is made as a running bot
leaves it: what was stale recorded as skipped, half of what is due sent (the other half
still to send), and the quiet enrolments settled. Then a tick (every kind, one pass, as
the bot runs it) and kickoffs alone are timed: p50 of 5 runs (target < 1 s), and p50 of
10 chart renders (target < 300 ms). Run: `python -m bench.plan_due [--enrolments N]`.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta

from sqlalchemy import insert
from sqlalchemy.orm import Session

from bench.common import NOW, content, migrated, temp_db_path
from bot.charts import render_progress_chart
from bot.content import ContentStore
from bot.db import Database
from bot.enums import DeliveryStatus
from bot.models import Delivery, Enrolment
from bot.services import deliveries, plan_due, progress
from bot.services.answers import record_answer

ZONES = [
    *("UTC", "America/Los_Angeles", "America/Denver", "America/Chicago", "America/New_York"),
    *("America/Sao_Paulo", "America/Toronto", "America/Mexico_City", "Europe/London"),
    *("Europe/Berlin", "Europe/Paris", "Europe/Madrid", "Europe/Warsaw", "Europe/Istanbul"),
    *("Africa/Lagos", "Africa/Cairo", "Africa/Nairobi", "Asia/Dubai", "Asia/Karachi"),
    *("Asia/Kolkata", "Asia/Dhaka", "Asia/Jakarta", "Asia/Singapore", "Asia/Shanghai"),
    *("Asia/Tokyo", "Asia/Seoul", "Asia/Manila", "Australia/Sydney", "Australia/Perth"),
    "Pacific/Auckland",
]


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


async def seed(db: Database, store: ContentStore, n: int) -> float:
    """The enrolments, and deliveries as a running bot leaves them: everything stale
    recorded as skipped, half of what is due already sent, the quiet enrolments settled.
    Returns the seconds the first tick's computation took (every row read)."""
    rows = enrolment_rows(n)
    await db.write(lambda s: s.execute(insert(Enrolment), rows))
    start = time.perf_counter()
    found = await db.read(plan_due.due, store, NOW)
    first = time.perf_counter() - start
    rows = []
    for kind, dues in found.items():
        for status, items in (("skipped", dues.stale), ("sent", dues.due[::2])):
            rows += [
                {"key": d.key, "kind": kind, "status": status, "claimed_at": NOW, "attempts": 1}
                for d in items
            ]
    await db.write(lambda s: s.execute(insert(Delivery), rows))
    # the next tick (after the first one's sends) settles every enrolment with nothing due
    found = await db.read(plan_due.due, store, NOW)
    await db.write(plan_due.settle, found.settled)
    return first


async def send_all(db: Database, store: ContentStore, found: plan_due.Found) -> None:
    """Record everything found as sent, and settle the enrolments (the tick after)."""
    for kind, dues in found.items():
        for d in (*dues.due, *dues.stale):
            await db.write(deliveries.claim_and_finish, d.key, kind, NOW, DeliveryStatus.SENT)
            if d.report is not None:  # the report a kickoff carried went out with it
                await db.write(
                    deliveries.claim_and_finish, d.report, "report", NOW, DeliveryStatus.SENT
                )
    settled = (await db.read(plan_due.due, store, NOW)).settled
    await db.write(plan_due.settle, settled)


async def p50(fn: Callable[[], Awaitable[object]], runs: int) -> float:
    """Median wall time in ms of `runs` calls."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        await fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def timed_read(db: Database, work: Callable[[Session], object]) -> Callable[[], Awaitable[object]]:
    async def run() -> object:
        return await db.read(work)

    return run


async def chart_report(db: Database, store: ContentStore) -> progress.ProgressReport:
    rng, user = random.Random(5), 10_000_000
    qids = sorted(store.questions)
    for i in range(300):
        q = store.questions[rng.choice(qids)]
        right = rng.random() < 0.7
        choice = q.key if right else next(x for x in q.letters if x not in q.answer)
        when = NOW - timedelta(hours=i * 2)
        await db.write(
            record_answer,
            store,
            user_id=user,
            guild_id=1,
            question_id=q.id,
            choice=choice,
            source="quiz",
            now=when,
        )
    return await db.read(progress.report, store, user_id=user, now=NOW)


async def main(n: int) -> None:
    store = content()
    path = temp_db_path()
    db = await migrated(path)
    try:
        t0 = time.perf_counter()
        first = await seed(db, store, n)
        await db.close()  # a restart: the write-ahead log is checkpointed into the file
        db = Database.from_url(f"sqlite:///{path}")
        print(f"plan: {n:,} active enrolments seeded in {time.perf_counter() - t0:.1f} s ({path})")
        print(f"  {'first tick (every enrolment read)':<42} {first * 1000:8.1f} ms")

        def tick(s: Session) -> object:
            return plan_due.due(s, store, NOW)

        def kickoffs(s: Session) -> object:
            return plan_due.due(s, None, NOW, kinds=["remind"])

        found = await db.read(plan_due.due, store, NOW)
        due_now = len(found["remind"].due), len(found["report"].due)
        print(f"  with {due_now[0]:,} kickoffs and {due_now[1]:,} reports still to send:")
        for name, work in (("a tick: due(), every kind", tick), ("due(), kickoffs only", kickoffs)):
            ms = await p50(timed_read(db, work), 5)
            print(f"  {name:<42} p50 {ms:8.1f} ms  (5 runs; target < 1000 ms)")

        await send_all(db, store, found)  # the burst is out: a steady tick later
        later = NOW + timedelta(minutes=15)  # the next quarter hour: some reminders fall due

        def steady(s: Session) -> object:
            return plan_due.due(s, store, later)

        found = await db.read(plan_due.due, store, later)
        sends = sum(len(d.due) for d in found.values())
        ms = await p50(timed_read(db, steady), 5)
        print(f"  {'a steady tick (' + f'{sends} to send)':<42} p50 {ms:8.1f} ms  (5 runs)")
        report = await chart_report(db, store)
        render_progress_chart(report, store)  # warm up: fonts load once per process
        times = []
        for _ in range(10):
            t1 = time.perf_counter()
            png = render_progress_chart(report, store)
            times.append(time.perf_counter() - t1)
        ms = statistics.median(times) * 1000
        print(f"  {'render one progress chart':<42} p50 {ms:8.1f} ms  (10 runs; target < 300 ms)")
        print(f"  chart PNG: {len(png):,} bytes")
    finally:
        await db.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--enrolments", type=int, default=100_000)
    asyncio.run(main(parser.parse_args().enrolments))
