"""Live group quizzes: one question at a time in a channel, answered by everyone against
the clock, revealed to all.

A quiz moves through its questions by claims that only one caller can win, so the
scheduler's tick, a click that completes a question and a second process never post a
question twice or reveal one twice:

- `claim_advance` moves `position` on (or finishes the quiz) when `next_at` has come;
- `posted` starts the question's timer when its message is in the channel;
- `claim_reveal` sets the question's `revealed_at` once; the next question is due a
  short PAUSE later.

Each post (a question, the scoreboard) is also a delivery key, `live:<quiz>:<position>` or
`live:<quiz>:end`, claimed in the same transaction: a lease (bot/services/deliveries.py).
When the poster dies between the claim and the record, the lease lapses and the next tick
of any process posts it (`claim_lapsed`), without doubling one that reached Discord.

A member joins by answering. The first question always runs its full timer (people are
still joining); from the second on the reveal comes as soon as every member who has
joined has answered. Answers count as practice: record_answer gives the point only for
the first right answer to a question in the ISO week, so a repeated quiz farms nothing.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.content import ContentStore
from bot.enums import AnswerSource, DeliveryKind, DeliveryStatus, LiveStatus
from bot.models import LiveAnswer, LiveQuiz, LiveQuizItem
from bot.services import deliveries
from bot.services.answers import Recorded, normalise_choice, record_answer
from bot.services.errors import InvalidInput, NotAllowed, NotFound, ServiceError
from bot.services.quiz import MIXED, select_quiz
from bot.services.sql import dialect_insert, dialect_of

MIN_QUESTIONS, MAX_QUESTIONS, DEFAULT_QUESTIONS = 5, 20, 10
MIN_SECONDS, MAX_SECONDS, DEFAULT_SECONDS = 15, 120, 45
PAUSE = timedelta(seconds=5)  # between a reveal and the next question (or the scoreboard)
RESUME_LIMIT = timedelta(minutes=10)  # idle longer than this at a restart: the quiz ends
FIRST_RIGHT = 3  # names in "who answered right first"


class AlreadyRunning(ServiceError):
    def __init__(self) -> None:
        super().__init__(
            "A live quiz is already running in this channel: join it, or wait for its "
            "scoreboard (whoever started it, or an admin, can end it with /groupquiz stop)."
        )


class AlreadyAnswered(ServiceError):
    def __init__(self, choice: str) -> None:
        super().__init__(
            f"You already answered this question ({', '.join(choice)}): one answer each. "
            "The reveal shows how everyone did."
        )


class QuestionClosed(ServiceError):
    def __init__(self) -> None:
        super().__init__("Time is up for this question: catch the next one!")


class QuizOver(ServiceError):
    def __init__(self) -> None:
        super().__init__("This live quiz is over. Start one with /groupquiz start.")


# -- starting ---------------------------------------------------------------------------------
def start(
    session: Session,
    content: ContentStore,
    *,
    guild_id: int,
    channel_id: int,
    user_id: int,
    scope: str = MIXED,
    size: int = DEFAULT_QUESTIONS,
    seconds: int = DEFAULT_SECONDS,
    now: datetime,
    rng: random.Random | None = None,
) -> LiveQuiz:
    """A new live quiz in the channel; its first question is due at once."""
    if not MIN_QUESTIONS <= size <= MAX_QUESTIONS:
        raise InvalidInput(f"A live quiz has {MIN_QUESTIONS} to {MAX_QUESTIONS} questions.")
    if not MIN_SECONDS <= seconds <= MAX_SECONDS:
        raise InvalidInput(f"Each question runs {MIN_SECONDS} to {MAX_SECONDS} seconds.")
    if session.scalar(select(LiveQuiz.id).where(LiveQuiz.live_channel_id == channel_id)):
        raise AlreadyRunning()
    ids = select_quiz(content, scope, size, set(), set(), rng or random.Random())
    if not ids:
        raise NotFound("There are no questions for that choice yet.")
    quiz = LiveQuiz(
        guild_id=guild_id,
        channel_id=channel_id,
        live_channel_id=channel_id,
        started_by=user_id,
        scope=scope,
        size=len(ids),
        seconds=seconds,
        status=LiveStatus.RUNNING,
        position=-1,
        participants=0,
        next_at=now,
        started_at=now,
    )
    try:
        with session.begin_nested():  # another process may have started one just now
            session.add(quiz)
            session.flush()
    except IntegrityError:
        raise AlreadyRunning() from None
    session.add_all(
        LiveQuizItem(quiz_id=quiz.id, position=i, question_id=qid, answers=0)
        for i, qid in enumerate(ids)
    )
    session.flush()
    return quiz


def get(session: Session, quiz_id: int) -> LiveQuiz:
    quiz = session.get(LiveQuiz, quiz_id)
    if quiz is None:
        raise NotFound("That live quiz no longer exists.")
    return quiz


def item(session: Session, quiz_id: int, position: int) -> LiveQuizItem:
    found = session.get(LiveQuizItem, (quiz_id, position))
    if found is None:
        raise NotFound("That question is not part of this quiz.")
    return found


def running_in(session: Session, channel_id: int) -> LiveQuiz | None:
    return session.scalar(select(LiveQuiz).where(LiveQuiz.live_channel_id == channel_id))


# -- what is due ------------------------------------------------------------------------------
@dataclass(frozen=True)
class LiveDue:
    reveals: list[tuple[int, int]]  # (quiz, position) whose timer ran out
    advances: list[int]  # quizzes whose next question (or scoreboard) is due
    lapsed: list[str]  # posts whose poster died: their keys


LIVE = DeliveryKind.LIVE


def question_key(quiz_id: int, position: int) -> str:
    return f"live:{quiz_id}:{position}"


def end_key(quiz_id: int) -> str:
    return f"live:{quiz_id}:end"


def due(session: Session, now: datetime, owns: Callable[[int], bool] = lambda _g: True) -> LiveDue:
    running = LiveQuiz.status == LiveStatus.RUNNING
    timed_out = session.execute(
        select(LiveQuiz.id, LiveQuiz.position, LiveQuiz.guild_id)
        .join(
            LiveQuizItem,
            and_(LiveQuizItem.quiz_id == LiveQuiz.id, LiveQuizItem.position == LiveQuiz.position),
        )
        .where(
            running,
            LiveQuizItem.message_id.is_not(None),
            LiveQuizItem.revealed_at.is_(None),
            LiveQuizItem.deadline_at <= now,
        )
    )
    advances = session.execute(
        select(LiveQuiz.id, LiveQuiz.guild_id).where(running, LiveQuiz.next_at <= now)
    )
    lapsed = {key: int(key.split(":")[1]) for key in deliveries.lapsed(session, LIVE, now)}
    guilds = dict(
        session.execute(
            select(LiveQuiz.id, LiveQuiz.guild_id).where(LiveQuiz.id.in_(set(lapsed.values())))
        ).all()
        if lapsed
        else ()
    )
    return LiveDue(
        [(q, p) for q, p, g in timed_out if owns(g)],
        [q for q, g in advances if owns(g)],
        [k for k, q in lapsed.items() if q in guilds and owns(guilds[q])],
    )


# -- moving on --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Next:
    """The question to post now (`since`: a retry, whose earlier attempt began then)."""

    quiz: LiveQuiz
    item: LiveQuizItem
    since: datetime | None = None


@dataclass(frozen=True)
class Finished:
    """The quiz is over: the scoreboard to post."""

    board: Scoreboard
    since: datetime | None = None


def claim_advance(
    session: Session, content: ContentStore, quiz_id: int, now: datetime
) -> Next | Finished | None:
    """Move the quiz to its next question, or finish it; None when it is not due or another
    caller moved it already."""
    moved: Any = session.execute(
        update(LiveQuiz)
        .where(
            LiveQuiz.id == quiz_id,
            LiveQuiz.status == LiveStatus.RUNNING,
            LiveQuiz.next_at <= now,
        )
        .values(position=LiveQuiz.position + 1, next_at=None)
    )
    if not moved.rowcount:
        return None
    quiz = get(session, quiz_id)
    session.refresh(quiz)
    if quiz.position >= quiz.size:
        quiz.position = quiz.size - 1
        _end(session, quiz, LiveStatus.FINISHED, now)
        return Finished(scoreboard(session, content, quiz_id))
    deliveries.claim(session, question_key(quiz_id, quiz.position), DeliveryKind.LIVE, now)
    return Next(quiz, item(session, quiz_id, quiz.position))


def claim_lapsed(
    session: Session, content: ContentStore, key: str, now: datetime
) -> Next | Finished | None:
    """Take over a post whose poster died (its lease lapsed): the question or scoreboard to
    post again, or None when another caller has it or it is no longer wanted."""
    claimed = deliveries.claim(session, key, DeliveryKind.LIVE, now)
    if claimed is None:
        return None
    _, quiz_id, what = key.split(":")
    if what == "end":
        return Finished(scoreboard(session, content, int(quiz_id)), claimed.since)
    quiz = get(session, int(quiz_id))
    current = item(session, quiz.id, int(what))
    if quiz.status != LiveStatus.RUNNING or quiz.position != current.position:
        deliveries.finish(session, key, DeliveryStatus.SKIPPED, now, "the quiz moved on")
        return None
    return Next(quiz, current, claimed.since)


def deadline(quiz: LiveQuiz, shown_at: datetime) -> datetime:
    return shown_at + timedelta(seconds=quiz.seconds)


def posted(
    session: Session, quiz_id: int, position: int, message_id: int, shown_at: datetime
) -> None:
    """The question's message is up: its timer runs from `shown_at` (when it was sent)."""
    quiz = get(session, quiz_id)
    found = item(session, quiz_id, position)
    found.message_id, found.shown_at = message_id, shown_at
    found.deadline_at = deadline(quiz, shown_at)
    key = question_key(quiz_id, position)
    deliveries.finish(session, key, DeliveryStatus.SENT, shown_at, message_id=message_id)


