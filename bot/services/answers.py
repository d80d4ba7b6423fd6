"""Recording an answer: the answer row, points, running totals, item statistics and the
member's review card, all in the caller's transaction.

Points: a correct quiz, exam or review answer scores PRACTICE_POINTS only on the member's
first correct answer to that question in the ISO week (per guild); a daily drop scores
DAILY_CORRECT when right and DAILY_WRONG when answered wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Table, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.content import ContentStore, Question
from bot.models import (
    Answer,
    LeaderboardTotal,
    OptionPick,
    PointAward,
    ProgressTotal,
    QuestionStat,
)
from bot.services import review
from bot.services.periods import ALL, iso_week, periods

PRACTICE_POINTS = 1
DAILY_CORRECT = 10
DAILY_WRONG = 2
PRACTICE_SOURCES = ("quiz", "exam", "review")

LEADERBOARD: Table = LeaderboardTotal.__table__  # type: ignore[assignment]
PROGRESS: Table = ProgressTotal.__table__  # type: ignore[assignment]
STATS: Table = QuestionStat.__table__  # type: ignore[assignment]
PICKS: Table = OptionPick.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class Recorded:
    question: Question
    choice: str
    correct: bool
    points: int


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def _insert(session: AsyncSession, table: Any) -> Any:
    return (postgresql if _dialect(session) == "postgresql" else sqlite).insert(table)


@lru_cache(maxsize=64)
def _upsert(
    dialect: str,
    table: Table,
    keys: tuple[str, ...],
    counts: tuple[str, ...],
    overwrite: tuple[str, ...] = (),
) -> Any:
    """INSERT … ON CONFLICT DO UPDATE adding `counts`; built once, executed many times."""
    ins = (postgresql if dialect == "postgresql" else sqlite).insert(table)
    update = {name: table.c[name] + ins.excluded[name] for name in counts}
    update.update({name: ins.excluded[name] for name in overwrite})
    return ins.on_conflict_do_update(index_elements=list(keys), set_=update)


async def _increment(
    session: AsyncSession,
    table: Table,
    keys: tuple[str, ...],
    counts: tuple[str, ...],
    rows: list[dict[str, Any]],
    overwrite: tuple[str, ...] = (),
) -> None:
    """Insert each row or add its `counts` to the existing one, atomically, in one call."""
    stmt = _upsert(_dialect(session), table, keys, counts, overwrite)
    await session.execute(stmt, rows)


async def _award(
    session: AsyncSession, guild_id: int, user_id: int, question_id: str, now: datetime
) -> bool:
    """True when this is the first correct answer to the question this week (per guild)."""
    stmt = (
        _insert(session, PointAward.__table__)
        .values(guild_id=guild_id, user_id=user_id, question_id=question_id, iso_week=iso_week(now))
        .on_conflict_do_nothing()
    )
    result: Any = await session.execute(stmt)
    return bool(result.rowcount)


def normalise_choice(question: Question, choice: str) -> str:
    letters = "".join(sorted(set(choice.upper())))
    if not letters or any(c not in question.letters for c in letters):
        raise ValueError(f"{choice!r} is not a choice of {question.id}")
    return letters


async def record_answer(
    session: AsyncSession,
    content: ContentStore,
    *,
    user_id: int,
    guild_id: int | None,
    question_id: str,
    choice: str,
    source: str,
    now: datetime,
    response_ms: int | None = None,
    session_id: int | None = None,
) -> Recorded:
    question = content.questions[question_id]
    choice = normalise_choice(question, choice)
    correct = question.grade(choice)

    points = 0
    if guild_id is not None:
        if source == "daily":
            points = DAILY_CORRECT if correct else DAILY_WRONG
        elif correct and await _award(session, guild_id, user_id, question_id, now):
            points = PRACTICE_POINTS

    await session.execute(  # Core insert: no unit-of-work bookkeeping for a write-only row
        insert(Answer).values(
            user_id=user_id,
            guild_id=guild_id,
            question_id=question_id,
            domain=question.domain,
            subtopic=question.subtopic,
            source=source,
            choice=choice,
            correct=correct,
            response_ms=response_ms,
            points=points,
            session_id=session_id,
            answered_at=now,
        )
    )
    hit = int(correct)
    if guild_id is not None:
        # reached_at moves only when points do: ties go to who got there first
        await _increment(
            session,
            LEADERBOARD,
            ("guild_id", "period", "domain", "user_id"),
            ("points", "answered", "correct"),
            [
                {
                    "guild_id": guild_id,
                    "period": period,
                    "domain": domain,
                    "user_id": user_id,
                    "points": points,
                    "answered": 1,
                    "correct": hit,
                    "reached_at": now,
                }
                for period in periods(now)
                for domain in ("*", question.domain)
            ],
            overwrite=("reached_at",) if points else (),
        )
    await _increment(
        session,
        PROGRESS,
        ("user_id", "period", "topic"),
        ("answered", "correct"),
        [
            {"user_id": user_id, "period": period, "topic": topic, "answered": 1, "correct": hit}
            for period in (ALL, iso_week(now))
            for topic in ("*", question.domain, f"{question.domain}.{question.subtopic}")
        ],
    )
    await _increment(
        session,
        STATS,
        ("question_id",),
        ("answered", "correct", "flags"),
        [{"question_id": question_id, "answered": 1, "correct": hit, "flags": 0}],
    )
    await _increment(
        session,
        PICKS,
        ("question_id", "letter"),
        ("picks",),
        [{"question_id": question_id, "letter": letter, "picks": 1} for letter in choice],
    )
    await review.schedule(
        session, user_id=user_id, question_id=question_id, correct=correct, now=now
    )
    return Recorded(question=question, choice=choice, correct=correct, points=points)


async def seen_and_missed(session: AsyncSession, user_id: int) -> tuple[set[str], set[str]]:
    """Questions the member has answered, and those whose latest answer was wrong."""
    rows = await session.execute(
        select(Answer.question_id, Answer.correct)
        .where(Answer.user_id == user_id)
        .order_by(Answer.answered_at, Answer.id)
    )
    latest: dict[str, bool] = {}
    for qid, correct in rows:
        latest[qid] = correct
    return set(latest), {q for q, ok in latest.items() if not ok}
