"""Personal FSRS parameters: who is due a fit, the weekly claim, and (with the optimizer
extra installed) the fit itself on a seeded review history."""

from __future__ import annotations

import importlib.util
import json
from datetime import timedelta

import pytest
from fsrs import Scheduler
from sqlalchemy import update

from bot.content import ContentStore
from bot.db import Database
from bot.models import ReviewCard, ReviewParams
from bot.services import review, review_params
from bot.services.answers import record_answer
from tests.conftest import FIXED_NOW, add, execute, get
from tests.review_history import CARDS, REVIEWS_PER_CARD, seeded

USER = 7001
WEEK = timedelta(days=7)
NO_TORCH = "the optimizer extra is not installed: pip install '.[optimizer]'"


def test_available_says_whether_the_extra_is_installed() -> None:
    has = all(importlib.util.find_spec(m) for m in ("torch", "pandas", "tqdm"))
    assert review_params.available() is has


async def test_weekly_claim_for_members_with_enough_reviews(db: Database) -> None:
    await add(
        db,
        ReviewParams(user_id=USER, reviews=600, fitted_on=0),
        ReviewParams(user_id=USER + 1, reviews=100, fitted_on=0),  # too few
    )
    assert await db.read(review_params.candidates, FIXED_NOW) == [USER]
    assert await db.write(review_params.claim, USER, FIXED_NOW)
    assert not await db.write(review_params.claim, USER, FIXED_NOW)  # once
    assert not await db.write(review_params.claim, USER + 1, FIXED_NOW)
    assert await db.read(review_params.candidates, FIXED_NOW) == []
    await db.write(review_params.store, USER, None, 600)  # fsrs kept the defaults
    assert await db.read(review_params.parameters, USER) is None
    # a week later, with no new review: not again; with new ones: again
    assert await db.read(review_params.candidates, FIXED_NOW + WEEK) == []
    await execute(db, update(ReviewParams).where(ReviewParams.user_id == USER).values(reviews=640))
    assert await db.read(review_params.candidates, FIXED_NOW + WEEK - timedelta(hours=1)) == []
    assert await db.read(review_params.candidates, FIXED_NOW + WEEK) == [USER]


async def test_stored_parameters_schedule_the_next_review(
    db: Database, content: ContentStore
) -> None:
    qid = content.by_domain["serving"][0]
    key = content.questions[qid].key

    async def answer(user_id: int) -> ReviewCard:
        await db.write(record_answer, content, user_id=user_id, guild_id=None,
            question_id=qid, choice=key, source="quiz", now=FIXED_NOW)  # fmt: skip
        card = await get(db, ReviewCard, (user_id, qid))
        assert card is not None
        return card

    default = await answer(USER + 2)
    mine = list(review.DEFAULT_SCHEDULER.parameters)
    mine[2] = 9.0  # the first stability after a Good: 9 days instead of 2.3
    await add(db, ReviewParams(user_id=USER, reviews=0, fitted_on=0))
    await db.write(review_params.store, USER, mine, 0)
    assert await db.read(review_params.parameters, USER) == pytest.approx(mine)
    personal = await answer(USER)
    assert default.stability == pytest.approx(review.DEFAULT_SCHEDULER.parameters[2])
    assert personal.stability == pytest.approx(9.0)
    assert personal.due_at - FIXED_NOW == timedelta(days=9)
    scheduler = await db.read(review.member_scheduler, USER)
    assert scheduler.parameters == pytest.approx(tuple(mine))


def test_unusable_parameters_fall_back_to_the_defaults() -> None:
    assert review.scheduler_for(json.dumps([1.0, 2.0])) == review.DEFAULT_SCHEDULER
    assert review.scheduler_for("not json") == review.DEFAULT_SCHEDULER


@pytest.mark.optimizer
async def test_fit_on_a_seeded_history(db: Database) -> None:
    pytest.importorskip("torch", reason=NO_TORCH)
    await add(db, *seeded(USER, FIXED_NOW - timedelta(days=400)))
    logs = await db.read(review_params.history, USER)
    assert len(logs) == CARDS * REVIEWS_PER_CARD
    assert logs == sorted(logs, key=lambda log: log[2])
    fitted = review_params.fit(logs)
    assert fitted is not None
    assert len(fitted) == len(review.DEFAULT_SCHEDULER.parameters)
    assert fitted != list(review.DEFAULT_SCHEDULER.parameters)
    Scheduler(parameters=fitted)  # within fsrs's bounds
    # the simulated member forgets faster than the defaults say: a lower first stability
    assert fitted[2] < review.DEFAULT_SCHEDULER.parameters[2]
    assert review_params.fit(logs[:100]) is None  # too few spaced reviews: the defaults
