"""Quizzes and review sessions: one question at a time, graded on each answer."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from bot.content import ContentStore, Question
from bot.enums import AnswerSource, SessionKind, SessionStatus
from bot.services import items, practice_store, review_plan
from bot.services.answers import Recorded, record_answer, seen_and_missed
from bot.services.errors import InvalidInput, NotAllowed, NotFound, ServiceError
from bot.services.practice_store import ITEMS, ItemRow, SessionRow
from bot.services.selection import allocate, pick
from bot.services.sql import Prepared

MIXED = "mixed"
MIN_QUESTIONS, MAX_QUESTIONS, DEFAULT_QUESTIONS = 5, 25, 10
PRACTICE_KINDS = (SessionKind.QUIZ, SessionKind.REVIEW)


class NotYours(NotAllowed):
    def __init__(self, kind: str = "quiz") -> None:
        super().__init__(f"This is not your {kind}. Start your own with /{kind}.")


class SessionOver(ServiceError):
    def __init__(self, kind: str = "quiz") -> None:
        super().__init__(f"This {kind} is over. Start a new one with /{kind}.")


@dataclass(frozen=True)
class Step:
    """A session at a question: what to show next."""

    session: SessionRow
    item: ItemRow
    question: Question


@dataclass(frozen=True)
class Answered:
    """A graded answer; `replayed` when the click had been handled before (its first
    response may never have reached the member), so nothing new was recorded."""

    session: SessionRow
    item: ItemRow
    recorded: Recorded
    replayed: bool = False

    @property
    def finished(self) -> bool:
        return self.session.status == SessionStatus.FINISHED


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


def start_quiz(
    session: Session,
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
    abandoned = practice_store.abandon_active(session, user_id, PRACTICE_KINDS, now)
    seen, missed = seen_and_missed(session, user_id)
    avoid = practice_store.previous_set(session, user_id, scope)
    ids = select_quiz(content, scope, size, seen, missed, rng or random.Random(), avoid)
    if not ids:
        raise NotFound("There are no questions for that choice yet.")
    practice = practice_store.create(
        session,
        user_id=user_id,
        guild_id=guild_id,
        kind=SessionKind.QUIZ,
        scope=scope,
        question_ids=ids,
        now=now,
    )
    return _step(session, content, practice), abandoned


def start_review(
    session: Session,
    content: ContentStore,
    *,
    user_id: int,
    guild_id: int | None,
    now: datetime,
    queue: review_plan.Queue | None = None,
) -> Step | review_plan.Queue:
    """A review session over the cards due now (aimed at the member's exam date when they
    have one: see bot/services/review_plan.py), or the empty queue, which says when the
    next card is due. `queue` is the member's queue when already read (the plan of a big
    deck is worked out in a read, off SQLite's one writer thread)."""
    found = queue if queue is not None else review_plan.queue(session, content, user_id, now)
    due = found.due
    if not due:
        return found
    practice_store.abandon_active(session, user_id, PRACTICE_KINDS, now)
    practice = practice_store.create(
        session,
        user_id=user_id,
        guild_id=guild_id,
        kind=SessionKind.REVIEW,
        scope="due",
        question_ids=due,
        now=now,
    )
    return _step(session, content, practice)


def _step(session: Session, content: ContentStore, practice: SessionRow) -> Step:
    item = practice_store.item(session, practice.id, min(practice.position, practice.size - 1))
    return Step(practice, item, content.questions[item.question_id])


def current_step(session: Session, content: ContentStore, session_id: int) -> Step:
    return _step(session, content, practice_store.get(session, session_id))


def _kind(practice: SessionRow) -> str:
    return practice.kind if practice.kind == SessionKind.QUIZ else "review"


def _owned(session: Session, session_id: int, user_id: int, *, lock: bool = False) -> SessionRow:
    practice = practice_store.get(session, session_id, lock=lock)
    if practice.user_id != user_id or practice.kind not in PRACTICE_KINDS:
        raise NotYours(_kind(practice))
    return practice


def answer(
    session: Session,
    content: ContentStore,
    *,
    session_id: int,
    position: int,
    user_id: int,
    choice: str,
    now: datetime,
) -> Answered:
    """Grade the member's answer to the question at `position`, exactly once.

    A second click on a question already answered (the first response may have been lost)
    gets the same feedback again, with the way on; nothing new is recorded.
    """
    practice = _owned(session, session_id, user_id, lock=True)
    item = practice_store.item(session, session_id, position)
    question = content.questions[item.question_id]
    if item.choice is not None:
        recorded = Recorded(question, item.choice, bool(item.correct), 0)
        return Answered(practice, item, recorded, replayed=True)
    if practice.status != SessionStatus.ACTIVE:
        raise SessionOver(practice.kind)
    if position != practice.position:
        raise NotFound("That question is not the current one.")
    shown = item.shown_at or practice.started_at
    elapsed = int((now - shown).total_seconds() * 1000)
    recorded = record_answer(
        session,
        content,
        user_id=user_id,
        guild_id=practice.guild_id,
        question_id=item.question_id,
        choice=choice,
        source=AnswerSource(practice.kind),
        now=now,
        response_ms=max(elapsed, 0),
        session_id=practice.id,
    )
    item.choice, item.correct, item.answered_at = recorded.choice, recorded.correct, now
    practice_store.update_item(session, item, "choice", "correct", "answered_at")
    practice.position += 1
    practice.correct += int(recorded.correct)
    if practice.position >= practice.size:
        practice.status, practice.finished_at = SessionStatus.FINISHED, now
    practice_store.update_session(session, practice, "position", "correct", "status", "finished_at")
    return Answered(practice, item, recorded)


def advance(
    session: Session, content: ContentStore, *, session_id: int, user_id: int, now: datetime
) -> Step | Summary:
    """What the Next button shows: the next question, or the summary after the last."""
    practice = _owned(session, session_id, user_id)
    if practice.status == SessionStatus.FINISHED:
        return summary(session, content, session_id)
    if practice.status != SessionStatus.ACTIVE:
        raise SessionOver(practice.kind)
    step = _step(session, content, practice)
    if step.item.shown_at is None:
        step.item.shown_at = now
        practice_store.update_item(session, step.item, "shown_at")
    return step


def flag(
    session: Session,
    content: ContentStore,
    *,
    session_id: int,
    position: int,
    user_id: int,
    guild_id: int | None,
    now: datetime,
) -> tuple[str, bool]:
    """Flag the question at `position` of the member's own session; returns its id and
    whether the flag is new (False: they had flagged it before)."""
    _owned(session, session_id, user_id)
    question_id = practice_store.item(session, session_id, position).question_id
    new = items.flag(
        session, content, question_id=question_id, user_id=user_id, guild_id=guild_id, now=now
    )
    return question_id, new


@dataclass(frozen=True)
class Summary:
    session: SessionRow
    by_subtopic: dict[str, tuple[int, int]]  # topic -> (correct, answered)
    weakest: str | None


_RESULTS = Prepared(
    select(ITEMS.c.question_id, ITEMS.c.correct).where(ITEMS.c.session_id == bindparam("sid"))
)


def summary(session: Session, content: ContentStore, session_id: int) -> Summary:
    practice = practice_store.get(session, session_id)
    by_topic: dict[str, tuple[int, int]] = {}
    for question_id, correct in _RESULTS.rows(session, {"sid": practice.id}):
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
