"""Practice benchmark: 10,000 members and 1,000,000 answers on SQLite.

Reports p50/p99 for starting a quiz, and for recording an answer and getting the next
question, one member at a time and 50 members at once, beside raw sqlite3 doing the same
writes. Run: `python -m bench.practice [--answers N]`.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import time
from pathlib import Path

from bench.common import NOW, content, percentiles, report, seeded
from bot.content import ContentStore
from bot.db import Database
from bot.services import quiz

MEMBERS, GUILDS = 10_000, 500


async def start(db: Database, store: ContentStore, user: int) -> quiz.Step:
    step, _ = await db.write(
        quiz.start_quiz,
        store,
        user_id=user,
        guild_id=user % GUILDS + 1,
        size=10,
        now=NOW,
        rng=random.Random(user),
    )
    return step


async def answer_and_next(
    db: Database, store: ContentStore, step: quiz.Step, user: int
) -> quiz.Step | quiz.Summary:
    """What a member's two clicks do: the answer (graded and recorded), then Next."""
    await db.write(
        quiz.answer,
        store,
        session_id=step.session.id,
        position=step.item.position,
        user_id=user,
        choice=step.question.key,
        now=NOW,
    )
    return await db.write(quiz.advance, store, session_id=step.session.id, user_id=user, now=NOW)


async def one_at_a_time(db: Database, store: ContentStore, n: int) -> float:
    """Returns the p50 of an answer + next, in ms."""
    starts, answers = [], []
    for user in random.Random(7).sample(range(1, MEMBERS + 1), n):
        t0 = time.perf_counter()
        step = await start(db, store, user)
        starts.append(time.perf_counter() - t0)
        for _ in range(3):
            t0 = time.perf_counter()
            shown = await answer_and_next(db, store, step, user)
            answers.append(time.perf_counter() - t0)
            assert isinstance(shown, quiz.Step)
            step = shown
    report("start a quiz (one at a time)", starts, "p99 < 10 ms")
    report("record an answer + next question (one at a time)", answers, "p99 < 10 ms")
    return percentiles(answers)[0]


async def fifty_at_once(db: Database, store: ContentStore, per_member: int) -> float:
    users = random.Random(9).sample(range(1, MEMBERS + 1), 50)
    steps = {u: await start(db, store, u) for u in users}
    latencies: list[float] = []

    async def member(user: int) -> None:
        step = steps[user]
        for _ in range(per_member):
            t0 = time.perf_counter()
            # each click is an event of its own, queued behind the other members' clicks
            await asyncio.sleep(0)
            shown = await answer_and_next(db, store, step, user)
            latencies.append(time.perf_counter() - t0)
            if isinstance(shown, quiz.Step):
                step = shown

    t0 = time.perf_counter()
    await asyncio.gather(*(member(u) for u in users))
    elapsed = time.perf_counter() - t0
    rate = len(latencies) / elapsed
    report("answer + next, 50 members at once", latencies, "p99 < 70 ms")
    print(
        f"  {'throughput, 50 members at once':<52} {rate:7.0f} answers/s"
        "   (target >= 800/s, no 'database is locked')"
    )
    return rate


RAW_WRITES = [
    (
        "INSERT INTO answers (user_id, guild_id, question_id, domain, subtopic, source, choice, "
        "correct, response_ms, points, session_id, answered_at) VALUES "
        "(?, 1, 'q', 'd', 's', 'quiz', 'A', 1, 10, 1, 1, '2026-11-25 12:00:00')"
    ),
    *[
        (
            "INSERT INTO leaderboard_totals VALUES (1, ?, '*', ?, 1, 1, 1, '2026-11-25') "
            "ON CONFLICT DO UPDATE SET points = points + 1, answered = answered + 1"
        )
    ]
    * 6,
    *[
        (
            "INSERT INTO progress_totals VALUES (?, 'all', ?, 1, 1) "
            "ON CONFLICT DO UPDATE SET answered = answered + 1"
        )
    ]
    * 6,
    (
        "INSERT INTO question_stats VALUES (?, 1, 1, 0) ON CONFLICT DO UPDATE SET "
        "answered = answered + 1"
    ),
    ("INSERT INTO option_picks VALUES (?, 'A', 1) ON CONFLICT DO UPDATE SET picks = picks + 1"),
]


def raw_sqlite(path: Path, n: int) -> list[float]:
    """The same statements per answer through the sqlite3 module, as a floor."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous=NORMAL")
    samples = []
    for i in range(n):
        t0 = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        for j, sql in enumerate(RAW_WRITES):
            params = (str(i),) if sql.count("?") == 1 else (f"p{j}", i)
            conn.execute(sql, params)
        conn.execute("COMMIT")
        samples.append(time.perf_counter() - t0)
    conn.close()
    return samples


async def main(answers: int, path: Path | None = None) -> None:
    store = content()
    path = await seeded(answers, path)
    print(f"practice: {answers:,} answers, {MEMBERS:,} members")
    db = Database.from_url(f"sqlite:///{path}")
    bot_p50 = await one_at_a_time(db, store, 200)
    await fifty_at_once(db, store, 10)
    await db.close()
    raw = raw_sqlite(path, 600)
    raw_p50, _ = percentiles(raw)
    report("raw sqlite3, the same writes per answer", raw)
    print(
        f"  ratio: the bot's answer + next p50 is {bot_p50 / raw_p50:.1f}x raw sqlite3's "
        "(it also reads the session, item and card, runs FSRS, and commits Next apart)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--answers", type=int, default=1_000_000)
    args = parser.parse_args()
    asyncio.run(main(args.answers))