def scoreboard_sent(
    session: Session, quiz_id: int, now: datetime, message_id: int | None, error: str | None
) -> None:
    deliveries.record_send(
        session, end_key(quiz_id), now, ok=error is None, detail=error, message_id=message_id
    )


def end(
    session: Session, content: ContentStore, quiz_id: int, note: str, now: datetime
) -> Scoreboard:
    """End a running quiz early (its channel is gone, or the bot was away too long)."""
    quiz = get(session, quiz_id)
    if quiz.status == LiveStatus.RUNNING:
        _end(session, quiz, LiveStatus.ENDED, now, note)
    return scoreboard(session, content, quiz_id)


def _end(
    session: Session, quiz: LiveQuiz, status: LiveStatus, now: datetime, note: str | None = None
) -> None:
    """End the quiz, and claim its scoreboard's post."""
    quiz.status, quiz.finished_at, quiz.next_at = status, now, None
    quiz.live_channel_id, quiz.end_note = None, note
    deliveries.claim(session, end_key(quiz.id), DeliveryKind.LIVE, now)


# -- answering --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Answered:
    recorded: Recorded
    complete: bool  # every member who joined has answered this question


def answer(
    session: Session,
    content: ContentStore,
    *,
    quiz_id: int,
    position: int,
    user_id: int,
    choice: str,
    now: datetime,
) -> Answered:
    """A member's one answer to the current question; refused once its time is up."""
    quiz = get(session, quiz_id)
    if quiz.status != LiveStatus.RUNNING:
        raise QuizOver()
    previous = session.get(LiveAnswer, (quiz_id, user_id, position))
    if previous is not None:
        raise AlreadyAnswered(previous.choice)
    if position != quiz.position:
        raise QuestionClosed()
    current = item(session, quiz_id, position)
    question = content.questions[current.question_id]
    choice = normalise_choice(question, choice)
    correct = question.grade(choice)
    response_ms = max(0, int((now - (current.shown_at or now)).total_seconds() * 1000))
    inserted: Any = session.execute(
        dialect_insert(dialect_of(session), LiveAnswer)
        .values(
            quiz_id=quiz_id,
            user_id=user_id,
            position=position,
            choice=choice,
            correct=correct,
            response_ms=response_ms,
            answered_at=now,
        )
        .on_conflict_do_nothing()
    )
    if not inserted.rowcount:  # a second click racing the first
        raise AlreadyAnswered(choice)
    answers = session.scalar(
        update(LiveQuizItem)
        .where(
            LiveQuizItem.quiz_id == quiz_id,
            LiveQuizItem.position == position,
            LiveQuizItem.revealed_at.is_(None),
            LiveQuizItem.message_id.is_not(None),
            LiveQuizItem.deadline_at > now,
        )
        .values(answers=LiveQuizItem.answers + 1)
        .returning(LiveQuizItem.answers)
    )
    if answers is None:
        raise QuestionClosed()  # rolls the answer back with it
    joined_before = session.scalar(
        select(func.count()).where(
            LiveAnswer.quiz_id == quiz_id,
            LiveAnswer.user_id == user_id,
            LiveAnswer.position != position,
        )
    )
    if not joined_before:
        session.execute(
            update(LiveQuiz)
            .where(LiveQuiz.id == quiz_id)
            .values(participants=LiveQuiz.participants + 1)
        )
    recorded = record_answer(
        session,
        content,
        user_id=user_id,
        guild_id=quiz.guild_id,
        question_id=question.id,
        choice=choice,
        source=AnswerSource.GROUP,
        now=now,
        response_ms=response_ms,
    )
    # read after this answer's own updates: a racing answer's count is committed by now
    participants = session.scalar(
        select(LiveQuiz.participants)
        .where(LiveQuiz.id == quiz_id)
        .execution_options(populate_existing=True)
    )
    return Answered(recorded, position >= 1 and answers >= (participants or 0))


