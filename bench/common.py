"""Shared helpers for the benchmarks: a migrated database, seeding, and percentiles."""

from __future__ import annotations

import random
import sqlite3
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.content import ContentStore, load_content
from bot.db import Database
from bot.migrate import upgrade
from bot.services.periods import iso_week, month

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def content() -> ContentStore:
    return load_content(ROOT / "content")


def percentiles(samples: list[float]) -> tuple[float, float]:
    """p50 and p99 in milliseconds."""
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return statistics.median(ordered) * 1000, p99 * 1000


def report(name: str, samples: list[float], target: str = "") -> None:
    p50, p99 = percentiles(samples)
    extra = f"   (target {target})" if target else ""
    print(f"  {name:<52} p50 {p50:7.2f} ms   p99 {p99:7.2f} ms   n={len(samples)}{extra}")


async def timed(fn: Callable[[], Awaitable[object]]) -> float:
    start = time.perf_counter()
    await fn()
    return time.perf_counter() - start


# Every benchmark database lives under one temporary folder, removed when the run ends.
_SCRATCH = tempfile.TemporaryDirectory(prefix="studybot-bench-")


def temp_db_path() -> Path:
    return Path(tempfile.mkdtemp(dir=_SCRATCH.name)) / "bench.db"


async def migrated(path: Path) -> Database:
    db = Database.from_url(f"sqlite:///{path}")
    await upgrade(db.engine)
    return db


def seed_answers(
    path: Path, store: ContentStore, *, members: int, answers: int, guilds: int, seed: int = 1
) -> None:
    """Bulk-load answers and the running totals they imply, straight through sqlite3."""
    rng = random.Random(seed)
    qids = sorted(store.questions)
    questions = [store.questions[q] for q in qids]
    fmt = "%Y-%m-%d %H:%M:%S.%f"
    answer_rows = []
    board: dict[tuple[int, str, str, int], list[int]] = defaultdict(lambda: [0, 0, 0])
    progress: dict[tuple[int, str, str], list[int]] = defaultdict(lambda: [0, 0])
    stats: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for i in range(answers):
        user = rng.randrange(members) + 1
        guild = user % guilds + 1
        q = questions[rng.randrange(len(questions))]
        correct = rng.random() < 0.65
        when = NOW - timedelta(seconds=rng.randrange(84 * 86400))
        points = 1 if correct and rng.random() < 0.8 else 0
        choice = q.key if correct else next(x for x in q.letters if x not in q.answer)
        answer_rows.append(
            (
                user,
                guild,
                q.id,
                q.domain,
                q.subtopic,
                "quiz",
                choice,
                correct,
                rng.randrange(3000, 60000),
                points,
                None,
                when.replace(tzinfo=None).strftime(fmt),
            )
        )
        for period in ("all", iso_week(when), month(when)):
            for domain in ("*", q.domain):
                row = board[(guild, period, domain, user)]
                row[0] += points
                row[1] += 1
                row[2] += correct
        for period in ("all", iso_week(when)):
            for topic in ("*", q.domain, f"{q.domain}.{q.subtopic}"):
                prow = progress[(user, period, topic)]
                prow[0] += 1
                prow[1] += correct
        stats[q.id][0] += 1
        stats[q.id][1] += correct
        if i % 200_000 == 199_999:
            _flush_answers(path, answer_rows)
            answer_rows = []
    _flush_answers(path, answer_rows)
    reached = NOW.replace(tzinfo=None).strftime(fmt)
    with sqlite3.connect(path) as conn:
        conn.executemany(
            "INSERT INTO leaderboard_totals VALUES (?,?,?,?,?,?,?,?)",
            ((g, p, d, u, v[0], v[1], v[2], reached) for (g, p, d, u), v in board.items()),
        )
        conn.executemany(
            "INSERT INTO progress_totals VALUES (?,?,?,?,?)",
            ((u, p, t, v[0], v[1]) for (u, p, t), v in progress.items()),
        )
        conn.executemany(
            "INSERT INTO question_stats VALUES (?,?,?,0)",
            ((q, v[0], v[1]) for q, v in stats.items()),
        )
        conn.execute("ANALYZE")


def _flush_answers(path: Path, rows: list[tuple[object, ...]]) -> None:
    with sqlite3.connect(path) as conn:
        conn.executemany(
            "INSERT INTO answers (user_id, guild_id, question_id, domain, subtopic, source, "
            "choice, correct, response_ms, points, session_id, answered_at) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            rows,
        )


async def seeded(answers: int, path: Path | None = None) -> Path:
    """A migrated database with `answers` seeded answers (made once, then reused)."""
    if path is not None:
        return path
    path = temp_db_path()
    await (await migrated(path)).close()
    t0 = time.perf_counter()
    seed_answers(path, content(), members=10_000, answers=answers, guilds=500)
    print(
        f"seeded {answers:,} answers over 10,000 members and 500 guilds in "
        f"{time.perf_counter() - t0:.0f} s ({path.stat().st_size / 1e6:.0f} MB)"
    )
    return path
