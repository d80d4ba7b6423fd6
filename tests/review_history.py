"""A seeded review history: a simulated member who forgets faster than FSRS's defaults
predict, reviewed on FSRS's schedule for months (enough spaced reviews for the optimizer)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from fsrs import Card, Rating

from bot.models import ReviewLog, ReviewParams
from bot.services.review import DEFAULT_SCHEDULER

CARDS, REVIEWS_PER_CARD = 120, 8


def simulated_logs(user_id: int, start: datetime, seed: int = 7) -> list[ReviewLog]:
    rng = random.Random(seed)
    rows = []
    for n in range(CARDS):
        qid = f"sim-{n:03d}"
        when = start + timedelta(days=rng.randrange(30), hours=rng.randrange(12))
        card = Card(card_id=n + 1, due=when)
        for _ in range(REVIEWS_PER_CARD):
            predicted = DEFAULT_SCHEDULER.get_card_retrievability(card, when)
            recalled = rng.random() < (predicted**2 if card.last_review else 0.6)
            rating = Rating.Good if recalled else Rating.Again
            card, _ = DEFAULT_SCHEDULER.review_card(card, rating, when)
            rows.append(
                ReviewLog(
                    user_id=user_id,
                    question_id=qid,
                    rating=int(rating),
                    reviewed_at=when,
                    duration_ms=rng.randrange(4000, 40000),
                )
            )
            when = max(card.due, when + timedelta(days=1))
    return rows


def seeded(user_id: int, start: datetime) -> list[ReviewLog | ReviewParams]:
    """The rows to add: the logs, and the member's count of them."""
    logs = simulated_logs(user_id, start)
    return [*logs, ReviewParams(user_id=user_id, reviews=len(logs), fitted_on=0)]
