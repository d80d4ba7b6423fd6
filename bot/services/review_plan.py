"""Reviews aimed at the exam date: what /review shows when the member has an exam ahead.

Without an exam date, /review shows the cards FSRS has due (up to REVIEW_BATCH, earliest
first), as it always did. With one (set by `/plan start exam_date`, while the plan is
active or paused, until the exam day begins in the member's timezone), every card is
planned again each time /review runs:

- A card needs a review before the exam when FSRS has it due before the exam, or when its
  predicted recall on exam day (FSRS retrievability at the start of the exam day) is below
  the desired retention (0.9). Every other card is left until the exam: none is planned
  past it. (FSRS sets a card's due moment where its recall falls to the same 0.9, so the
  two tests mostly agree; the second catches cards whose due moment was set under other
  parameters, before the member's own were fitted.)
- The cards that need a review are handed out to the days from today to the eve of the
  exam, at most DAILY_CAP a day (today's reviews already done count against today), the
  weakest (lowest recall on exam day) first; a card FSRS has due on a later day waits for
  that day, and one whose day is full moves to the next. In the last week before the
  exam, the heaviest official sections go first, then the weakest. Cards still left on the
  eve are pulled forward to the latest earlier days with room, the weakest first; those
  that fit nowhere (more than DAILY_CAP a day would take) wait until the exam.
- A card planned for today is due now (a card in its 10-minute learning step keeps that
  step); a card planned for a later day is due at that day's local midnight.

The plan is worked out from the cards' FSRS state at each /review and never stored: FSRS's
own due moment stays in the card (the plan would otherwise have to be undone after the
exam). The day is the member's local day (bot/services/streaks.py's zone).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from fsrs import Scheduler
from sqlalchemy import Table, bindparam, func, select
from sqlalchemy.orm import Session

from bot.content import ContentStore
from bot.enums import AnswerSource, EnrolmentStatus
from bot.models import Answer, Enrolment
from bot.services import review
from bot.services.review import CardState
from bot.services.sql import Prepared
from bot.services.streaks import zone
from bot.services.timezones import local_moment

DAILY_CAP = 20
LAST_WEEK = 7  # days before the exam in which the heaviest sections go first
MIDNIGHT = time(0, 0)
IN_EFFECT = (EnrolmentStatus.ACTIVE, EnrolmentStatus.PAUSED)


@dataclass(frozen=True)
class ExamWindow:
    """The days from the member's local today to the eve of their exam."""

    exam_day: date
    exam_at: datetime  # the start of the exam day (local midnight), UTC
    today: date
    tz: ZoneInfo

    @property
    def days(self) -> list[date]:
        span = (self.exam_day - self.today).days
        return [self.today + timedelta(days=i) for i in range(span)]

    @property
    def last_week_from(self) -> date:
        return self.exam_day - timedelta(days=LAST_WEEK)

    def start_of(self, day: date) -> datetime:
        return local_moment(day, MIDNIGHT, self.tz)


def window(exam_day: date | None, tz: ZoneInfo, now: datetime) -> ExamWindow | None:
    """The window before `exam_day`, or None when there is none (no date, or the exam day
    has begun)."""
    if exam_day is None:
        return None
    today = now.astimezone(tz).date()
    if exam_day <= today:
        return None
    return ExamWindow(exam_day, local_moment(exam_day, MIDNIGHT, tz), today, tz)


ENROLMENTS: Table = Enrolment.__table__  # type: ignore[assignment]
ANSWERS: Table = Answer.__table__  # type: ignore[assignment]
_EXAM = Prepared(
    select(ENROLMENTS.c.exam_date, ENROLMENTS.c.timezone, ENROLMENTS.c.status).where(
        ENROLMENTS.c.user_id == bindparam("user")
    )
)
_REVIEWED_SINCE = Prepared(
    select(func.count()).where(
        ANSWERS.c.user_id == bindparam("user"),
        ANSWERS.c.answered_at >= bindparam("since"),
        ANSWERS.c.source == AnswerSource.REVIEW,
    )
)


def exam_window(session: Session, user_id: int, now: datetime) -> ExamWindow | None:
    """The member's window before their exam, when an exam date is in effect."""
    row = _EXAM.first(session, {"user": user_id})
    if row is None or row[2] not in IN_EFFECT:
        return None
    return window(row[0], zone(row[1]), now)


@dataclass(frozen=True, slots=True)
class Planned:
    question_id: str
    due: datetime
    recall: float  # predicted recall on exam day without another review
    needed: bool = True  # it needs a review before the exam (False: it can wait)


Needy = tuple[int, Planned, CardState]  # (index of the first day it may take, plan, card)
Key = tuple[float, float, str]  # (minus the section weight, or 0; recall; question id)


