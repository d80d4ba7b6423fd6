"""Spaced repetition with FSRS: a card per member and answered question, and a log per review.

A wrong answer is rated Again, a correct one Good. Datetimes are UTC. Every review is kept
in `review_logs` (fsrs's ReviewLog: rating, time, duration) so that the member's own FSRS
parameters can be fitted (bot/services/review_params.py); until they are, the defaults
apply. The card's stability and last review are repeated in columns, so the recall
forecast and the exam-date plan read them without parsing every card's JSON.
"""

from __future__ import annotations

import json
import logging
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from fsrs import Card, Rating, Scheduler, State
from sqlalchemy import String, Table, bindparam, func, insert, select, type_coerce
from sqlalchemy.orm import Session

from bot.models import ReviewCard, ReviewLog, ReviewParams
from bot.services.sql import Prepared, dialect_insert, upsert

log = logging.getLogger(__name__)

REVIEW_BATCH = 20
# One learning step: a wrong answer comes back in 10 minutes; a right one graduates at once
# (due in days), so /review is about what the member got wrong. No fuzzing: due dates are
# repeatable, which members and tests can rely on.
LEARNING_STEPS = (timedelta(minutes=10),)


@lru_cache(maxsize=4096)
def scheduler_for(parameters: str | None = None) -> Scheduler:
    """The scheduler for a member's parameters (a JSON list; None: fsrs's defaults)."""
    if parameters is not None:
        try:
            return Scheduler(
                parameters=json.loads(parameters),
                learning_steps=LEARNING_STEPS,
                enable_fuzzing=False,
            )
        except (ValueError, TypeError):
            log.warning("unusable FSRS parameters %r: the defaults apply", parameters[:80])
    return Scheduler(learning_steps=LEARNING_STEPS, enable_fuzzing=False)


DEFAULT_SCHEDULER = scheduler_for(None)


def card_id(user_id: int, question_id: str) -> int:
    """A stable id: fsrs would otherwise sleep 1 ms to make its clock-based ids unique."""
    return zlib.crc32(f"{user_id}:{question_id}".encode())


CARDS: Table = ReviewCard.__table__  # type: ignore[assignment]
LOGS: Table = ReviewLog.__table__  # type: ignore[assignment]
PARAMS: Table = ReviewParams.__table__  # type: ignore[assignment]
CARD = Prepared(
    select(CARDS.c.card).where(
        CARDS.c.user_id == bindparam("user_id"), CARDS.c.question_id == bindparam("question_id")
    )
)
SAVE_CARD = upsert(
    CARDS,
    ("user_id", "question_id"),
    counts=("reviews",),
    overwrite=("card", "due_at", "stability", "last_review"),
)
INSERT_LOG = Prepared(
    insert(LOGS).values({c.key: bindparam(c.key) for c in LOGS.columns if c.key != "id"})
)


def _count_review(dialect: str) -> Any:
    """One more review for the member; returns their parameters (one statement)."""
    ins = dialect_insert(dialect, PARAMS).values(
        user_id=bindparam("user_id"), reviews=1, fitted_on=0
    )
    return ins.on_conflict_do_update(
        index_elements=["user_id"], set_={"reviews": PARAMS.c.reviews + 1}
    ).returning(PARAMS.c.parameters)


COUNT_REVIEW = Prepared(_count_review)
PARAMETERS = Prepared(select(PARAMS.c.parameters).where(PARAMS.c.user_id == bindparam("user")))


def schedule(
    session: Session,
    *,
    user_id: int,
    question_id: str,
    correct: bool,
    now: datetime,
    duration_ms: int | None = None,
) -> datetime:
    """Review the member's card for the question (creating it), log the review, and return
    the card's next due time."""
    scheduler = scheduler_for(COUNT_REVIEW.scalar(session, {"user_id": user_id}))
    key = {"user_id": user_id, "question_id": question_id}
    row = CARD.first(session, key)
    card = (
        Card.from_json(row[0])
        if row is not None
        else Card(card_id=card_id(user_id, question_id), due=now)
    )
    rating = Rating.Good if correct else Rating.Again
    card, _log = scheduler.review_card(card, rating, now)
    SAVE_CARD.run(
        session,
        {
            **key,
            "card": card.to_json(),
            "due_at": card.due,
            "reviews": 1,
            "stability": card.stability,
            "last_review": card.last_review,
        },
    )
    INSERT_LOG.run(
        session, {**key, "rating": int(rating), "reviewed_at": now, "duration_ms": duration_ms}
    )
    return card.due


def member_scheduler(session: Session, user_id: int) -> Scheduler:
    """The scheduler with the member's own parameters, or the defaults."""
    return scheduler_for(PARAMETERS.scalar(session, {"user": user_id}))


@dataclass(frozen=True, slots=True)
class CardState:
    """What the forecast and the exam-date plan need of a card."""

    question_id: str
    due: datetime  # FSRS's own due moment
    stability: float | None
    last_review: datetime | None


def as_utc(raw: Any) -> datetime:
    """A timestamp as stored: a naive ISO string on SQLite, an aware datetime on PostgreSQL
    (read raw: datetime.fromisoformat is several times cheaper than the column type's
    processing, which matters for a member's thousands of cards)."""
    if isinstance(raw, datetime):
        return raw.astimezone(UTC)
    return datetime.fromisoformat(raw).replace(tzinfo=UTC)


_STATES = Prepared(
    select(
        CARDS.c.question_id,
        type_coerce(CARDS.c.due_at, String),
        CARDS.c.stability,
        type_coerce(CARDS.c.last_review, String),
    ).where(CARDS.c.user_id == bindparam("user"))
)


def card_states(session: Session, user_id: int) -> list[CardState]:
    return [
        CardState(qid, as_utc(due), stability, None if last is None else as_utc(last))
        for qid, due, stability, last in _STATES.rows(session, {"user": user_id})
    ]


_RECALL_INPUTS = Prepared(
    select(CARDS.c.question_id, CARDS.c.stability, type_coerce(CARDS.c.last_review, String)).where(
        CARDS.c.user_id == bindparam("user")
    )
)


def recall_by_question(
    session: Session, user_id: int, scheduler: Scheduler, at: datetime
) -> dict[str, float]:
    """Each of the member's cards' predicted chance of recall at `at`, by question (the
    forecast's read: only what retrievability needs)."""
    card = Card(card_id=0, state=State.Review, due=at)
    found = {}
    for qid, stability, last in _RECALL_INPUTS.rows(session, {"user": user_id}):
        card.stability, card.last_review = stability, None if last is None else as_utc(last)
        found[qid] = scheduler.get_card_retrievability(card, at)
    return found


def recall(scheduler: Scheduler, states: Iterable[CardState], at: datetime) -> list[float]:
    """Each card's predicted chance of recall at `at` (0 for a card never reviewed), by
    fsrs's own formula (`Scheduler.get_card_retrievability`) on one reused Card."""
    card = Card(card_id=0, state=State.Review, due=at)
    found = []
    for state in states:
        card.stability, card.last_review = state.stability, state.last_review
        found.append(scheduler.get_card_retrievability(card, at))
    return found


def retrievability(scheduler: Scheduler, state: CardState, at: datetime) -> float:
    """One card's predicted chance of recall at `at`."""
    return recall(scheduler, (state,), at)[0]


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
