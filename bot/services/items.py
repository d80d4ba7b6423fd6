"""Item statistics and members' reports of wrong or unclear questions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.content import ContentStore
from bot.models import OptionPick, QuestionFlag, QuestionStat
from bot.services.answers import STATS_UPSERT

MIN_ANSWERS_FOR_MISSED = 3


def flag(
    session: Session,
    content: ContentStore,
    *,
    question_id: str,
    user_id: int,
    guild_id: int | None,
    now: datetime,
) -> bool:
    """Record a member's report; False when they had already flagged this question."""
    if question_id not in content.questions:
        return False
    existing = session.scalar(
        select(QuestionFlag.id).where(
            QuestionFlag.question_id == question_id, QuestionFlag.user_id == user_id
        )
    )
    if existing is not None:
        return False
    session.add(
        QuestionFlag(question_id=question_id, user_id=user_id, guild_id=guild_id, created_at=now)
    )
    STATS_UPSERT.run(session, {"question_id": question_id, "answered": 0, "correct": 0, "flags": 1})
    return True


@dataclass(frozen=True)
class FlagSummary:
    question_id: str
    reports: int
    first: datetime


def open_flags(session: Session, limit: int = 20) -> list[FlagSummary]:
    rows = session.execute(
        select(QuestionFlag.question_id, func.count(), func.min(QuestionFlag.created_at))
        .where(QuestionFlag.resolved.is_(False))
        .group_by(QuestionFlag.question_id)
        .order_by(func.count().desc(), QuestionFlag.question_id)
        .limit(limit)
    )
    return [FlagSummary(q, n, first) for q, n, first in rows]


@dataclass(frozen=True)
class ItemStat:
    question_id: str
    answered: int
    correct: int
    flags: int
    picks: dict[str, int]

    @property
    def percent_correct(self) -> float:
        return 100 * self.correct / self.answered if self.answered else 0.0


def hardest(session: Session, limit: int = 10) -> list[ItemStat]:
    """Questions most often missed (with enough answers) or flagged, worst first."""
    rows = list(
        session.scalars(
            select(QuestionStat)
            .where((QuestionStat.answered >= MIN_ANSWERS_FOR_MISSED) | (QuestionStat.flags > 0))
            .order_by(
                QuestionStat.flags.desc(),
                (QuestionStat.correct * 1.0 / func.nullif(QuestionStat.answered, 0)).asc(),
                QuestionStat.question_id,
            )
            .limit(limit)
        )
    )
    picks: dict[str, dict[str, int]] = {}
    if rows:
        for qid, letter, n in session.execute(
            select(OptionPick.question_id, OptionPick.letter, OptionPick.picks).where(
                OptionPick.question_id.in_([r.question_id for r in rows])
            )
        ):
            picks.setdefault(qid, {})[letter] = n
    return [
        ItemStat(r.question_id, r.answered, r.correct, r.flags, picks.get(r.question_id, {}))
        for r in rows
    ]