def _sort_out(
    cards: Sequence[CardState], win: ExamWindow, scheduler: Scheduler
) -> tuple[list[Needy], list[Planned]]:
    """The cards that need a review before the exam (by their first day), and the rest."""
    needy: list[Needy] = []
    waiting: list[Planned] = []
    retention = scheduler.desired_retention
    for card, recall in zip(cards, review.recall(scheduler, cards, win.exam_at), strict=True):
        if card.due >= win.exam_at and recall >= retention:
            waiting.append(Planned(card.question_id, win.exam_at, recall, needed=False))
            continue
        first = 0 if card.due >= win.exam_at else max(0, (_day(card.due, win) - win.today).days)
        needy.append((first, Planned(card.question_id, card.due, recall), card))
    needy.sort(key=lambda n: n[0])
    return needy, sorted(waiting, key=lambda p: (p.recall, p.question_id))


def _hand_out(
    needy: list[Needy], win: ExamWindow, room: list[int], weight: Callable[[str], int]
) -> tuple[list[list[Planned]], list[Planned]]:
    """Each day, up to its room, the weakest of the cards whose first day has come (the
    heaviest sections first in the last week); returns the days and what is left over."""

    def key(p: Planned, heavy_first: bool) -> Key:
        return (-weight(p.question_id) if heavy_first else 0, p.recall, p.question_id)

    heap: list[tuple[Key, Planned, CardState]] = []
    heavy_first, taken = False, 0
    by_day: list[list[Planned]] = [[] for _ in room]
    for index, day in enumerate(win.days):
        if not heavy_first and day >= win.last_week_from:
            heavy_first = True
            heap = [(key(p, True), p, c) for _, p, c in heap]
            heapq.heapify(heap)
        while taken < len(needy) and needy[taken][0] <= index:
            _, p, c = needy[taken]
            heapq.heappush(heap, (key(p, heavy_first), p, c))
            taken += 1
        start = win.start_of(day)
        while room[index] > 0 and heap:
            _, p, c = heapq.heappop(heap)
            at = start if c.due >= win.exam_at else max(start, c.due)
            by_day[index].append(Planned(p.question_id, at, p.recall))
            room[index] -= 1
    return by_day, sorted((p for _, p, _ in heap), key=lambda p: (p.recall, p.question_id))


def plan(
    cards: Sequence[CardState],
    win: ExamWindow,
    *,
    now: datetime,
    scheduler: Scheduler,
    weight: Callable[[str], int],
    cap: int = DAILY_CAP,
    done_today: int = 0,
) -> list[Planned]:
    """Every card's planned due moment, none after the exam: the days in order, each day's
    cards in the order to review them, then the cards left until the exam."""
    days = win.days
    needy, waiting = _sort_out(cards, win, scheduler)
    room = [cap - (done_today if index == 0 else 0) for index in range(len(days))]
    by_day, left = _hand_out(needy, win, room, weight)
    # Left over (their days were full): pulled forward to the latest day with room, the
    # weakest first; what still does not fit waits until the exam.
    spare = [i for i in range(len(days) - 1, -1, -1) for _ in range(max(0, room[i]))]
    starts = [win.start_of(day) for day in days]
    for p, index in zip(left, spare, strict=False):
        by_day[index].append(Planned(p.question_id, starts[index], p.recall))
    planned = [p for day_plan in by_day for p in day_plan]
    planned += [Planned(p.question_id, win.exam_at, p.recall) for p in left[len(spare) :]]
    return planned + waiting


def _day(when: datetime, win: ExamWindow) -> date:
    return when.astimezone(win.tz).date()


@dataclass(frozen=True)
class Queue:
    """What /review finds: the cards due now, in order, or when the next one is due."""

    due: list[str]
    next_at: datetime | None  # the next due moment after now (None: nothing is scheduled)
    any_cards: bool  # whether the member has a card at all
    exam_day: date | None = None  # the exam the reviews are aimed at
    no_room: int = 0  # reviews the exam needs that no day before it has room for


def queue(
    session: Session,
    content: ContentStore,
    user_id: int,
    now: datetime,
    limit: int = review.REVIEW_BATCH,
) -> Queue:
    """The member's review queue at `now`: aimed at their exam date when they have one."""
    win = exam_window(session, user_id, now)
    if win is None:
        due = [q for q in review.due_cards(session, user_id, now, limit) if q in content.questions]
        upcoming = None if due else review.next_due(session, user_id, now)
        return Queue(due, upcoming, bool(due) or upcoming is not None)
    cards = [c for c in review.card_states(session, user_id) if c.question_id in content.questions]
    done = _REVIEWED_SINCE.scalar(session, {"user": user_id, "since": win.start_of(win.today)})
    sections = content.weights("official")

    def weight(question_id: str) -> int:
        return sections.get(content.questions[question_id].section.split(".")[0], 0)

    planned = plan(
        cards,
        win,
        now=now,
        scheduler=review.member_scheduler(session, user_id),
        weight=weight,
        done_today=done or 0,
    )
    due = [p.question_id for p in planned if p.due <= now][:limit]
    later = [p.due for p in planned if p.due > now and p.due < win.exam_at]
    no_room = sum(1 for p in planned if p.needed and p.due >= win.exam_at)
    return Queue(due, min(later, default=None), bool(cards), win.exam_day, no_room)
