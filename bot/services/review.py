"""Spaced repetition with FSRS: a card per member and answered question.

A wrong answer is rated Again, a correct one Good. Datetimes are UTC.
"""

from __future__ import annotations

import zlib
from datetime import datetime, timedelta

from fsrs import Card, Rating, Scheduler
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import ReviewCard

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


async def schedule(
    session: AsyncSession, *, user_id: int, question_id: str, correct: bool, now: datetime
) -> datetime:
    """Review the member's card for the question (creating it) and return its next due time."""
    row = await session.get(ReviewCard, (user_id, question_id))
    card = (
        Card.from_json(row.card)
        if row is not None
        else Card(card_id=_card_id(user_id, question_id), due=now)
    )
    card = rate(card, correct, now)
    if row is None:
        session.add(
            ReviewCard(
                user_id=user_id,
                question_id=question_id,
                card=card.to_json(),
                due_at=card.due,
                reviews=1,
            )
        )
    else:
        row.card = card.to_json()
        row.due_at = card.due
        row.reviews += 1
    return card.due


async def due_cards(
    session: AsyncSession, user_id: int, now: datetime, limit: int = REVIEW_BATCH
) -> list[str]:
    rows = await session.scalars(
        select(ReviewCard.question_id)
        .where(ReviewCard.user_id == user_id, ReviewCard.due_at <= now)
        .order_by(ReviewCard.due_at, ReviewCard.question_id)
        .limit(limit)
    )
    return list(rows)


async def next_due(session: AsyncSession, user_id: int, after: datetime) -> datetime | None:
    return await session.scalar(
        select(func.min(ReviewCard.due_at)).where(
            ReviewCard.user_id == user_id, ReviewCard.due_at > after
        )
    )
