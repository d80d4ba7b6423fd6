"""Exam-date benchmark: the recall forecast and the review plan for a member with 5,000
cards, and what the weekly report's new figures add to the plan tick at 100,000 members.

1. A bank of 5,000 questions (the real ones, cloned under new ids) and a member with a
   card for each, an exam date two weeks away: p50 of the forecast (target < 50 ms) and
   of the exam-date review plan (/review), each a read through the database's door.
2. 100,000 active enrolments (bench/plan_due.py's), brought to a steady state; the
   reports that fall due in a steady tick are counted. Members with a realistic history
   (answers, cards, study days, an exam date) have their report timed: the whole report,
   and what this version adds to it (forecast, band, accuracy per section, study streak),
   and the member's own week and the one before (a plan member's weekly figures).
   The added cost of a tick is the reports due in it times the added cost of one.
Run: `python -m bench.forecast [--enrolments N]`.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import random
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta

from sqlalchemy import insert
from sqlalchemy.orm import Session

from bench.common import NOW, content, migrated, temp_db_path
from bench.plan_due import seed, send_all
from bot.content import ContentStore, Question
from bot.db import Database
from bot.models import Enrolment, ReviewCard
from bot.services import forecast, plan, plan_due, plan_week, progress, review_plan, streaks
from bot.services.answers import record_answer

CARDS = 5_000
EXAM = (NOW + timedelta(days=14)).date()
MEMBER = 1


def big_bank(store: ContentStore, size: int) -> ContentStore:
    """`size` questions: the bank's, cloned under new ids (domain-1000 on)."""
    originals = list(store.questions.values())
    clones: list[Question] = []
    for i in range(size):
        q = originals[i % len(originals)]
        clones.append(q.model_copy(update={"id": f"{q.domain}-{1000 + i}"}))
    return ContentStore.build(store.blueprint, clones, store.plan, store.resources)