# -- reveals ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Reveal:
    quiz: LiveQuiz
    item: LiveQuizItem
    counts: dict[str, int]  # letter -> members who picked it
    answered: int
    right: int
    first_right: list[tuple[int, int]]  # (user, response ms), fastest first

    @property
    def last(self) -> bool:
        return self.item.position >= self.quiz.size - 1


def claim_reveal(session: Session, quiz_id: int, position: int, now: datetime) -> Reveal | None:
    """Close the question and say what its reveal shows, once; None when another caller
    revealed it already (or it was never posted)."""
    claimed: Any = session.execute(
        update(LiveQuizItem)
        .where(
            LiveQuizItem.quiz_id == quiz_id,
            LiveQuizItem.position == position,
            LiveQuizItem.revealed_at.is_(None),
            LiveQuizItem.message_id.is_not(None),
        )
        .values(revealed_at=now)
    )
    if not claimed.rowcount:
        return None
    session.execute(
        update(LiveQuiz)
        .where(
            LiveQuiz.id == quiz_id,
            LiveQuiz.status == LiveStatus.RUNNING,
            LiveQuiz.position == position,
        )
        .values(next_at=now + PAUSE)
    )
    return reveal_stats(session, quiz_id, position)


def reveal_stats(session: Session, quiz_id: int, position: int) -> Reveal:
    quiz = get(session, quiz_id)
    session.refresh(quiz)
    found = item(session, quiz_id, position)
    rows = session.execute(
        select(LiveAnswer.user_id, LiveAnswer.choice, LiveAnswer.correct, LiveAnswer.response_ms)
        .where(LiveAnswer.quiz_id == quiz_id, LiveAnswer.position == position)
        .order_by(LiveAnswer.answered_at, LiveAnswer.response_ms, LiveAnswer.user_id)
    ).all()
    counts: dict[str, int] = {}
    for _user, picked, _ok, _ms in rows:
        for letter in picked:
            counts[letter] = counts.get(letter, 0) + 1
    right = [(user, ms) for user, _c, ok, ms in rows if ok]
    return Reveal(quiz, found, counts, len(rows), len(right), right[:FIRST_RIGHT])


