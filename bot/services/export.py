"""What /export takes away: the questions the member last answered wrong."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Table, bindparam, select
from sqlalchemy.orm import Session

from bot.content import ContentStore, Question
from bot.models import Answer
from bot.services.sql import Prepared

ANSWERS: Table = Answer.__table__  # type: ignore[assignment]
_HISTORY = Prepared(
    select(ANSWERS.c.question_id, ANSWERS.c.choice, ANSWERS.c.correct, ANSWERS.c.answered_at)
    .where(ANSWERS.c.user_id == bindparam("user"))
    .order_by(ANSWERS.c.answered_at, ANSWERS.c.id)
)


@dataclass(frozen=True)
class Missed:
    question: Question
    picked: str  # the member's last pick: wrong
    answered_at: datetime


def misses(session: Session, content: ContentStore, *, user_id: int) -> list[Missed]:
    """The questions whose latest answer by the member was wrong, the latest miss first
    (questions since removed from the bank are left out)."""
    latest: dict[str, tuple[str, bool, datetime]] = {}
    for question_id, choice, correct, when in _HISTORY.rows(session, {"user": user_id}):
        latest[question_id] = (choice, correct, when)
    found = [
        Missed(content.questions[qid], choice, when)
        for qid, (choice, correct, when) in latest.items()
        if not correct and qid in content.questions
    ]
    found.sort(key=lambda m: (m.answered_at, m.question.id), reverse=True)
    return found
