"""Recording an answer: the answer row, points, running totals, item statistics and the
member's review card, all in the caller's transaction.

Points: a correct quiz, exam or review answer scores PRACTICE_POINTS only on the member's
first correct answer to that question in the ISO week (per guild); a daily drop scores
DAILY_CORRECT when right and DAILY_WRONG when answered wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
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


@dataclass(frozen=True)
class Recorded:
    question: Question
    choice: str
    correct: bool
    points: int


def _insert(session: AsyncSession, table: Any) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql if dialect == "postgresql" else sqlite).insert(table)


async def _increment(
    session: AsyncSession,
    table: Any,
    keys: dict[str, Any],
    counts: dict[str, int],
    *,
    on_insert: dict[str, Any] | None = None,
    overwrite: dict[str, Any] | None = None,
) -> None:
    """INSERT the row or add `counts` to it, atomically, on either backend."""
    stmt = _insert(session, table).values(
        **keys, **counts, **(on_insert or {}), **(overwrite or {})
    )
    update = {name: table.c[name] + stmt.excluded[name] for name in counts}
    update.update({name: stmt.excluded[name] for name in overwrite or {}})
    await session.execute(stmt.on_conflict_do_update(index_elements=list(keys), set_=update))


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

    session.add(
        Answer(
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
        when = {"reached_at": now}
        for period in periods(now):
            for domain in ("*", question.domain):
                await _increment(
                    session,
                    LeaderboardTotal.__table__,
                    {"guild_id": guild_id, "period": period, "domain": domain, "user_id": user_id},
                    {"points": points, "answered": 1, "correct": hit},
                    on_insert=None if points else when,
                    overwrite=when if points else None,
                )
    for period in (ALL, iso_week(now)):
        for topic in ("*", question.domain, f"{question.domain}.{question.subtopic}"):
            await _increment(
                session,
                ProgressTotal.__table__,
                {"user_id": user_id, "period": period, "topic": topic},
                {"answered": 1, "correct": hit},
            )
    await _increment(
        session,
        QuestionStat.__table__,
        {"question_id": question_id},
        {"answered": 1, "correct": hit, "flags": 0},
    )
    for letter in choice:
        await _increment(
            session,
            OptionPick.__table__,
            {"question_id": question_id, "letter": letter},
            {"picks": 1},
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
