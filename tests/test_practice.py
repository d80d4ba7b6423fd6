"""Quiz, exam, review and points services with a fixed clock, on SQLite and PostgreSQL."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.content import ContentStore, Question
from bot.db import Database
from bot.models import (
    Answer,
    LeaderboardTotal,
    PracticeSession,
    ProgressTotal,
    ReviewCard,
    SessionItem,
)
from bot.services import exam, items, practice_store, quiz, review, review_plan
from bot.services.answers import PRACTICE_POINTS, record_answer
from bot.services.errors import InvalidInput
from bot.services.selection import allocate, pick
from tests.conftest import FIXED_NOW, get, scalar, scalars

USER, OTHER, GUILD = 1001, 1002, 5001


def wrong_choice(q: Question) -> str:
    return next(letter for letter in q.letters if letter not in q.answer)


def test_allocate_follows_weights_and_fills_short_buckets() -> None:
    weights = {"a": 26, "b": 21, "c": 23, "d": 15, "e": 15}
    got = allocate(50, weights, dict.fromkeys(weights, 100))
    assert sum(got.values()) == 50
    # 13, 10.5, 11.5, 7.5, 7.5: the halves go to the heavier buckets first
    assert got == {"a": 13, "b": 11, "c": 12, "d": 7, "e": 7}
    short = allocate(10, {"a": 50, "b": 50}, {"a": 2, "b": 100})
    assert short == {"a": 2, "b": 8}


def test_pick_prefers_unseen_then_missed_and_avoids_the_last_set() -> None:
    pools = {"x": [f"q{i}" for i in range(10)]}
    seen = {f"q{i}" for i in range(10)} - {"q0", "q1"}
    missed = {"q2", "q3"}
    got = pick(pools, {"x": 4}, seen, missed, random.Random(1))
    assert set(got) == {"q0", "q1", "q2", "q3"}
    again = pick(pools, {"x": 4}, seen, missed, random.Random(1), avoid=frozenset(got))
    assert set(again) != set(got)
    assert len(set(again)) == 4


async def test_quiz_flow_grading_and_no_repeats(db: Database, content: ContentStore) -> None:
    now = FIXED_NOW
    step, abandoned = await db.write(
        quiz.start_quiz,
        content,
        user_id=USER,
        guild_id=GUILD,
        size=5,
        now=now,
        rng=random.Random(7),
    )
    assert abandoned == 0
    sid = step.session.id
    ids = list(
        await scalars(db, select(SessionItem.question_id).where(SessionItem.session_id == sid))
    )
    assert len(ids) == len(set(ids)) == 5

    results = []
    for pos in range(5):
        st = await db.write(quiz.current_step, content, sid)
        q = st.question
        choice = wrong_choice(q) if pos == 0 else q.key
        out = await db.write(
            quiz.answer,
            content,
            session_id=sid,
            position=pos,
            user_id=USER,
            choice=choice,
            now=now + timedelta(seconds=10 * pos + 5),
        )
        results.append(out.recorded.correct)
    assert results == [False, True, True, True, True]
    summary = await db.read(quiz.summary, content, sid)
    assert summary.session.status == "finished"
    assert summary.session.correct == 4
    assert summary.weakest is not None
    assert sum(t for _, t in summary.by_subtopic.values()) == 5


async def test_only_the_owner_answers_and_only_once(db: Database, content: ContentStore) -> None:
    step, _ = await db.write(
        quiz.start_quiz, content, user_id=USER, guild_id=GUILD, size=5, now=FIXED_NOW
    )
    sid, key = step.session.id, step.question.key

    async def click(user: int) -> quiz.Answered:
        return await db.write(
            quiz.answer,
            content,
            session_id=sid,
            position=0,
            user_id=user,
            choice=key,
            now=FIXED_NOW,
        )

    with pytest.raises(quiz.NotYours, match="not your quiz"):
        await click(OTHER)
    first = await click(USER)
    again = await click(USER)  # a retry after a lost response: the same feedback, once
    assert not first.replayed
    assert again.replayed
    assert (again.recorded.choice, again.recorded.correct) == (key, True)
    assert (again.session.position, again.session.correct) == (1, 1)
    assert await scalar(db, select(func.count()).select_from(Answer)) == 1


async def test_a_second_quiz_abandons_the_first(db: Database, content: ContentStore) -> None:
    first, _ = await db.write(
        quiz.start_quiz, content, user_id=USER, guild_id=GUILD, size=5, now=FIXED_NOW
    )
    _, abandoned = await db.write(
        quiz.start_quiz, content, user_id=USER, guild_id=GUILD, size=5, now=FIXED_NOW
    )
    assert abandoned == 1
    assert (await get(db, PracticeSession, first.session.id)).status == "abandoned"  # type: ignore[union-attr]
    with pytest.raises(quiz.SessionOver):
        await db.write(
            quiz.answer,
            content,
            session_id=first.session.id,
            position=0,
            user_id=USER,
            choice="A",
            now=FIXED_NOW,
        )


async def test_a_session_never_seen_is_discarded_and_no_other(
    db: Database, content: ContentStore
) -> None:
    """What a start whose reply came too late undoes (bot/replies.py)."""
    unseen, _ = await db.write(
        quiz.start_quiz, content, user_id=USER, guild_id=GUILD, size=5, now=FIXED_NOW
    )
    assert await db.write(practice_store.discard_unseen, unseen.session.id)
    assert await get(db, PracticeSession, unseen.session.id) is None
    assert await scalar(db, select(func.count()).select_from(SessionItem)) == 0
    answered, _ = await db.write(
        quiz.start_quiz, content, user_id=USER, guild_id=GUILD, size=5, now=FIXED_NOW
    )
    sid = answered.session.id
    await db.write(
        quiz.answer,
        content,
        session_id=sid,
        position=0,
        user_id=USER,
        choice=answered.question.key,
        now=FIXED_NOW,
    )
    assert not await db.write(practice_store.discard_unseen, sid)  # seen: it was answered
    closed, _ = await db.write(
        quiz.start_quiz, content, user_id=USER, guild_id=GUILD, size=5, now=FIXED_NOW
    )
    await db.write(quiz.start_quiz, content, user_id=USER, guild_id=GUILD, size=5, now=FIXED_NOW)
    assert (await get(db, PracticeSession, closed.session.id)).status == "abandoned"  # type: ignore[union-attr]
    assert not await db.write(practice_store.discard_unseen, closed.session.id)  # over: kept
    assert await scalar(db, select(func.count()).select_from(PracticeSession)) == 3


async def test_quiz_size_and_domain_are_checked(db: Database, content: ContentStore) -> None:
    with pytest.raises(InvalidInput, match="5 to 25"):
        await db.write(
            quiz.start_quiz, content, user_id=USER, guild_id=None, size=30, now=FIXED_NOW
        )
    with pytest.raises(InvalidInput, match="Unknown domain"):
        await db.write(
            quiz.start_quiz,
            content,
            user_id=USER,
            guild_id=None,
            scope="nope",
            now=FIXED_NOW,
        )


def test_multiple_select_scores_only_when_every_pick_is_right(content: ContentStore) -> None:
    multi = next(q for q in content.questions.values() if q.multiple)
    assert multi.grade(multi.key)
    assert multi.grade(multi.key[::-1])
    assert not multi.grade(multi.key[0])
    assert not multi.grade(multi.key + wrong_choice(multi))


async def test_points_once_per_question_per_iso_week(db: Database, content: ContentStore) -> None:
    q = next(iter(content.questions.values()))
    monday = FIXED_NOW - timedelta(days=2)  # Monday of the same ISO week
    points = []
    for when in (monday, FIXED_NOW, FIXED_NOW + timedelta(days=5)):  # last: next week
        rec = await db.write(
            record_answer,
            content,
            user_id=USER,
            guild_id=GUILD,
            question_id=q.id,
            choice=q.key,
            source="quiz",
            now=when,
        )
        points.append(rec.points)
    assert points == [PRACTICE_POINTS, 0, PRACTICE_POINTS]
    wrong = await db.write(
        record_answer,
        content,
        user_id=USER,
        guild_id=GUILD,
        question_id=q.id,
        choice=wrong_choice(q),
        source="review",
        now=FIXED_NOW,
    )
    daily = await db.write(
        record_answer,
        content,
        user_id=OTHER,
        guild_id=GUILD,
        question_id=q.id,
        choice=wrong_choice(q),
        source="daily",
        now=FIXED_NOW,
    )
    assert wrong.points == 0
    assert daily.points == 2
    total = await get(db, LeaderboardTotal, (GUILD, "all", "*", USER))
    week = await get(db, LeaderboardTotal, (GUILD, "2026-W48", q.domain, USER))
    progress = await get(db, ProgressTotal, (USER, "all", "*"))
    assert total is not None
    assert (total.points, total.answered, total.correct) == (2 * PRACTICE_POINTS, 4, 3)
    assert week is not None
    assert week.points == PRACTICE_POINTS
    assert progress is not None
    assert (progress.answered, progress.correct) == (4, 3)


async def test_fsrs_cards_wrong_is_again_right_is_good(db: Database, content: ContentStore) -> None:
    q1, q2 = list(content.questions.values())[:2]
    await db.write(
        record_answer,
        content,
        user_id=USER,
        guild_id=None,
        question_id=q1.id,
        choice=wrong_choice(q1),
        source="quiz",
        now=FIXED_NOW,
    )
    await db.write(
        record_answer,
        content,
        user_id=USER,
        guild_id=None,
        question_id=q2.id,
        choice=q2.key,
        source="quiz",
        now=FIXED_NOW,
    )
    c1 = await get(db, ReviewCard, (USER, q1.id))
    c2 = await get(db, ReviewCard, (USER, q2.id))
    assert c1 is not None
    assert c2 is not None
    assert c1.due_at - FIXED_NOW <= timedelta(minutes=10)  # Again: relearn soon
    assert c2.due_at > c1.due_at
    assert await db.read(review.due_cards, USER, FIXED_NOW) == []
    later = FIXED_NOW + timedelta(minutes=15)
    assert await db.read(review.due_cards, USER, later) == [q1.id]
    assert await db.read(review.next_due, USER, FIXED_NOW) == c1.due_at

    nothing = await db.write(quiz.start_review, content, user_id=USER, guild_id=None, now=FIXED_NOW)
    assert isinstance(nothing, review_plan.Queue)
    assert (nothing.due, nothing.next_at, nothing.any_cards) == ([], c1.due_at, True)
    assert nothing.exam_day is None
    step = await db.write(
        quiz.start_review,
        content,
        user_id=USER,
        guild_id=None,
        now=FIXED_NOW + timedelta(minutes=15),
    )
    assert isinstance(step, quiz.Step)
    assert step.session.kind == "review"
    assert step.question.id == q1.id


async def test_exam_draws_to_official_weights_and_grades_strictly(
    db: Database, content: ContentStore
) -> None:
    step, closed = await db.write(
        exam.start_exam,
        content,
        user_id=USER,
        guild_id=GUILD,
        length="half",
        now=FIXED_NOW,
        rng=random.Random(3),
    )
    assert closed == 0
    sid = step.session.id
    assert step.session.size == 25
    assert step.session.deadline_at == FIXED_NOW + timedelta(minutes=60)
    qids = list(
        await scalars(db, select(SessionItem.question_id).where(SessionItem.session_id == sid))
    )
    assert len(set(qids)) == 25
    sections = {content.questions[q].section[0] for q in qids}
    assert len(sections) >= 4
    # answer: first right, second wrong, a multiple-select one half right; rest blank
    for pos, qid in enumerate(qids[:2]):
        q = content.questions[qid]
        await db.write(
            exam.pick_answer,
            content,
            session_id=sid,
            user_id=USER,
            position=pos,
            choice=q.key if pos == 0 else wrong_choice(q),
            now=FIXED_NOW,
        )
    await db.write(
        exam.toggle_mark, content, session_id=sid, user_id=USER, position=1, now=FIXED_NOW
    )
    answered, total, marked = await db.read(exam.progress, sid)
    assert (answered, total, marked) == (2, 25, [1])
    res = await db.write(
        exam.grade, content, session_id=sid, user_id=USER, now=FIXED_NOW + timedelta(minutes=30)
    )
    assert (res.score, res.total, res.passed) == (1, 25, False)
    assert len(res.wrong) == 24
    assert sum(t for _, t in res.by_bucket.values()) == 25
    again = await db.write(exam.grade, content, session_id=sid, now=FIXED_NOW)  # no change
    assert again.score == 1
    assert await scalar(db, select(func.count()).select_from(Answer)) == 2


async def test_exam_timeout_is_found_and_graded(db: Database, content: ContentStore) -> None:
    step, _ = await db.write(
        exam.start_exam, content, user_id=USER, guild_id=None, length="half", now=FIXED_NOW
    )
    sid = step.session.id
    assert await db.read(exam.expired_exams, FIXED_NOW + timedelta(minutes=59)) == []
    assert await db.read(exam.expired_exams, FIXED_NOW + timedelta(minutes=60)) == [sid]
    with pytest.raises(quiz.SessionOver):
        await db.write(
            exam.pick_answer,
            content,
            session_id=sid,
            user_id=USER,
            position=0,
            choice="A",
            now=FIXED_NOW + timedelta(minutes=61),
        )
    res = await db.write(
        exam.grade, content, session_id=sid, now=FIXED_NOW + timedelta(hours=1), expired=True
    )
    assert res.session.status == "expired"
    assert res.score == 0


async def test_flags_and_item_statistics(db: Database, content: ContentStore) -> None:
    q = next(iter(content.questions.values()))
    assert await db.write(
        items.flag, content, question_id=q.id, user_id=USER, guild_id=GUILD, now=FIXED_NOW
    )
    assert not await db.write(
        items.flag, content, question_id=q.id, user_id=USER, guild_id=GUILD, now=FIXED_NOW
    )
    for user in range(3):
        await db.write(
            record_answer,
            content,
            user_id=user,
            guild_id=GUILD,
            question_id=q.id,
            choice=wrong_choice(q),
            source="quiz",
            now=FIXED_NOW,
        )
    flags = await db.read(items.open_flags)
    worst = await db.read(items.hardest)
    assert [(f.question_id, f.reports) for f in flags] == [(q.id, 1)]
    assert worst[0].question_id == q.id
    assert worst[0].answered == 3
    assert worst[0].flags == 1
    assert worst[0].picks == {wrong_choice(q): 3}


def test_row_classes_follow_the_tables() -> None:
    """The practice store builds SessionRow and ItemRow from rows by position."""
    from bot.services import practice_store

    columns = tuple(c.key for c in practice_store.SESSIONS.columns)
    assert columns == practice_store.SessionRow.__match_args__
    assert (
        tuple(c.key for c in practice_store.ITEMS.columns) == practice_store.ItemRow.__match_args__
    )
