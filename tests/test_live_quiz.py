"""The live group quiz's service with a fixed clock: timing, joining, scoring, restarts."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from bot.content import ContentStore, Question
from bot.db import Database
from bot.practice_ui import Drill
from bot.services import deliveries
from bot.services import live_quiz as lq
from bot.services.errors import InvalidInput, NotAllowed
from tests.conftest import FIXED_NOW

GUILD, CHANNEL, ALICE, BOB, CAROL = 1, 10, 100, 200, 300
T0 = FIXED_NOW


def wrong(q: Question) -> str:
    other = next(x for x in q.letters if x not in q.answer)
    return "".join(sorted((*q.answer[: q.choose - 1], other)))


async def begin(db: Database, content: ContentStore, **kw: object) -> lq.LiveQuiz:
    options: dict[str, object] = {"size": 5, "seconds": 20, **kw}
    return await db.write(
        lq.start,
        content,
        guild_id=GUILD,
        channel_id=CHANNEL,
        user_id=ALICE,
        now=T0,
        rng=random.Random(3),
        **options,
    )


async def next_question(
    db: Database, content: ContentStore, quiz_id: int, at: object, message: int
) -> Question:
    step = await db.write(lq.claim_advance, content, quiz_id, at)
    assert isinstance(step, lq.Next)
    await db.write(lq.posted, quiz_id, step.item.position, message, at)
    return content.questions[step.item.question_id]


async def give(
    db: Database,
    content: ContentStore,
    quiz_id: int,
    position: int,
    user: int,
    choice: str,
    at: object,
) -> lq.Answered:
    return await db.write(
        lq.answer,
        content,
        quiz_id=quiz_id,
        position=position,
        user_id=user,
        choice=choice,
        now=at,
    )


async def test_timer_reveal_pause_and_the_end(db: Database, content: ContentStore) -> None:
    quiz = await begin(db, content, size=5, seconds=20)
    with pytest.raises(lq.AlreadyRunning):
        await begin(db, content)
    assert (await db.read(lq.due, T0)).advances == [quiz.id]
    q = await next_question(db, content, quiz.id, T0, 501)
    assert await db.write(lq.claim_advance, content, quiz.id, T0) is None  # taken
    item = await db.read(lq.item, quiz.id, 0)
    assert item.deadline_at == T0 + timedelta(seconds=20)

    done = await give(db, content, quiz.id, 0, BOB, q.key, T0 + timedelta(seconds=4))
    assert done.recorded.correct
    assert not done.complete  # the first question always runs its timer
    with pytest.raises(lq.AlreadyAnswered):
        await give(db, content, quiz.id, 0, BOB, wrong(q), T0 + timedelta(seconds=5))
    with pytest.raises(lq.QuestionClosed):
        await give(db, content, quiz.id, 0, CAROL, q.key, T0 + timedelta(seconds=20))

    assert (await db.read(lq.due, T0 + timedelta(seconds=19))).reveals == []
    at = T0 + timedelta(seconds=20)
    assert (await db.read(lq.due, at)).reveals == [(quiz.id, 0)]
    reveal = await db.write(lq.claim_reveal, quiz.id, 0, at)
    assert reveal is not None
    assert (reveal.answered, reveal.right, reveal.first_right) == (1, 1, [(BOB, 4000)])
    assert await db.write(lq.claim_reveal, quiz.id, 0, at) is None  # never twice
    assert (await db.read(lq.due, at + lq.PAUSE - timedelta(seconds=1))).advances == []
    assert (await db.read(lq.due, at + lq.PAUSE)).advances == [quiz.id]

    moment = at + lq.PAUSE
    for position in range(1, 5):
        await next_question(db, content, quiz.id, moment, 501 + position)
        moment += timedelta(seconds=20)
        assert await db.write(lq.claim_reveal, quiz.id, position, moment) is not None
        moment += lq.PAUSE
    finished = await db.write(lq.claim_advance, content, quiz.id, moment)
    assert isinstance(finished, lq.Finished)
    assert finished.board.asked == 5
    assert [s.user_id for s in finished.board.standings] == [BOB]
    ended = await db.read(lq.get, quiz.id)
    assert (ended.status, ended.live_channel_id) == ("finished", None)
    assert await db.write(lq.claim_advance, content, quiz.id, moment) is None
    await begin(db, content)  # the channel is free again


async def test_joining_early_reveal_and_scoreboard(db: Database, content: ContentStore) -> None:
    quiz = await begin(db, content, size=5, seconds=30)
    q = await next_question(db, content, quiz.id, T0, 1)
    await give(db, content, quiz.id, 0, ALICE, q.key, T0 + timedelta(seconds=2))
    await give(db, content, quiz.id, 0, BOB, wrong(q), T0 + timedelta(seconds=9))
    await db.write(lq.claim_reveal, quiz.id, 0, T0 + timedelta(seconds=30))
    at = T0 + timedelta(seconds=40)
    q = await next_question(db, content, quiz.id, at, 2)
    first = await give(db, content, quiz.id, 1, CAROL, q.key, at + timedelta(seconds=1))
    assert not first.complete  # carol joined; alice and bob have not answered yet
    assert not (await give(db, content, quiz.id, 1, BOB, q.key, at + timedelta(seconds=2))).complete
    last = await give(db, content, quiz.id, 1, ALICE, q.key, at + timedelta(seconds=3))
    assert last.complete
    assert (await db.read(lq.get, quiz.id)).participants == 3
    board = await db.read(lq.scoreboard, content, quiz.id)
    # ranked by right answers, then by total answer time
    rows = [(s.user_id, s.right, s.answered, s.total_ms) for s in board.standings]
    assert rows == [(ALICE, 2, 2, 5000), (CAROL, 1, 1, 1000), (BOB, 1, 2, 11000)]
    bob = board.standings[2]
    assert bob.weakest is not None
    assert board.standings[0].weakest is None  # nothing missed, nothing to drill


async def test_points_as_practice_once_a_week(db: Database, content: ContentStore) -> None:
    quiz = await begin(db, content, size=5)
    q = await next_question(db, content, quiz.id, T0, 1)
    done = await give(db, content, quiz.id, 0, ALICE, q.key, T0 + timedelta(seconds=3))
    assert done.recorded.points == 1
    await db.write(lq.stop, content, channel_id=CHANNEL, user_id=ALICE, manager=False, now=T0)
    later = T0 + timedelta(hours=1)
    again = await db.write(
        lq.start,
        content,
        guild_id=GUILD,
        channel_id=CHANNEL,
        user_id=ALICE,
        size=5,
        now=later,
        rng=random.Random(3),  # the same questions
    )
    q2 = await next_question(db, content, again.id, later, 2)
    assert q2.id == q.id
    repeat = await give(db, content, again.id, 0, ALICE, q.key, later + timedelta(seconds=1))
    assert repeat.recorded.points == 0  # the same question, the same ISO week


async def test_stop_is_for_the_starter_or_a_manager(db: Database, content: ContentStore) -> None:
    quiz = await begin(db, content)
    q = await next_question(db, content, quiz.id, T0, 1)
    with pytest.raises(NotAllowed):
        await db.write(lq.stop, content, channel_id=CHANNEL, user_id=BOB, manager=False, now=T0)
    stopped = await db.write(
        lq.stop, content, channel_id=CHANNEL, user_id=BOB, manager=True, now=T0
    )
    assert stopped.reveal is not None
    assert stopped.board.quiz.status == "stopped"
    with pytest.raises(lq.QuizOver):
        await give(db, content, quiz.id, 0, CAROL, q.key, T0)


async def test_after_a_restart_resume_repost_or_end(db: Database, content: ContentStore) -> None:
    quiz = await begin(db, content, seconds=20)
    await next_question(db, content, quiz.id, T0, 1)
    back = T0 + timedelta(minutes=3)  # down for three minutes, the timer long gone
    (found,) = await db.write(lq.after_restart, content, back)
    assert found.resumed is not None
    assert found.resumed.deadline_at == back + timedelta(seconds=20)  # a fresh timer
    assert (await db.read(lq.due, back)).reveals == []

    other = await db.write(
        lq.start, content, guild_id=GUILD, channel_id=CHANNEL + 1, user_id=BOB, now=back
    )
    await db.write(lq.claim_advance, content, other.id, back)  # claimed, never posted
    soon = back + timedelta(seconds=5)
    (resumed,) = await db.write(lq.after_restart, content, soon)  # the other waits its lease
    assert resumed.quiz_id == quiz.id
    assert (await db.read(lq.due, soon)).lapsed == []
    lapsed = back + deliveries.LEASE + timedelta(seconds=1)  # nobody renewed it: posted again
    assert (await db.read(lq.due, lapsed)).lapsed == [lq.question_key(other.id, 0)]
    repost = await db.write(lq.claim_lapsed, content, lq.question_key(other.id, 0), lapsed)
    assert isinstance(repost, lq.Next)
    assert (repost.item.position, repost.since) == (0, back)  # minding the earlier attempt
    assert await db.write(lq.claim_lapsed, content, lq.question_key(other.id, 0), lapsed) is None

    gone = back + lq.RESUME_LIMIT + timedelta(minutes=1)
    ended = await db.write(lq.after_restart, content, gone)
    assert all(f.ended is not None for f in ended)
    assert {f.ended.quiz.status for f in ended if f.ended} == {"ended"}
    assert await db.write(lq.after_restart, content, gone) == []


async def test_sizes_and_timers_outside_the_limits_are_refused(
    db: Database, content: ContentStore
) -> None:
    for options in ({"size": 4}, {"size": 21}, {"seconds": 14}, {"seconds": 121}):
        with pytest.raises(InvalidInput):
            await begin(db, content, **options)
    await begin(db, content, size=20, seconds=120)


def test_every_subtopic_has_a_drill_button(content: ContentStore) -> None:
    for topic in content.by_subtopic:
        assert Drill.make_id(scope=topic) == f"plan:q:{topic}"
