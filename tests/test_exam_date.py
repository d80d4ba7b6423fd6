"""Reviews aimed at the exam date (bot/services/review_plan.py), with a fixed clock."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fsrs import Card
from sqlalchemy import select

from bot.content import ContentStore
from bot.db import Database
from bot.models import Answer, ReviewCard, ReviewLog, ReviewParams
from bot.services import plan, quiz, review, review_plan
from bot.services.answers import record_answer
from bot.services.review import DEFAULT_SCHEDULER, CardState
from bot.services.review_plan import ExamWindow, Planned, window
from tests.conftest import FIXED_NOW, add, get, scalars

USER = 4001
BERLIN = ZoneInfo("Europe/Berlin")
# FIXED_NOW is Wednesday 2026-11-25 14:30 UTC (15:30 in Berlin); the exam two weeks away
EXAM_DAY = date(2026, 12, 9)


def win(exam_day: date = EXAM_DAY, now: datetime = FIXED_NOW) -> ExamWindow:
    found = window(exam_day, BERLIN, now)
    assert found is not None
    return found


def card(qid: str, stability: float, *, reviewed_days_ago: float = 1, due: datetime) -> CardState:
    return CardState(qid, due, stability, FIXED_NOW - timedelta(days=reviewed_days_ago))


def recall_at_exam(state: CardState, w: ExamWindow) -> float:
    return review.retrievability(DEFAULT_SCHEDULER, state, w.exam_at)


def flat(_: str) -> int:
    return 1


def by_day(planned: list[Planned], w: ExamWindow) -> Counter[date]:
    return Counter(p.due.astimezone(w.tz).date() for p in planned if p.due < w.exam_at)


def test_the_window_is_the_local_days_before_the_exam() -> None:
    w = win()
    assert w.today == date(2026, 11, 25)
    assert w.exam_at == datetime(2026, 12, 8, 23, 0, tzinfo=UTC)  # Berlin midnight (CET)
    assert (w.days[0], w.days[-1], len(w.days)) == (date(2026, 11, 25), date(2026, 12, 8), 14)
    assert w.last_week_from == date(2026, 12, 2)
    # the exam day itself (from local midnight) and after: no window, reviews as without one
    assert window(EXAM_DAY, BERLIN, datetime(2026, 12, 8, 23, 0, tzinfo=UTC)) is None
    assert window(EXAM_DAY, BERLIN, datetime(2026, 12, 8, 22, 59, tzinfo=UTC)) is not None
    assert window(None, BERLIN, FIXED_NOW) is None
    # across the spring DST change the day still starts at local midnight
    spring = window(date(2027, 3, 29), BERLIN, datetime(2027, 3, 27, 12, 0, tzinfo=UTC))
    assert spring is not None
    assert spring.start_of(date(2027, 3, 28)) == datetime(2027, 3, 27, 23, 0, tzinfo=UTC)
    assert spring.exam_at == datetime(2027, 3, 28, 22, 0, tzinfo=UTC)  # CEST from the 28th


def test_nothing_is_planned_after_the_exam() -> None:
    w = win()
    after = w.exam_at + timedelta(days=30)
    cards = [
        card("weak", 3, due=after),  # due after the exam by FSRS, weak on exam day
        card("strong", 400, due=after),  # due after the exam, strong on exam day
        card("soon", 3, due=FIXED_NOW + timedelta(days=3)),  # FSRS has it due before
        card("late", 3, reviewed_days_ago=5, due=FIXED_NOW - timedelta(days=2)),  # overdue
    ]
    assert recall_at_exam(cards[0], w) < 0.9 <= recall_at_exam(cards[1], w)
    planned = review_plan.plan(cards, w, now=FIXED_NOW, scheduler=DEFAULT_SCHEDULER, weight=flat)
    got = {p.question_id: p for p in planned}
    assert all(p.due <= w.exam_at for p in planned)
    assert got["weak"].due <= FIXED_NOW  # pulled before the exam: due now
    assert got["late"].due <= FIXED_NOW
    assert got["soon"].due == cards[2].due  # FSRS's own day, which comes before the exam
    assert (got["strong"].due, got["strong"].needed) == (w.exam_at, False)  # waits for it
    # the weakest first
    recall = {c.question_id: recall_at_exam(c, w) for c in cards}
    assert recall["late"] < recall["weak"]  # reviewed longer ago: weaker
    assert [p.question_id for p in planned if p.due <= FIXED_NOW] == ["late", "weak"]


def test_the_spread_caps_each_day_and_takes_the_weakest_first() -> None:
    w = win()
    after = w.exam_at + timedelta(days=10)
    # 50 cards weak on exam day, each weaker than the next (lower stability)
    cards = [card(f"q{i:02d}", 1 + i / 10, due=after) for i in range(50)]
    recall = {c.question_id: recall_at_exam(c, w) for c in cards}
    assert max(recall.values()) < 0.9
    planned = review_plan.plan(cards, w, now=FIXED_NOW, scheduler=DEFAULT_SCHEDULER, weight=flat)
    days = by_day(planned, w)
    assert [days[w.days[i]] for i in range(4)] == [20, 20, 10, 0]
    order = [p.question_id for p in planned]
    assert order == sorted(recall, key=recall.__getitem__)  # the weakest first
    assert order[:3] == ["q00", "q01", "q02"]
    today = [p for p in planned if p.due <= FIXED_NOW]
    assert len(today) == 20
    tomorrow = w.start_of(w.days[1])
    assert {p.due for p in planned[20:40]} == {tomorrow}  # local midnight in Berlin
    assert tomorrow == datetime(2026, 11, 25, 23, 0, tzinfo=UTC)

    # reviews already done today count against today's cap
    busy = review_plan.plan(
        cards, w, now=FIXED_NOW, scheduler=DEFAULT_SCHEDULER, weight=flat, done_today=15
    )
    assert [by_day(busy, w)[w.days[i]] for i in range(4)] == [5, 20, 20, 5]
    # a smaller cap spreads them further; none lands on or after the exam day
    small = review_plan.plan(
        cards, w, now=FIXED_NOW, scheduler=DEFAULT_SCHEDULER, weight=flat, cap=4
    )
    assert max(by_day(small, w).values()) == 4
    assert sum(by_day(small, w).values()) == 50


def test_more_than_the_days_can_hold_waits_the_strongest_until_the_exam() -> None:
    w = win(date(2026, 11, 27))  # two days left: today and tomorrow
    cards = [
        card(f"q{i:02d}", 1 + i / 10, reviewed_days_ago=10, due=w.exam_at + timedelta(days=5))
        for i in range(45)
    ]
    assert max(recall_at_exam(c, w) for c in cards) < 0.9
    planned = review_plan.plan(cards, w, now=FIXED_NOW, scheduler=DEFAULT_SCHEDULER, weight=flat)
    assert [by_day(planned, w)[d] for d in w.days] == [20, 20]
    left = [p for p in planned if p.due == w.exam_at]
    assert [p.question_id for p in left] == ["q40", "q41", "q42", "q43", "q44"]  # strongest
    assert all(p.needed for p in left)


def test_a_crowded_eve_is_pulled_forward_into_earlier_days() -> None:
    w = win()
    eve = w.start_of(w.days[-1]) + timedelta(hours=9)  # FSRS: all due on the eve
    cards = [card(f"q{i:02d}", 1 + i / 10, reviewed_days_ago=10, due=eve) for i in range(45)]
    planned = review_plan.plan(cards, w, now=FIXED_NOW, scheduler=DEFAULT_SCHEDULER, weight=flat)
    days = by_day(planned, w)
    assert [days[d] for d in w.days[-4:]] == [0, 5, 20, 20]
    assert all(p.due < w.exam_at for p in planned)
    eve_ids = sorted(p.question_id for p in planned if p.due >= w.start_of(w.days[-1]))
    assert {p.due for p in planned if p.question_id in eve_ids} == {eve}  # its own time
    # the heaviest sections first in the last week; here all weigh the same: the weakest
    assert eve_ids == [f"q{i:02d}" for i in range(20)]


def test_a_card_waits_for_its_fsrs_day_and_keeps_its_learning_step() -> None:
    w = win()
    step = FIXED_NOW + timedelta(minutes=10)  # a wrong answer: back in 10 minutes
    later = FIXED_NOW + timedelta(days=4, hours=3)
    cards = [card("relearn", 0.2, reviewed_days_ago=0, due=step), card("later", 2, due=later)]
    planned = review_plan.plan(cards, w, now=FIXED_NOW, scheduler=DEFAULT_SCHEDULER, weight=flat)
    got = {p.question_id: p.due for p in planned}
    assert got == {"relearn": step, "later": later}


def test_the_last_week_takes_the_heaviest_sections_first() -> None:
    w = win(date(2026, 11, 30))  # five days left: all in the last week
    after = w.exam_at + timedelta(days=9)
    light = [card(f"light{i:02d}", 1.0, due=after) for i in range(15)]  # weaker
    heavy = [card(f"heavy{i:02d}", 2.0, due=after) for i in range(15)]
    weights = {**{c.question_id: 13 for c in light}, **{c.question_id: 21 for c in heavy}}
    planned = review_plan.plan(
        [*light, *heavy], w, now=FIXED_NOW, scheduler=DEFAULT_SCHEDULER, weight=weights.get
    )
    today = [p.question_id for p in planned if p.due <= FIXED_NOW]
    assert today[:15] == [f"heavy{i:02d}" for i in range(15)]  # though stronger, first
    assert len(today) == 20
    # two weeks out the same cards go weakest first
    early = review_plan.plan(
        [*light, *heavy], win(), now=FIXED_NOW, scheduler=DEFAULT_SCHEDULER, weight=weights.get
    )
    assert [p.question_id for p in early][:15] == [f"light{i:02d}" for i in range(15)]


# -- through the database ----------------------------------------------------------------------
async def answered_right(
    db: Database, content: ContentStore, qids: list[str], days: list[int]
) -> None:
    """Answer each question right on each of `days` (relative to FIXED_NOW)."""
    for qid in qids:
        q = content.questions[qid]
        for day in days:
            await db.write(record_answer, content, user_id=USER, guild_id=None, question_id=qid,
                choice=q.key, source="quiz", now=FIXED_NOW + timedelta(days=day))  # fmt: skip


async def test_review_queue_before_an_exam_two_weeks_away(
    db: Database, content: ContentStore
) -> None:
    due_soon = list(content.by_domain["serving"][:25])  # FSRS: due on Mon 30 Nov at 14:30
    strong = list(content.by_domain["data"][:5])  # FSRS: due long after the exam
    await answered_right(db, content, due_soon, [-12, -9])
    await answered_right(db, content, strong, [-30, -27, -20, -5])
    cards = {c.question_id: c for c in await scalars(db, select(ReviewCard))}
    fsrs_day = datetime(2026, 11, 30, 14, 30, tzinfo=UTC)
    exam_at = datetime(2026, 12, 8, 23, 0, tzinfo=UTC)  # Berlin midnight before 9 Dec
    assert {cards[q].due_at for q in due_soon} == {fsrs_day}
    assert all(cards[q].due_at > exam_at for q in strong)
    assert all(c.stability and c.last_review for c in cards.values())

    monday = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
    without = await db.read(review_plan.queue, content, USER, monday)
    assert (len(without.due), without.exam_day) == (20, None)  # as ever: 20 at a time

    await db.write(plan.enrol, content, user_id=USER, guild_id=None, channel_id=None,
        timezone="Europe/Berlin", exam_date=EXAM_DAY, now=FIXED_NOW)  # fmt: skip
    before = await db.read(review_plan.queue, content, USER, FIXED_NOW)
    assert (before.due, before.exam_day) == ([], EXAM_DAY)
    assert before.next_at == fsrs_day  # FSRS's day, before the exam
    aimed = await db.read(review_plan.queue, content, USER, monday)
    assert len(aimed.due) == 20  # the day's cap
    assert set(aimed.due) <= set(due_soon)
    assert aimed.next_at == datetime(2026, 11, 30, 23, 0, tzinfo=UTC)  # Tuesday, Berlin
    step = await db.write(quiz.start_review, content, user_id=USER, guild_id=None, now=monday)
    assert isinstance(step, quiz.Step)
    assert (step.session.size, step.question.id) == (20, aimed.due[0])

    # the day's reviews done: the other five wait for Tuesday; the strong ones for the exam
    await add(
        db,
        *(
            Answer(user_id=USER, guild_id=None, question_id=q, domain="serving", subtopic="x",
                   source="review", choice="A", correct=True, points=0, answered_at=monday)
            for q in aimed.due
        ),
    )  # fmt: skip
    done = await db.read(review_plan.queue, content, USER, monday + timedelta(minutes=5))
    assert done.due == []
    assert done.next_at == datetime(2026, 11, 30, 23, 0, tzinfo=UTC)
    tuesday = await db.read(
        review_plan.queue, content, USER, datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    )  # (the cards were not in fact reviewed on Monday: still 25 to go, 20 a day)
    assert len(tuesday.due) == 20
    assert not set(tuesday.due) & set(strong)
    assert tuesday.next_at == datetime(2026, 12, 1, 23, 0, tzinfo=UTC)

    # a stopped plan has no exam date in effect: reviews as FSRS has them
    await db.write(plan.stop, user_id=USER, now=FIXED_NOW)
    stopped = await db.read(review_plan.queue, content, USER, FIXED_NOW)
    assert (stopped.due, stopped.next_at, stopped.exam_day) == ([], fsrs_day, None)


async def test_every_review_is_logged_and_counted(db: Database, content: ContentStore) -> None:
    qid = content.by_domain["data"][0]
    q = content.questions[qid]
    wrong = next(x for x in q.letters if x not in q.answer)
    for when, choice, ms in (
        (FIXED_NOW, wrong, 9000),
        (FIXED_NOW + timedelta(hours=1), q.key, None),
    ):
        await db.write(record_answer, content, user_id=USER, guild_id=None, question_id=qid,
            choice=choice, source="quiz", now=when, response_ms=ms)  # fmt: skip
    logs = await scalars(db, select(ReviewLog).order_by(ReviewLog.id))
    assert [(g.question_id, g.rating, g.reviewed_at, g.duration_ms) for g in logs] == [
        (qid, 1, FIXED_NOW, 9000),  # Again
        (qid, 3, FIXED_NOW + timedelta(hours=1), None),  # Good
    ]
    params = await get(db, ReviewParams, USER)
    assert params is not None
    assert (params.reviews, params.fitted_on, params.parameters) == (2, 0, None)
    card = await get(db, ReviewCard, (USER, qid))
    assert card is not None
    assert card.last_review == FIXED_NOW + timedelta(hours=1)
    assert card.stability == pytest.approx(Card.from_json(card.card).stability)


def test_what_review_says_when_nothing_is_due() -> None:
    from cogs.practice.quiz import nothing_due

    tomorrow = datetime(2026, 11, 25, 23, 0, tzinfo=UTC)
    stamp = f"<t:{int(tomorrow.timestamp())}:R>"
    assert "answer some questions" in nothing_due(review_plan.Queue([], None, False))
    plain = nothing_due(review_plan.Queue([], tomorrow, True))
    assert plain.startswith("Nothing is due right now. Your next review is ")
    assert stamp in plain
    aimed = nothing_due(review_plan.Queue([], tomorrow, True, EXAM_DAY))
    assert "Your next review before your exam on Wed 09 Dec is " in aimed
    assert "predicted to be remembered on exam day" in nothing_due(
        review_plan.Queue([], None, True, EXAM_DAY)
    )
    full = nothing_due(review_plan.Queue([], None, True, EXAM_DAY, no_room=3))
    assert full.startswith("You have done today's 20 reviews")
    assert all(len(m) <= 2000 for m in (plain, aimed, full))