# -- stopping and restarts ---------------------------------------------------------------------
@dataclass(frozen=True)
class Stopped:
    reveal: Reveal | None  # the open question, closed now
    board: Scoreboard


def stop(
    session: Session,
    content: ContentStore,
    *,
    channel_id: int,
    user_id: int,
    manager: bool,
    now: datetime,
) -> Stopped:
    """End the channel's live quiz (its starter or a manager): close the open question and
    give the scoreboard so far."""
    quiz = running_in(session, channel_id)
    if quiz is None:
        raise NotFound("No live quiz is running in this channel.")
    if quiz.started_by != user_id and not manager:
        raise NotAllowed(
            f"Only <@{quiz.started_by}>, who started this quiz, or an admin can stop it."
        )
    reveal = claim_reveal(session, quiz.id, quiz.position, now) if quiz.position >= 0 else None
    _end(session, quiz, LiveStatus.STOPPED, now, f"stopped by <@{user_id}>")
    return Stopped(reveal, scoreboard(session, content, quiz.id))


@dataclass(frozen=True)
class AfterRestart:
    """What the first tick after a start does with a quiz that was running."""

    quiz_id: int
    resumed: LiveQuizItem | None = None  # its open question, with a fresh timer
    ended: Scoreboard | None = None  # idle too long: ended, with the scoreboard so far


