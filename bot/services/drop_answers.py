"""Answering a daily drop, streaks, and what the reveal shows.

One private answer per member per drop; answers close at the reveal. A streak counts the
guild's consecutive drops a member answered right.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.content import ContentStore
from bot.enums import AnswerSource, DeliveryKind, DeliveryStatus, DropStatus
from bot.models import DailyAnswer, DailyDrop, Streak
from bot.services import deliveries
from bot.services.answers import Recorded, normalise_choice, record_answer
from bot.services.errors import NotFound, ServiceError


class DropClosed(ServiceError):
    def __init__(self) -> None:
        super().__init__(
            "This drop has been revealed already, so answers are closed. Catch the next one!"
        )


# -- answering --------------------------------------------------------------------------------
def answer(
    session: Session,
    content: ContentStore,
    *,
    drop_id: int,
    user_id: int,
    choice: str,
    now: datetime,
) -> Recorded:
    """One private answer per member per drop, refused after the reveal. A member who
    answered already gets their first answer back (one answer each; no changes)."""
    drop = session.get(DailyDrop, drop_id)
    if drop is None:
        raise NotFound("That drop no longer exists.")
    previous = session.get(DailyAnswer, (drop_id, user_id))
    if previous is not None:  # a second click (maybe after a lost response): the same reply
        question = content.questions[drop.question_id]
        return Recorded(question, previous.choice, previous.correct, 0)
    if drop.status != DropStatus.OPEN or now >= drop.reveal_at:
        raise DropClosed()
    question = content.questions[drop.question_id]
    choice = normalise_choice(question, choice)
    rec = record_answer(
        session,
        content,
        user_id=user_id,
        guild_id=drop.guild_id,
        question_id=drop.question_id,
        choice=choice,
        source=AnswerSource.DAILY,
        now=now,
    )
    session.add(
        DailyAnswer(
            drop_id=drop_id, user_id=user_id, choice=choice, correct=rec.correct, answered_at=now
        )
    )
    drop.answers += 1
    _update_streak(session, drop, user_id, rec.correct)
    return rec


def _update_streak(session: Session, drop: DailyDrop, user_id: int, correct: bool) -> None:
    streak = session.get(Streak, (drop.guild_id, user_id))
    if streak is None:
        streak = Streak(guild_id=drop.guild_id, user_id=user_id, current=0, best=0)
        session.add(streak)
    if not correct:
        streak.current = 0
    else:  # the guild's drop before this one (by moment: two may share a date after a
        # change of timezone), answered by the member (right, or the streak is 0 anyway)
        previous = session.scalar(
            select(DailyDrop.id)
            .where(
                DailyDrop.guild_id == drop.guild_id,
                DailyDrop.due_at < drop.due_at,
                DailyDrop.status.in_((DropStatus.OPEN, DropStatus.REVEALED)),
            )
            .order_by(DailyDrop.due_at.desc())
            .limit(1)
        )
        continues = (
            previous is not None and session.get(DailyAnswer, (previous, user_id)) is not None
        )
        streak.current = streak.current + 1 if continues else 1
        streak.best = max(streak.best, streak.current)
    streak.last_drop_date = drop.local_date


# -- reveals ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class RevealStats:
    drop: DailyDrop
    counts: dict[str, int]  # letter -> members who picked it
    answered: int
    correct: int
    first_correct: list[int]
    since: datetime | None = None  # a retry: the reveal's earlier attempt began then

    @property
    def percent_correct(self) -> float:
        return 100 * self.correct / self.answered if self.answered else 0.0


def due_reveals(
    session: Session, now: datetime, owns: Callable[[int], bool] = lambda _g: True
) -> list[int]:
    rows = session.execute(
        select(DailyDrop.id, DailyDrop.guild_id).where(
            DailyDrop.status == DropStatus.OPEN, DailyDrop.reveal_at <= now
        )
    )
    return [drop_id for drop_id, guild_id in rows if owns(guild_id)]


def reveal_stats(session: Session, drop_id: int) -> RevealStats:
    drop = session.get(DailyDrop, drop_id)
    if drop is None:
        raise NotFound("That drop no longer exists.")
    rows = list(
        session.execute(
            select(DailyAnswer.user_id, DailyAnswer.choice, DailyAnswer.correct)
            .where(DailyAnswer.drop_id == drop_id)
            .order_by(DailyAnswer.answered_at, DailyAnswer.user_id)
        )
    )
    counts: dict[str, int] = {}
    for _user, choice, _ok in rows:
        for letter in choice:
            counts[letter] = counts.get(letter, 0) + 1
    right = [user for user, _c, ok in rows if ok]
    return RevealStats(drop, counts, len(rows), len(right), right[:3])


def claim_reveal(session: Session, drop_id: int, now: datetime) -> RevealStats | None:
    """Claim the drop's reveal (once; again when its sender died); what it shows, or None
    when it is taken."""
    claimed = deliveries.claim(session, f"reveal:{drop_id}", DeliveryKind.REVEAL, now)
    if claimed is None:
        return None
    return replace(reveal_stats(session, drop_id), since=claimed.since)


def revealed(
    session: Session,
    drop_id: int,
    now: datetime,
    thread_id: int | None = None,
    error: str | None = None,
) -> None:
    drop = session.get(DailyDrop, drop_id)
    assert drop is not None
    drop.status, drop.revealed_at, drop.thread_id = DropStatus.REVEALED, now, thread_id
    drop.last_error = error
    deliveries.finish(
        session,
        f"reveal:{drop_id}",
        DeliveryStatus.FAILED if error else DeliveryStatus.SENT,
        now,
        detail=error,
    )


def counters_to_refresh(
    session: Session,
    owns: Callable[[int], bool] = lambda _g: True,
) -> list[DailyDrop]:
    rows = session.scalars(
        select(DailyDrop).where(
            DailyDrop.status == DropStatus.OPEN,
            DailyDrop.answers != DailyDrop.shown_answers,
            DailyDrop.message_id.is_not(None),
        )
    )
    return [d for d in rows if owns(d.guild_id)]


def counter_shown(session: Session, drop_id: int, answers: int) -> None:
    """The drop message now shows `answers`."""
    drop = session.get(DailyDrop, drop_id)
    if drop is not None:
        drop.shown_answers = answers
