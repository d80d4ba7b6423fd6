"""Spaced repetition with FSRS: a card per member and answered question.

A wrong answer is rated Again, a correct one Good. Datetimes are UTC.
"""

from __future__ import annotations

import zlib
from datetime import datetime, timedelta

from fsrs import Card, Rating, Scheduler
from sqlalchemy import Table, bindparam, func, select
from sqlalchemy.orm import Session

from bot.models import ReviewCard
from bot.services.sql import Prepared, upsert

REVIEW_BATCH = 20
# One learning step: a wrong answer comes back in 10 minutes; a right one graduates at once
# (due in days), so /review is about what the member got wrong. No fuzzing: due dates are
# repeatable, which members and tests can rely on.
_SCHEDULER = Scheduler(learning_steps=(timedelta(minutes=10),), enable_fuzzing=False)


def rate(card: Card, correct: bool, now: datetime) -> Card:
    rating = Rating.Good if correct else Rating.Again
    updated, _log = _SCHEDULER.review_card(card, rating, now)
    return updated


def _card_id(user_id: int, question_id: str) -> int:
    """A stable id: fsrs would otherwise sleep 1 ms to make its clock-based ids unique."""
    return zlib.crc32(f"{user_id}:{question_id}".encode())


CARDS: Table = ReviewCard.__table__  # type: ignore[assignment]
CARD = Prepared(
    select(CARDS.c.card).where(
        CARDS.c.user_id == bindparam("user_id"), CARDS.c.question_id == bindparam("question_id")
    )
)
SAVE_CARD = upsert(
    CARDS, ("user_id", "question_id"), counts=("reviews",), overwrite=("card", "due_at")
)


def schedule(
    session: Session, *, user_id: int, question_id: str, correct: bool, now: datetime
) -> datetime:
    """Review the member's card for the question (creating it) and return its next due time."""
    key = {"user_id": user_id, "question_id": question_id}
    row = CARD.first(session, key)
    card = (
        Card.from_json(row[0])
        if row is not None
        else Card(card_id=_card_id(user_id, question_id), due=now)
    )
    card = rate(card, correct, now)
    SAVE_CARD.run(session, {**key, "card": card.to_json(), "due_at": card.due, "reviews": 1})
    return card.due


_DUE = Prepared(
    select(CARDS.c.question_id)
    .where(CARDS.c.user_id == bindparam("user"), CARDS.c.due_at <= bindparam("now"))
    .order_by(CARDS.c.due_at, CARDS.c.question_id)
    .limit(bindparam("limit"))
)
_NEXT_DUE = Prepared(
    select(func.min(CARDS.c.due_at)).where(
        CARDS.c.user_id == bindparam("user"), CARDS.c.due_at > bindparam("after")
    )
)


def due_cards(
    session: Session, user_id: int, now: datetime, limit: int = REVIEW_BATCH
) -> list[str]:
    rows = _DUE.rows(session, {"user": user_id, "now": now, "limit": limit})
    return [row[0] for row in rows]


def next_due(session: Session, user_id: int, after: datetime) -> datetime | None:
    value: datetime | None = _NEXT_DUE.scalar(session, {"user": user_id, "after": after})
    return value
