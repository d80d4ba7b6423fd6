"""Mock exams: timed, answers hidden until the end, graded like the real exam."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.content import ContentStore, Question
from bot.models import PracticeSession, SessionItem
from bot.prepared import Runner
from bot.services.answers import normalise_choice, record_answer, seen_and_missed
from bot.services.errors import InvalidInput, NotFound
from bot.services.quiz import NotYours as _NotYours
from bot.services.quiz import SessionOver, Step, _abandon_active, _create, item_at, load
from bot.services.selection import allocate, pick

LENGTHS = {"full": (50, 120), "half": (25, 60)}  # questions, minutes
SCHEMES = ("official", "domains")


class NotYours(_NotYours):
    def __init__(self) -> None:
        super().__init__("exam")


@dataclass(frozen=True)
class Result:
    session: PracticeSession
    score: int
    total: int
    passed: bool
    pass_mark: int
    by_bucket: dict[str, tuple[int, int]]  # domain id -> (correct, total)
    wrong: list[tuple[SessionItem, Question]]

    @property
    def percent(self) -> float:
        return 100 * self.score / self.total if self.total else 0.0


def select_exam(
    content: ContentStore,
    scheme: str,
    size: int,
    seen: set[str],
    missed: set[str],
    rng: random.Random,
) -> list[str]:
    if scheme not in SCHEMES:
        raise InvalidInput(f"Unknown blueprint {scheme!r}.")
    weights = content.weights(scheme)
    pools = {b: content.pool(scheme, b) for b in weights}
    counts = allocate(size, weights, {b: len(p) for b, p in pools.items()})
    # an exam should feel new: unseen first, but do not favour missed questions
    return pick(pools, counts, seen | missed, set(), rng)


async def start_exam(
    session: AsyncSession,
    content: ContentStore,
    *,
    user_id: int,
    guild_id: int | None,
    length: str = "full",
    scheme: str = "official",
    now: datetime,
    rng: random.Random | None = None,
) -> Step:
    if length not in LENGTHS:
        raise InvalidInput("Length is 'full' (50 questions) or 'half' (25).")
    size, minutes = LENGTHS[length]
    db = await Runner.of(session)
    await _abandon_active(db, user_id, ("exam",), now)
    seen, missed = await seen_and_missed(db, user_id)
    ids = select_exam(content, scheme, size, seen, missed, rng or random.Random())
    practice = await _create(
        db,
        user_id=user_id,
        guild_id=guild_id,
        kind="exam",
        scope=scheme,
        question_ids=ids,
        now=now,
        deadline=now + timedelta(minutes=minutes),
    )
    item = await item_at(session, practice.id, 0)
    return Step(practice, item, content.questions[item.question_id])


async def _active_owned(
    session: AsyncSession, session_id: int, user_id: int, now: datetime
) -> PracticeSession:
    practice = await load(session, session_id, lock=True)
    if practice.user_id != user_id:
        raise NotYours()
    if practice.status != "active":
        raise SessionOver("exam")
    if practice.deadline_at is not None and now >= practice.deadline_at:
        raise SessionOver("exam")
    return practice


async def goto(
    session: AsyncSession,
    content: ContentStore,
    *,
    session_id: int,
    user_id: int,
    position: int,
    now: datetime,
) -> Step:
    practice = await _active_owned(session, session_id, user_id, now)
    position = max(0, min(position, practice.size - 1))
    practice.position = position
    item = await item_at(session, session_id, position)
    if item.shown_at is None:
        item.shown_at = now
    return Step(practice, item, content.questions[item.question_id])


async def pick_answer(
    session: AsyncSession,
    content: ContentStore,
    *,
    session_id: int,
    user_id: int,
    position: int,
    choice: str,
    now: datetime,
) -> Step:
    """Set (or change) the pick for a question; nothing is revealed."""
    practice = await _active_owned(session, session_id, user_id, now)
    item = await item_at(session, session_id, position)
    question = content.questions[item.question_id]
    if question.multiple and len(choice) == 1 and item.choice:
        # toggling one letter of a multiple-select pick
        letters = set(item.choice) ^ {choice}
        item.choice = "".join(sorted(letters)) or None
    else:
        item.choice = normalise_choice(question, choice)
    item.answered_at = now
    practice.position = position
    return Step(practice, item, question)


async def toggle_mark(
    session: AsyncSession,
    content: ContentStore,
    *,
    session_id: int,
    user_id: int,
    position: int,
    now: datetime,
) -> Step:
    practice = await _active_owned(session, session_id, user_id, now)
    item = await item_at(session, session_id, position)
    item.marked = not item.marked
    return Step(practice, item, content.questions[item.question_id])


async def _items(session: AsyncSession, session_id: int) -> list[SessionItem]:
    return list(
        await session.scalars(
            select(SessionItem)
            .where(SessionItem.session_id == session_id)
            .order_by(SessionItem.position)
        )
    )


async def progress(session: AsyncSession, session_id: int) -> tuple[int, int, list[int]]:
    """(answered, total, marked positions) of an exam."""
    items = await _items(session, session_id)
    answered = sum(1 for i in items if i.choice)
    return answered, len(items), [i.position for i in items if i.marked]


async def submission(
    session: AsyncSession, *, session_id: int, user_id: int, now: datetime
) -> tuple[int, int, int, list[int]]:
    """What the Submit confirmation shows: (current position, answered, total, marked)."""
    practice = await _active_owned(session, session_id, user_id, now)
    answered, total, marked = await progress(session, session_id)
    return practice.position, answered, total, marked


async def grade(
    session: AsyncSession,
    content: ContentStore,
    *,
    session_id: int,
    now: datetime,
    user_id: int | None = None,
    expired: bool = False,
) -> Result:
    """Grade the exam once: every pick becomes a recorded answer in this transaction."""
    practice = await load(session, session_id, lock=True)
    if user_id is not None and practice.user_id != user_id:
        raise NotYours()
    if practice.status == "active":
        items = await _items(session, session_id)
        correct = 0
        for item in items:
            if item.choice:
                rec = await record_answer(
                    session,
                    content,
                    user_id=practice.user_id,
                    guild_id=practice.guild_id,
                    question_id=item.question_id,
                    choice=item.choice,
                    source="exam",
                    now=now,
                    session_id=practice.id,
                )
                item.correct = rec.correct
            else:
                item.correct = False
            correct += int(bool(item.correct))
        practice.correct = correct
        practice.status = "expired" if expired else "finished"
        practice.finished_at = now
    return await result(session, content, session_id)


async def result(session: AsyncSession, content: ContentStore, session_id: int) -> Result:
    practice = await load(session, session_id)
    if practice.kind != "exam" or practice.status == "active":
        raise NotFound("That exam has not been graded yet.")
    items = await _items(session, session_id)
    by_domain: dict[str, tuple[int, int]] = {}
    wrong = []
    for item in items:
        q = content.questions[item.question_id]
        right, total = by_domain.get(q.domain, (0, 0))
        by_domain[q.domain] = (right + int(bool(item.correct)), total + 1)
        if not item.correct:
            wrong.append((item, q))
    mark = content.blueprint.exam.pass_estimate
    score = sum(int(bool(i.correct)) for i in items)
    return Result(
        practice, score, len(items), 100 * score >= mark * len(items), mark, by_domain, wrong
    )


async def expired_exams(session: AsyncSession, now: datetime, limit: int = 100) -> list[int]:
    rows = await session.scalars(
        select(PracticeSession.id)
        .where(
            PracticeSession.kind == "exam",
            PracticeSession.status == "active",
            PracticeSession.deadline_at <= now,
        )
        .order_by(PracticeSession.deadline_at)
        .limit(limit)
    )
    return list(rows)