def after_restart(
    session: Session,
    content: ContentStore,
    now: datetime,
    owns: Callable[[int], bool] = lambda _g: True,
) -> list[AfterRestart]:
    """Pick up the quizzes a previous run of the bot left running.

    A quiz idle for less than RESUME_LIMIT resumes at its current question with a fresh
    timer; an older one ends with a notice and the scoreboard so far. A quiz between two
    questions simply goes on, and a question claimed but never recorded as posted is posted
    by the tick once its claim's lease has lapsed (`claim_lapsed`).
    """
    found = []
    for quiz in session.scalars(select(LiveQuiz).where(LiveQuiz.status == LiveStatus.RUNNING)):
        if not owns(quiz.guild_id):
            continue
        current = (
            session.get(LiveQuizItem, (quiz.id, quiz.position)) if quiz.position >= 0 else None
        )
        moments = [quiz.started_at, quiz.next_at]
        if current is not None:
            moments += [current.shown_at, current.deadline_at, current.revealed_at]
        last = max(m for m in moments if m is not None)
        if now - last > RESUME_LIMIT:
            _end(session, quiz, LiveStatus.ENDED, now, "the bot was offline too long")
            found.append(AfterRestart(quiz.id, ended=scoreboard(session, content, quiz.id)))
        elif current is not None and current.revealed_at is None and current.message_id:
            current.deadline_at = deadline(quiz, now)
            found.append(AfterRestart(quiz.id, resumed=current))
    return found


# -- the scoreboard -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Standing:
    user_id: int
    right: int
    answered: int
    total_ms: int
    weakest: str | None  # "domain.subtopic" to drill (None: nothing missed)


@dataclass(frozen=True)
class Scoreboard:
    quiz: LiveQuiz
    asked: int  # questions revealed
    standings: list[Standing]  # right answers, then total answer time


def scoreboard(session: Session, content: ContentStore, quiz_id: int) -> Scoreboard:
    quiz = get(session, quiz_id)
    asked = session.scalar(
        select(func.count()).where(
            LiveQuizItem.quiz_id == quiz_id, LiveQuizItem.revealed_at.is_not(None)
        )
    )
    query = select(LiveQuizItem.position, LiveQuizItem.question_id)
    questions: dict[int, str] = dict(
        session.execute(query.where(LiveQuizItem.quiz_id == quiz_id)).all()
    )
    per_user: dict[int, list[tuple[str, bool, int]]] = {}
    for user, position, correct, ms in session.execute(
        select(
            LiveAnswer.user_id, LiveAnswer.position, LiveAnswer.correct, LiveAnswer.response_ms
        ).where(LiveAnswer.quiz_id == quiz_id)
    ):
        q = content.questions[questions[position]]
        per_user.setdefault(user, []).append((f"{q.domain}.{q.subtopic}", correct, ms))
    standings = [
        Standing(
            user,
            sum(ok for _t, ok, _ms in rows),
            len(rows),
            sum(ms for _t, _ok, ms in rows),
            weakest_topic(rows),
        )
        for user, rows in per_user.items()
    ]
    standings.sort(key=lambda s: (-s.right, s.total_ms, s.user_id))
    return Scoreboard(quiz, asked or 0, standings)


def weakest_topic(rows: list[tuple[str, bool, int]]) -> str | None:
    """The subtopic with the lowest share right (more answers first on a tie); None when
    every answer was right."""
    totals: dict[str, tuple[int, int]] = {}
    for topic, ok, _ms in rows:
        right, total = totals.get(topic, (0, 0))
        totals[topic] = (right + int(ok), total + 1)
    missed = {t: v for t, v in totals.items() if v[0] < v[1]}
    if not missed:
        return None
    return min(sorted(missed), key=lambda t: (missed[t][0] / missed[t][1], -missed[t][1]))