async def p50(fn: Callable[[], Awaitable[object]], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        await fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def enrol(session: Session, store: ContentStore, user_id: int) -> None:
    plan.enrol(session, store, user_id=user_id, guild_id=None, channel_id=None,
        timezone="Europe/Berlin", start_date=NOW.date() - timedelta(days=60),
        exam_date=EXAM, now=NOW - timedelta(days=60))  # fmt: skip


async def member_with_cards(db: Database, store: ContentStore) -> None:
    """A card for every question of `store`: reviewed in the last 60 days, varied stability."""
    rng = random.Random(11)
    rows = []
    for qid in store.questions:
        last = NOW - timedelta(days=rng.uniform(0, 60))
        stability = rng.uniform(0.5, 90)
        rows.append(
            {
                "user_id": MEMBER,
                "question_id": qid,
                "card": "{}",
                "due_at": last + timedelta(days=stability),
                "reviews": 1,
                "stability": stability,
                "last_review": last,
            }
        )
    await db.write(lambda s: s.execute(insert(ReviewCard), rows))
    await db.write(enrol, store, MEMBER)


async def forecast_figures(path_db: Database) -> None:
    store = big_bank(content(), CARDS)
    await member_with_cards(path_db, store)
    gc.collect()
    gc.freeze()  # as `python -m bot` does once the content is loaded
    print(f"exam date: a member with {CARDS:,} review cards, the exam two weeks away")

    async def fc() -> object:
        return await path_db.read(forecast.forecast, store, user_id=MEMBER, now=NOW)

    async def queue() -> object:
        return await path_db.read(review_plan.queue, store, MEMBER, NOW)

    found = await path_db.read(forecast.forecast, store, user_id=MEMBER, now=NOW)
    assert sum(d.seen for d in found.domains) == CARDS
    print(f"  {'the recall forecast (per domain and section)':<48} p50 {await p50(fc, 20):7.1f} ms"
          "  (20 runs; target < 50 ms)")  # fmt: skip
    print(f"  {'the exam-date review plan (/review)':<48} p50 {await p50(queue, 20):7.1f} ms"
          "  (20 runs)")  # fmt: skip


def history(session: Session, store: ContentStore, user_id: int, seed_: int) -> None:
    """About 600 answers over 60 days on 300 questions, as a busy member has."""
    rng = random.Random(seed_)
    qids = rng.sample(sorted(store.questions), 300)
    for i in range(600):
        q = store.questions[rng.choice(qids)]
        right = rng.random() < 0.7
        choice = q.key if right else next(x for x in q.letters if x not in q.answer)
        when = NOW - timedelta(days=60) + timedelta(hours=i * 2.4)
        record_answer(session, store, user_id=user_id, guild_id=None, question_id=q.id,
            choice=choice, source="quiz", now=when)  # fmt: skip


def timed_reports(
    session: Session, store: ContentStore, members: list[int], runs: int = 3
) -> tuple[list[float], list[float], list[float]]:
    """Seconds per member (inside the unit of work, as the tick composes a report): the
    whole report, what the exam-date version adds to it (the forecast, accuracy per section
    and the study streak; the band is arithmetic on figures the report already has), and
    the member's own week and the one before (counted from their answers)."""
    whole, added, own = [], [], []
    for _ in range(runs):
        for user in members:
            t0 = time.perf_counter()
            progress.report(session, store, user_id=user, now=NOW)
            t1 = time.perf_counter()
            forecast.forecast(session, store, user_id=user, now=NOW)
            progress.section_stats(session, store, user)
            streaks.streak(session, user, NOW)
            t2 = time.perf_counter()
            enrolment = session.get(Enrolment, user)  # the report reads it anyway (its plan)
            assert enrolment is not None
            t3 = time.perf_counter()
            plan_week.two_weeks(session, enrolment, NOW)
            whole.append(t1 - t0)
            added.append(t2 - t1)
            own.append(time.perf_counter() - t3)
    return whole, added, own


async def report_figures(n: int) -> None:
    store = content()
    path = temp_db_path()
    db = await migrated(path)
    try:
        t0 = time.perf_counter()
        await seed(db, store, n)
        found = await db.read(plan_due.due, store, NOW)
        await send_all(db, store, found)  # the burst is out
        steady = await db.read(plan_due.due, store, NOW + timedelta(minutes=15))
        reports = len(steady["report"].due)
        burst = len(found["report"].due)
        members = list(range(20_000_000, 20_000_050))
        for i, user in enumerate(members):
            await db.write(history, store, user, i)
            await db.write(
                lambda s, u=user: s.execute(insert(Enrolment), [_enrolment(u)])
            )  # fmt: skip
        print(f"weekly reports: {n:,} enrolments seeded in {time.perf_counter() - t0:.0f} s")
        gc.collect()
        gc.freeze()
        whole, added, own = await db.read(timed_reports, store, members)
        whole_ms = statistics.median(whole) * 1000
        added_ms = statistics.median(added) * 1000
        print(f"  {'one report (600 answers, 300 cards), whole':<48} p50 {whole_ms:7.2f} ms")
        print(f"  {'  of which added by this version':<48} p50 {added_ms:7.2f} ms")
        own_ms = statistics.median(own) * 1000
        own_label = "  of which the member's own two weeks"
        print(f"  {own_label:<48} p50 {own_ms:7.2f} ms")
        print(f"  {f'a steady tick: {reports} reports due':<48} adds {reports * added_ms:7.1f} ms"
              "  (the tick's target: < 1000 ms)")  # fmt: skip
        burst_s = burst * added_ms / 1000
        print(f"  {f'the first tick of a burst: {burst:,} reports':<48} adds {burst_s:7.2f} s"
              "  (spread over its sends, paced at 40 a second)")  # fmt: skip
        print(f"  {f'a week: {n:,} reports':<48} adds {n * added_ms / 1000:7.1f} s of reads")
    finally:
        await db.close()


def _enrolment(user_id: int) -> dict[str, object]:
    return {
        "user_id": user_id,
        "guild_id": None,
        "channel_id": None,
        "timezone": "Europe/Berlin",
        "start_date": NOW.date() - timedelta(days=60),
        "exam_date": EXAM,
        "weeks": 10,
        "reminder_time": "09:00",
        "reminder_day": 0,
        "deliver": "dm",
        "status": "active",
        "created_at": NOW - timedelta(days=60),
    }


async def main(enrolments: int) -> None:
    db = await migrated(temp_db_path())
    try:
        await forecast_figures(db)
    finally:
        await db.close()
    await report_figures(enrolments)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--enrolments", type=int, default=100_000)
    asyncio.run(main(parser.parse_args().enrolments))
