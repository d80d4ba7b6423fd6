"""Quizzes and review sessions: one question at a time, graded on each answer."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Table, bindparam, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.content import ContentStore, Question
from bot.models import PracticeSession, SessionItem
from bot.prepared import Prepared, Runner
from bot.services import review
from bot.services.answers import Recorded, record_answer, seen_and_missed
from bot.services.errors import InvalidInput, NotAllowed, NotFound, ServiceError
from bot.services.selection import allocate, pick

MIXED = "mixed"
MIN_QUESTIONS, MAX_QUESTIONS, DEFAULT_QUESTIONS = 5, 25, 10


class NotYours(NotAllowed):
    def __init__(self, kind: str = "quiz") -> None:
        super().__init__(f"This is not your {kind}. Start your own with /{kind}.")


class AlreadyAnswered(ServiceError):
    def __init__(self) -> None:
        super().__init__("You already answered this question.")


class SessionOver(ServiceError):
    def __init__(self, kind: str = "quiz") -> None:
        super().__init__(f"This {kind} is over. Start a new one with /{kind}.")


@dataclass(slots=True)
class SessionRow:
    """A practice_sessions row as the quiz path reads it (the columns, in table order)."""

    id: int
    user_id: int
    guild_id: int | None
    kind: str
    status: str
    scope: str
    size: int
    position: int
    correct: int
    started_at: datetime
    deadline_at: datetime | None
    finished_at: datetime | None
    result_delivered: bool


@dataclass(slots=True)
class ItemRow:
    """A session_items row (the columns, in table order)."""

    session_id: int
    position: int
    question_id: str
    choice: str | None
    correct: bool | None
    marked: bool
    shown_at: datetime | None
    answered_at: datetime | None


@dataclass(frozen=True)
class Step:
    """A session at a question: what to show next."""

    session: PracticeSession | SessionRow
    item: SessionItem | ItemRow
    question: Question


@dataclass(frozen=True)
class Answered:
    session: SessionRow
    item: ItemRow
    recorded: Recorded

    @property
    def finished(self) -> bool:
        return self.session.status == "finished"


SESSIONS: Table = PracticeSession.__table__  # type: ignore[assignment]
ITEMS: Table = SessionItem.__table__  # type: ignore[assignment]
_SESSION_KEYS = tuple(c.key for c in SESSIONS.columns)
_ITEM_KEYS = tuple(c.key for c in ITEMS.columns)


@cache
def _abandon(kinds: tuple[str, ...]) -> Prepared:
    return Prepared(
        update(SESSIONS)
        .where(
            SESSIONS.c.user_id == bindparam("user"),
            SESSIONS.c.status == "active",
            or_(*(SESSIONS.c.kind == kind for kind in kinds)),
        )
        .values(status="abandoned", finished_at=bindparam("now"))
    )


_PREVIOUS_SET = Prepared(
    select(ITEMS.c.question_id).where(
        ITEMS.c.session_id
        == select(SESSIONS.c.id)
        .where(
            SESSIONS.c.user_id == bindparam("user"),
            SESSIONS.c.kind == "quiz",
            SESSIONS.c.scope == bindparam("scope"),
        )
        .order_by(SESSIONS.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
)
_NEW_SESSION = Prepared(
    insert(SESSIONS)
    .values({key: bindparam(key) for key in _SESSION_KEYS if key != "id"})
    .returning(SESSIONS.c.id)
)
_NEW_ITEM = Prepared(insert(ITEMS).values({key: bindparam(key) for key in _ITEM_KEYS}))
_SESSION = Prepared(select(SESSIONS).where(SESSIONS.c.id == bindparam("sid")))
_SESSION_FOR_UPDATE = Prepared(  # SQLite writers already hold the database lock
    select(SESSIONS).where(SESSIONS.c.id == bindparam("sid")).with_for_update()
)
_ITEM = Prepared(
    select(ITEMS).where(
        ITEMS.c.session_id == bindparam("sid"), ITEMS.c.position == bindparam("pos")
    )
)
_RESULTS = Prepared(
    select(ITEMS.c.question_id, ITEMS.c.correct).where(ITEMS.c.session_id == bindparam("sid"))
)
_MARK_SHOWN = Prepared(
    update(ITEMS)
    .where(
        ITEMS.c.session_id == bindparam("sid"),
        ITEMS.c.position == bindparam("pos"),
        ITEMS.c.shown_at.is_(None),
    )
    .values(shown_at=bindparam("now"))
)
_RECORD_PICK = Prepared(
    update(ITEMS)
    .where(ITEMS.c.session_id == bindparam("sid"), ITEMS.c.position == bindparam("pos"))
    .values(choice=bindparam("pick"), correct=bindparam("right"), answered_at=bindparam("now"))
)
_ADVANCE = Prepared(
    update(SESSIONS)
    .where(SESSIONS.c.id == bindparam("sid"))
    .values(
        position=bindparam("next_position"),
        correct=bindparam("score"),
        status=bindparam("next_status"),
        finished_at=bindparam("ended"),
    )
)


async def _abandon_active(db: Runner, user_id: int, kinds: tuple[str, ...], now: datetime) -> int:
    return await db.run(_abandon(kinds), {"user": user_id, "now": now})


async def _previous_set(db: Runner, user_id: int, scope: str) -> frozenset[str]:
    return frozenset(
        row[0] for row in await db.rows(_PREVIOUS_SET, {"user": user_id, "scope": scope})
    )


async def _create(
    db: Runner,
    *,
    user_id: int,
    guild_id: int | None,
    kind: str,
    scope: str,
    question_ids: list[str],
    now: datetime,
    deadline: datetime | None = None,
) -> SessionRow:
    """Insert a session and its items; returns the session (a plain copy of the row)."""
    values: dict[str, Any] = {
        "user_id": user_id,
        "guild_id": guild_id,
        "kind": kind,
        "status": "active",
        "scope": scope,
        "size": len(question_ids),
        "position": 0,
        "correct": 0,
        "started_at": now,
        "deadline_at": deadline,
        "finished_at": None,
        "result_delivered": False,
    }
    row = await db.first(_NEW_SESSION, values)
    assert row is not None
    practice = SessionRow(id=row[0], **values)
    await db.run_many(
        _NEW_ITEM,
        [
            {
                "session_id": practice.id,
                "position": i,
                "question_id": qid,
                "choice": None,
                "correct": None,
                "marked": False,
                "shown_at": now if i == 0 else None,
                "answered_at": None,
            }
            for i, qid in enumerate(question_ids)
        ],
    )
    return practice


def select_quiz(
    content: ContentStore,
    scope: str,
    size: int,
    seen: set[str],
    missed: set[str],
    rng: random.Random,
    avoid: frozenset[str] = frozenset(),
) -> list[str]:
    if scope == MIXED:
        pools = dict(content.by_domain)
        weights = content.weights("domains")
    elif scope in content.by_domain:
        pools = {scope: content.by_domain[scope]}
        weights = {scope: 1}
    elif scope in content.by_subtopic:  # "domain.subtopic": a drill
        pools = {scope: content.by_subtopic[scope]}
        weights = {scope: 1}
    else:
        raise InvalidInput(f"Unknown domain {scope!r}.")
    counts = allocate(size, weights, {b: len(p) for b, p in pools.items()})
    return pick(pools, counts, seen, missed, rng, avoid)


async def start_quiz(
    db: Runner,
    content: ContentStore,
    *,
    user_id: int,
    guild_id: int | None,
    scope: str = MIXED,
    size: int = DEFAULT_QUESTIONS,
    now: datetime,
    rng: random.Random | None = None,
) -> tuple[Step, int]:
    """Start a quiz; returns the first step and how many active quizzes were abandoned."""
    if not MIN_QUESTIONS <= size <= MAX_QUESTIONS:
        raise InvalidInput(f"A quiz has {MIN_QUESTIONS} to {MAX_QUESTIONS} questions.")
    abandoned = await _abandon_active(db, user_id, ("quiz", "review"), now)
    seen, missed = await seen_and_missed(db, user_id)
    avoid = await _previous_set(db, user_id, scope)
    ids = select_quiz(content, scope, size, seen, missed, rng or random.Random(), avoid)
    if not ids:
        raise NotFound("There are no questions for that choice yet.")
    practice = await _create(
        db,
        user_id=user_id,
        guild_id=guild_id,
        kind="quiz",
        scope=scope,
        question_ids=ids,
        now=now,
    )
    return await _step(db, content, practice), abandoned


async def start_review(
    db: Runner,
    content: ContentStore,
    *,
    user_id: int,
    guild_id: int | None,
    now: datetime,
) -> Step | datetime | None:
    """A review session over the cards due now, or when the next card is due (None: none)."""
    due = [q for q in await review.due_cards(db, user_id, now) if q in content.questions]
    if not due:
        return await review.next_due(db, user_id, now)
    await _abandon_active(db, user_id, ("quiz", "review"), now)
    practice = await _create(
        db,
        user_id=user_id,
        guild_id=guild_id,
        kind="review",
        scope="due",
        question_ids=due,
        now=now,
    )
    return await _step(db, content, practice)


async def load(session: AsyncSession, session_id: int, *, lock: bool = False) -> PracticeSession:
    """The session as an ORM object, for the flows that change it through the ORM (exams)."""
    # SQLite writers already hold the database lock (BEGIN IMMEDIATE); PostgreSQL locks the row
    if lock and session.get_bind().dialect.name != "sqlite":
        practice = await session.get(PracticeSession, session_id, with_for_update=True)
    else:
        practice = await session.get(PracticeSession, session_id)
    if practice is None:
        raise NotFound("That session no longer exists.")
    return practice


async def item_at(session: AsyncSession, session_id: int, position: int) -> SessionItem:
    item = await session.get(SessionItem, (session_id, position))
    if item is None:
        raise NotFound("That question is not part of this session.")
    return item


# The quiz and review clicks below read and write through prepared statements (the hot
# path: see bot/prepared.py); the sessions and items they return are plain copies of the
# rows, not attached to the ORM session.


async def _session_row(db: Runner, session_id: int, *, lock: bool = False) -> SessionRow:
    row = await db.first(_SESSION_FOR_UPDATE if lock else _SESSION, {"sid": session_id})
    if row is None:
        raise NotFound("That session no longer exists.")
    return SessionRow(*row)


async def _item_row(db: Runner, session_id: int, position: int) -> ItemRow:
    row = await db.first(_ITEM, {"sid": session_id, "pos": position})
    if row is None:
        raise NotFound("That question is not part of this session.")
    return ItemRow(*row)


async def _step(db: Runner, content: ContentStore, practice: SessionRow) -> Step:
    item = await _item_row(db, practice.id, min(practice.position, practice.size - 1))
    return Step(practice, item, content.questions[item.question_id])


async def current_step(db: Runner, content: ContentStore, session_id: int) -> Step:
    return await _step(db, content, await _session_row(db, session_id))


def _kind(practice: SessionRow) -> str:
    return practice.kind if practice.kind == "quiz" else "review"


async def answer(
    db: Runner,
    content: ContentStore,
    *,
    session_id: int,
    position: int,
    user_id: int,
    choice: str,
    now: datetime,
) -> Answered:
    """Grade the member's answer to the question at `position`; exactly once."""
    practice = await _session_row(db, session_id, lock=True)
    if practice.user_id != user_id:
        raise NotYours(_kind(practice))
    item = await _item_row(db, session_id, position)
    if item.choice is not None or position < practice.position:
        raise AlreadyAnswered()
    if practice.status != "active":
        raise SessionOver(practice.kind)
    if position != practice.position:
        raise NotFound("That question is not the current one.")
    shown = item.shown_at or practice.started_at
    elapsed = int((now - shown).total_seconds() * 1000)
    recorded = await record_answer(
        db,
        content,
        user_id=user_id,
        guild_id=practice.guild_id,
        question_id=item.question_id,
        choice=choice,
        source=practice.kind,
        now=now,
        response_ms=max(elapsed, 0),
        session_id=practice.id,
    )
    item.choice, item.correct, item.answered_at = recorded.choice, recorded.correct, now
    practice.position += 1
    practice.correct += int(recorded.correct)
    if practice.position >= practice.size:
        practice.status, practice.finished_at = "finished", now
    await db.run(
        _RECORD_PICK,
        {
            "sid": session_id,
            "pos": position,
            "pick": item.choice,
            "right": item.correct,
            "now": now,
        },
    )
    await db.run(
        _ADVANCE,
        {
            "sid": session_id,
            "next_position": practice.position,
            "score": practice.correct,
            "next_status": practice.status,
            "ended": practice.finished_at,
        },
    )
    return Answered(practice, item, recorded)


