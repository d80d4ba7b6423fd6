"""Each member's own FSRS parameters, fitted weekly from their review logs.

fsrs's Optimizer needs torch, so it is an optional extra (`pip install '.[optimizer]'`).
Without it every member keeps fsrs's default parameters. With it, a member with at least
MIN_REVIEWS logged reviews gets parameters fitted to their own history, again each week
(REFIT_AFTER) as long as they have new reviews. The fit is claimed in the database first
(`claim`: one process, once a week), runs in a worker process (bot/fitter.py: it takes
seconds of CPU), and applies from each card's next review (`review.scheduler_for`). fsrs
keeps the defaults when fewer than 512 of the reviews are a day or more after the card's
previous one; then nothing is stored and the member is tried again a week later.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Sequence
from datetime import datetime, timedelta

from fsrs import Rating, ReviewLog
from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session

from bot.models import ReviewLog as ReviewLogRow
from bot.models import ReviewParams
from bot.services import review

MIN_REVIEWS = 512
REFIT_AFTER = timedelta(days=7)
FIT_BATCH = 4  # members fitted per tick
OPTIMIZER_MODULES = ("torch", "pandas", "tqdm")  # what fsrs's Optimizer imports

PARAMS: Table = ReviewParams.__table__  # type: ignore[assignment]
LOGS: Table = ReviewLogRow.__table__  # type: ignore[assignment]
History = list[tuple[int, int, datetime, int | None]]  # (card id, rating, time, duration ms)


def available() -> bool:
    """Whether the optimizer extra is installed."""
    return all(importlib.util.find_spec(name) is not None for name in OPTIMIZER_MODULES)


def _due(now: datetime) -> tuple[object, ...]:
    return (
        PARAMS.c.reviews >= MIN_REVIEWS,
        PARAMS.c.reviews > PARAMS.c.fitted_on,
        (PARAMS.c.fitted_at.is_(None)) | (PARAMS.c.fitted_at <= now - REFIT_AFTER),
    )


def candidates(session: Session, now: datetime, limit: int = FIT_BATCH) -> list[int]:
    """Members due a fit: enough reviews, new ones since the last fit, a week since it."""
    query = (
        select(PARAMS.c.user_id)
        .where(*_due(now))  # type: ignore[arg-type]
        .order_by(PARAMS.c.fitted_at.asc().nulls_first(), PARAMS.c.user_id)
        .limit(limit)
    )
    return list(session.scalars(query))


def claim(session: Session, user_id: int, now: datetime) -> bool:
    """Take the member's weekly fit (False: another tick or process has it, or it is not
    due). A fit that dies is not retried before next week; the parameters stay meanwhile."""
    result = session.execute(
        update(PARAMS)
        .where(PARAMS.c.user_id == user_id, *_due(now))  # type: ignore[arg-type]
        .values(fitted_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def history(session: Session, user_id: int) -> History:
    """The member's review logs, oldest first, as the fit takes them."""
    rows = session.execute(
        select(LOGS.c.question_id, LOGS.c.rating, LOGS.c.reviewed_at, LOGS.c.duration_ms)
        .where(LOGS.c.user_id == user_id)
        .order_by(LOGS.c.reviewed_at, LOGS.c.id)
    )
    return [(review.card_id(user_id, qid), rating, at, ms) for qid, rating, at, ms in rows]


def fit(logs: History) -> list[float] | None:
    """FSRS parameters fitted to `logs` (None: too few reviews, the defaults stay).

    Blocking, seconds of CPU, needs the optimizer extra: bot/fitter.py runs it in a worker
    process.
    """
    import torch
    from fsrs import Optimizer

    torch.set_num_threads(1)  # leave the other cores to the bot
    reviews = [ReviewLog(cid, Rating(rating), at, ms) for cid, rating, at, ms in logs]
    fitted = [float(w) for w in Optimizer(reviews).compute_optimal_parameters()]
    default = list(review.DEFAULT_SCHEDULER.parameters)
    return None if fitted == default else fitted


def store(
    session: Session, user_id: int, parameters: Sequence[float] | None, fitted_on: int
) -> None:
    """Keep the fit's outcome: the parameters (None: keep what the member has)."""
    values: dict[str, object] = {"fitted_on": fitted_on}
    if parameters is not None:
        values["parameters"] = json.dumps([round(w, 6) for w in parameters])
    session.execute(update(PARAMS).where(PARAMS.c.user_id == user_id).values(values))


def parameters(session: Session, user_id: int) -> list[float] | None:
    """The member's own parameters, or None (the defaults)."""
    text = session.scalar(select(PARAMS.c.parameters).where(PARAMS.c.user_id == user_id))
    return None if text is None else [float(w) for w in json.loads(text)]
