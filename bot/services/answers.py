"""Recording an answer: the answer row, points, running totals, item statistics, the
member's review card and its log, and their study day, all in the caller's transaction.

Points: a correct quiz, exam or review answer scores PRACTICE_POINTS only on the member's
first correct answer to that question in the guild's week (per guild); a daily drop scores
DAILY_CORRECT when right and DAILY_WRONG when answered wrong. The guild's week and month
are those of its own timezone (`bot.services.guild_time`); the member's own weekly totals
use the UTC ISO week.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Table, bindparam, insert, select
from sqlalchemy.orm import Session

from bot.content import ContentStore, Question
from bot.enums import AnswerSource
from bot.models import (
    Answer,
    LeaderboardTotal,
    OptionPick,
    PointAward,
    ProgressTotal,
    QuestionStat,
)
from bot.services import guild_time, review, streaks
from bot.services.periods import ALL, iso_week, periods
from bot.services.sql import Prepared, upsert

PRACTICE_POINTS = 1
DAILY_CORRECT = 10
DAILY_WRONG = 2

LEADERBOARD: Table = LeaderboardTotal.__table__  # type: ignore[assignment]
PROGRESS: Table = ProgressTotal.__table__  # type: ignore[assignment]
STATS: Table = QuestionStat.__table__  # type: ignore[assignment]
PICKS: Table = OptionPick.__table__  # type: ignore[assignment]
ANSWERS: Table = Answer.__table__  # type: ignore[assignment]
AWARDS: Table = PointAward.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class Recorded:
    question: Question
    choice: str
    correct: bool
    points: int


AWARD = upsert(AWARDS, ("guild_id", "user_id", "question_id", "iso_week"))
INSERT_ANSWER = Prepared(
    insert(ANSWERS).values({c.key: bindparam(c.key) for c in ANSWERS.columns if c.key != "id"})
)
BOARD_KEYS = ("guild_id", "period", "domain", "user_id")
BOARD_COUNTS = ("points", "answered", "correct")
# reached_at moves only when points do: ties go to who got there first
BOARD_SCORED = upsert(LEADERBOARD, BOARD_KEYS, BOARD_COUNTS, overwrite=("reached_at",))
BOARD_UNSCORED = upsert(LEADERBOARD, BOARD_KEYS, BOARD_COUNTS)
PROGRESS_UPSERT = upsert(PROGRESS, ("user_id", "period", "topic"), ("answered", "correct"))
STATS_UPSERT = upsert(STATS, ("question_id",), ("answered", "correct", "flags"))
PICKS_UPSERT = upsert(PICKS, ("question_id", "letter"), ("picks",))


def normalise_choice(question: Question, choice: str) -> str:
    letters = "".join(sorted(set(choice.upper())))
    if not letters or any(c not in question.letters for c in letters):
        raise ValueError(f"{choice!r} is not a choice of {question.id}")
    return letters


def record_answer(
    session: Session,
    content: ContentStore,
    *,
    user_id: int,
    guild_id: int | None,
    question_id: str,
    choice: str,
    source: AnswerSource,
    now: datetime,
    response_ms: int | None = None,
    session_id: int | None = None,
) -> Recorded:
    """Record one answer with its points, running totals, statistics and review card."""
    question = content.questions[question_id]
    choice = normalise_choice(question, choice)
    correct = question.grade(choice)
    board_periods: tuple[str, ...] = ()
    if guild_id is not None:
        board_periods = periods(now, guild_time.zone_of(session, guild_id, lock=True))

    points = 0
    if guild_id is not None:
        if source == AnswerSource.DAILY:
            points = DAILY_CORRECT if correct else DAILY_WRONG
        elif correct:  # first correct answer to the question this week (per guild)?
            award = {"guild_id": guild_id, "user_id": user_id, "question_id": question_id}
            if AWARD.run(session, {**award, "iso_week": board_periods[1]}):
                points = PRACTICE_POINTS

    INSERT_ANSWER.run(
        session,
        {
            "user_id": user_id,
            "guild_id": guild_id,
            "question_id": question_id,
            "domain": question.domain,
            "subtopic": question.subtopic,
            "source": source,
            "choice": choice,
            "correct": correct,
            "response_ms": response_ms,
            "points": points,
            "session_id": session_id,
            "answered_at": now,
        },
    )
    hit = int(correct)
    if guild_id is not None:
        (BOARD_SCORED if points else BOARD_UNSCORED).run_many(
            session,
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
                for period in board_periods
                for domain in ("*", question.domain)
            ],
        )
    PROGRESS_UPSERT.run_many(
        session,
        [
            {"user_id": user_id, "period": period, "topic": topic, "answered": 1, "correct": hit}
            for period in (ALL, iso_week(now))
            for topic in ("*", question.domain, f"{question.domain}.{question.subtopic}")
        ],
    )
    STATS_UPSERT.run(
        session, {"question_id": question_id, "answered": 1, "correct": hit, "flags": 0}
    )
    PICKS_UPSERT.run_many(
        session,
        [{"question_id": question_id, "letter": letter, "picks": 1} for letter in choice],
    )
    review.schedule(
        session,
        user_id=user_id,
        question_id=question_id,
        correct=correct,
        now=now,
        duration_ms=response_ms,
    )
    streaks.record(session, user_id, now)
    return Recorded(question=question, choice=choice, correct=correct, points=points)


_HISTORY = Prepared(
    select(ANSWERS.c.question_id, ANSWERS.c.correct)
    .where(ANSWERS.c.user_id == bindparam("user"))
    .order_by(ANSWERS.c.answered_at, ANSWERS.c.id)
)


def seen_and_missed(session: Session, user_id: int) -> tuple[set[str], set[str]]:
    """Questions the member has answered, and those whose latest answer was wrong."""
    latest: dict[str, bool] = {}
    for qid, correct in _HISTORY.rows(session, {"user": user_id}):
        latest[qid] = correct
    return set(latest), {q for q, ok in latest.items() if not ok}
