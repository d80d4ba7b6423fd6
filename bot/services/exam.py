"""Mock exams: timed, answers hidden until the end, graded like the real exam."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot.content import ContentStore, Question
from bot.enums import AnswerSource, DeliveryKind, SessionKind, SessionStatus
from bot.services import deliveries, practice_store
from bot.services.answers import normalise_choice, record_answer, seen_and_missed
from bot.services.errors import InvalidInput, NotFound
from bot.services.practice_store import ItemRow, SessionRow
from bot.services.quiz import NotYours as _NotYours
from bot.services.quiz import SessionOver, Step
from bot.services.selection import allocate, pick

LENGTHS = {"full": (50, 120), "half": (25, 60)}  # questions, minutes
SCHEMES = ("official", "domains")


class NotYours(_NotYours):
    def __init__(self) -> None:
        super().__init__("exam")


@dataclass(frozen=True)
class Result:
    session: SessionRow
    score: int
    total: int
    passed: bool
    pass_mark: int
    by_bucket: dict[str, tuple[int, int]]  # domain id -> (correct, total)
    wrong: list[tuple[ItemRow, Question]]

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


def start_exam(
    session: Session,
    content: ContentStore,
    *,
    user_id: int,
    guild_id: int | None,
    length: str = "full",
    scheme: str = "official",
    now: datetime,
    rng: random.Random | None = None,
) -> tuple[Step, int]:
    """Start a mock exam; returns its first page and how many running exams were closed."""
    if length not in LENGTHS:
        raise InvalidInput("Length is 'full' (50 questions) or 'half' (25).")
    size, minutes = LENGTHS[length]
    closed = practice_store.abandon_active(session, user_id, (SessionKind.EXAM,), now)
    seen, missed = seen_and_missed(session, user_id)
    ids = select_exam(content, scheme, size, seen, missed, rng or random.Random())
    practice = practice_store.create(
        session,
        user_id=user_id,
        guild_id=guild_id,
        kind=SessionKind.EXAM,
        scope=scheme,
        question_ids=ids,
        now=now,
        deadline=now + timedelta(minutes=minutes),
    )
    item = practice_store.item(session, practice.id, 0)
    return Step(practice, item, content.questions[item.question_id]), closed


def _active_owned(session: Session, session_id: int, user_id: int, now: datetime) -> SessionRow:
    practice = practice_store.get(session, session_id, lock=True)
    if practice.user_id != user_id or practice.kind != SessionKind.EXAM:
        raise NotYours()
    if practice.status != SessionStatus.ACTIVE:
        raise SessionOver("exam")
    if practice.deadline_at is not None and now >= practice.deadline_at:
        raise SessionOver("exam")
    return practice


def goto(
    session: Session,
    content: ContentStore,
    *,
    session_id: int,
    user_id: int,
    position: int,
    now: datetime,
) -> Step:
    practice = _active_owned(session, session_id, user_id, now)
    practice.position = max(0, min(position, practice.size - 1))
    practice_store.update_session(session, practice, "position")
    item = practice_store.item(session, session_id, practice.position)
    if item.shown_at is None:
        item.shown_at = now
        practice_store.update_item(session, item, "shown_at")
    return Step(practice, item, content.questions[item.question_id])


def pick_answer(
    session: Session,
    content: ContentStore,
    *,
    session_id: int,
    user_id: int,
    position: int,
    choice: str,
    now: datetime,
) -> Step:
    """Set (or change) the pick for a question; nothing is revealed."""
    practice = _active_owned(session, session_id, user_id, now)
    item = practice_store.item(session, session_id, position)
    question = content.questions[item.question_id]
    if question.multiple and len(choice) == 1 and item.choice:
        # toggling one letter of a multiple-select pick
        letters = set(item.choice) ^ {choice}
        item.choice = "".join(sorted(letters)) or None
    else:
        item.choice = normalise_choice(question, choice)
    item.answered_at = now
    practice_store.update_item(session, item, "choice", "answered_at")
    practice.position = position
    practice_store.update_session(session, practice, "position")
    return Step(practice, item, question)


def toggle_mark(
    session: Session,
    content: ContentStore,
    *,
    session_id: int,
    user_id: int,
    position: int,
    now: datetime,
) -> Step:
    practice = _active_owned(session, session_id, user_id, now)
    item = practice_store.item(session, session_id, position)
    item.marked = not item.marked
    practice_store.update_item(session, item, "marked")
    return Step(practice, item, content.questions[item.question_id])


def progress(session: Session, session_id: int) -> tuple[int, int, list[int]]:
    """(answered, total, marked positions) of an exam."""
    items = practice_store.items(session, session_id)
    answered = sum(1 for i in items if i.choice)
    return answered, len(items), [i.position for i in items if i.marked]


def submission(
    session: Session, *, session_id: int, user_id: int, now: datetime
) -> tuple[int, int, int, list[int]]:
    """What the Submit confirmation shows: (current position, answered, total, marked)."""
    practice = _active_owned(session, session_id, user_id, now)
    answered, total, marked = progress(session, session_id)
    return practice.position, answered, total, marked


def grade(
    session: Session,
    content: ContentStore,
    *,
    session_id: int,
    now: datetime,
    user_id: int | None = None,
    expired: bool = False,
    delivered: bool = False,
) -> Result:
    """Grade the exam once: every pick becomes a recorded answer in this transaction.

    `delivered`: the result is being shown to the member now (not only by DM later).
    """
    practice = practice_store.get(session, session_id, lock=True)
    if practice.kind != SessionKind.EXAM or (user_id is not None and practice.user_id != user_id):
        raise NotYours()
    if practice.status == SessionStatus.ACTIVE:
        correct = 0
        for item in practice_store.items(session, session_id):
            if item.choice:
                rec = record_answer(
                    session,
                    content,
                    user_id=practice.user_id,
                    guild_id=practice.guild_id,
                    question_id=item.question_id,
                    choice=item.choice,
                    source=AnswerSource.EXAM,
                    now=now,
                    session_id=practice.id,
                )
                item.correct = rec.correct
            else:
                item.correct = False
            practice_store.update_item(session, item, "correct")
            correct += int(bool(item.correct))
        practice.correct = correct
        practice.status = SessionStatus.EXPIRED if expired else SessionStatus.FINISHED
        practice.finished_at = now
        practice_store.update_session(session, practice, "correct", "status", "finished_at")
    if delivered and not practice.result_delivered:
        practice.result_delivered = True
        practice_store.update_session(session, practice, "result_delivered")
    return result(session, content, session_id)


def result(session: Session, content: ContentStore, session_id: int) -> Result:
    practice = practice_store.get(session, session_id)
    if practice.kind != SessionKind.EXAM or practice.status == SessionStatus.ACTIVE:
        raise NotFound("That exam has not been graded yet.")
    items = practice_store.items(session, session_id)
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


def outcome(
    session: Session, content: ContentStore, *, session_id: int, user_id: int, now: datetime
) -> Result:
    """What a click on a closed exam shows: its result. An exam whose time ran out is
    graded now if the scheduler has not graded it yet (the member sees it either way)."""
    practice = practice_store.get(session, session_id)
    if practice.user_id != user_id or practice.kind != SessionKind.EXAM:
        raise NotYours()
    if practice.status == SessionStatus.ABANDONED:
        raise SessionOver("exam")
    timed_out = practice.deadline_at is not None and now >= practice.deadline_at
    if practice.status == SessionStatus.ACTIVE and not timed_out:
        raise NotFound("This exam is still running.")
    return grade(
        session, content, session_id=session_id, now=now, expired=timed_out, delivered=True
    )


# -- the result by DM when time ran out: exactly once, never lost ----------------------------------
def result_key(session_id: int) -> str:
    return f"exam:{session_id}"


@dataclass(frozen=True)
class TimedOut:
    result: Result
    claim: deliveries.Claim


def timeouts(session: Session, now: datetime) -> list[int]:
    """The exams whose result DM is to be sent now: those whose sender died (its claim's
    lease lapsed) first, then the running exams whose time ran out."""
    retries = [int(key.split(":")[1]) for key in deliveries.lapsed(session, DeliveryKind.EXAM, now)]
    return retries + practice_store.expired_exams(session, now)


def claim_timeout(
    session: Session, content: ContentStore, session_id: int, now: datetime
) -> TimedOut | None:
    """Claim the exam's result DM (a retry when its sender died) and grade the exam, once;
    None when another tick or process has it."""
    claimed = deliveries.claim(session, result_key(session_id), DeliveryKind.EXAM, now)
    if claimed is None:
        return None
    res = grade(session, content, session_id=session_id, now=now, expired=True)
    return TimedOut(res, claimed)


def result_sent(
    session: Session,
    session_id: int,
    now: datetime,
    *,
    ok: bool,
    retry: bool,
    detail: str | None,
    message_id: int | None,
) -> None:
    """Record how the result DM went: sent (the member has seen it), to be retried (Discord
    said "not now"), or failed (DMs closed: the exam's own message shows the result)."""
    if ok:
        practice = practice_store.get(session, session_id)
        practice.result_delivered = True
        practice_store.update_session(session, practice, "result_delivered")
    deliveries.record_outcome(
        session,
        result_key(session_id),
        now,
        retry=retry,
        ok=ok,
        detail=detail,
        message_id=message_id,
    )


expired_exams = practice_store.expired_exams