async def advance(
    db: Runner, content: ContentStore, *, session_id: int, user_id: int, now: datetime
) -> Step | Summary:
    """What the Next button shows: the next question, or the summary after the last."""
    practice = await _session_row(db, session_id)
    if practice.user_id != user_id:
        raise NotYours(_kind(practice))
    if practice.status == "finished":
        return await summary(db, content, session_id)
    if practice.status != "active":
        raise SessionOver(practice.kind)
    step = await _step(db, content, practice)
    if step.item.shown_at is None:
        await db.run(_MARK_SHOWN, {"sid": session_id, "pos": step.item.position, "now": now})
        step.item.shown_at = now
    return step


@dataclass(frozen=True)
class Summary:
    session: SessionRow
    by_subtopic: dict[str, tuple[int, int]]  # topic -> (correct, answered)
    weakest: str | None


async def summary(db: Runner, content: ContentStore, session_id: int) -> Summary:
    practice = await _session_row(db, session_id)
    by_topic: dict[str, tuple[int, int]] = {}
    for question_id, correct in await db.rows(_RESULTS, {"sid": practice.id}):
        if correct is None:
            continue
        q = content.questions[question_id]
        topic = f"{q.domain}.{q.subtopic}"
        right, total = by_topic.get(topic, (0, 0))
        by_topic[topic] = (right + int(correct), total + 1)
    weakest = None
    if by_topic:
        weakest = min(by_topic, key=lambda t: (by_topic[t][0] / by_topic[t][1], -by_topic[t][1]))
        if by_topic[weakest][0] == by_topic[weakest][1]:
            weakest = None  # all right: nothing to drill
    return Summary(practice, by_topic, weakest)
