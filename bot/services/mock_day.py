"""Group mock-exam days: one question set, a start window, the group's result.

An admin schedules a day (a local date, time and timezone). At the time the bot posts a
Start button; each member who clicks it within WINDOW gets the day's questions in an
order of their own, as an ordinary timed exam (`bot.services.exam`, graded and timed out
like /exam). When the window has closed and every started exam has ended, the group's
result is claimed once and posted. Every step is a conditional status change, so ticks
and processes never do one twice.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.content import ContentStore
from bot.enums import DeliveryKind, MockStatus, SessionKind, SessionStatus
from bot.models import GuildSettings, MockDay, MockEntry, PracticeSession, SessionItem
from bot.services import deliveries, practice_store
from bot.services.errors import InvalidInput, NotFound, ServiceError
from bot.services.exam import LENGTHS, SCHEMES, select_exam
from bot.services.quiz import Step
from bot.services.timezones import local_moment, parse_time, parse_timezone

WINDOW = timedelta(hours=1)  # the Start button works this long
MAX_AHEAD = timedelta(days=90)
SPLIT_THREADS = 3
LIVE = (MockStatus.SCHEDULED, MockStatus.OPEN, MockStatus.CLOSED)


class WindowClosed(ServiceError):
    def __init__(self) -> None:
        super().__init__("The window to start this mock exam has closed. Try /exam any time.")


class AlreadyTaken(ServiceError):
    def __init__(self) -> None:
        super().__init__(
            "You already took this mock exam: your breakdown comes by DM, with the group's "
            "result, when the window has closed and every exam has ended."
        )


# -- scheduling -------------------------------------------------------------------------------
def parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        shown = text[:40]
        raise InvalidInput(f"{shown!r} is not a date: use YYYY-MM-DD, e.g. 2026-12-12.") from None


def default_channel(session: Session, guild_id: int) -> int | None:
    """The daily drops' channel, where a mock-exam day goes unless told otherwise."""
    query = select(GuildSettings.channel_id).where(GuildSettings.guild_id == guild_id)
    return session.scalar(query)


def upcoming(session: Session, guild_id: int) -> MockDay | None:
    """The guild's mock-exam day that has not reported yet (at most one)."""
    return session.scalar(
        select(MockDay).where(MockDay.guild_id == guild_id, MockDay.status.in_(LIVE)).limit(1)
    )


def schedule(
    session: Session,
    content: ContentStore,
    *,
    guild_id: int,
    channel_id: int | None,
    user_id: int,
    day: str,
    time: str,
    timezone: str,
    length: str = "full",
    scheme: str = "official",
    now: datetime,
    rng: random.Random | None = None,
) -> MockDay:
    if length not in LENGTHS or scheme not in SCHEMES:
        raise InvalidInput("Length is full or half; the blueprint is official or domains.")
    tz = parse_timezone(timezone)
    starts = local_moment(parse_date(day), parse_time(time), tz)
    if starts <= now:
        raise InvalidInput("That moment has passed: pick a time in the future.")
    if starts - now > MAX_AHEAD:
        raise InvalidInput("Schedule a mock-exam day at most 90 days ahead.")
    channel = channel_id or default_channel(session, guild_id)
    if channel is None:
        raise InvalidInput("Name a channel, or set up the daily drops (/daily setup) first.")
    existing = upcoming(session, guild_id)
    if existing is not None:
        raise InvalidInput(
            f"A mock-exam day is already planned for <t:{int(existing.starts_at.timestamp())}:F>: "
            "cancel it first with /studyadmin mockexam cancel."
        )
    size, _minutes = LENGTHS[length]
    ids = select_exam(content, scheme, size, set(), set(), rng or random.Random())
    day_row = MockDay(
        guild_id=guild_id,
        channel_id=channel,
        scheduled_by=user_id,
        timezone=tz.key,
        starts_at=starts,
        closes_at=starts + WINDOW,
        length=length,
        scheme=scheme,
        question_ids=",".join(ids),
        status=MockStatus.SCHEDULED,
        created_at=now,
    )
    session.add(day_row)
    session.flush()
    return day_row


def cancel(session: Session, guild_id: int) -> MockDay:
    found = upcoming(session, guild_id)
    if found is None:
        raise NotFound("No mock-exam day is planned here.")
    if found.status != MockStatus.SCHEDULED:
        raise InvalidInput(
            "This mock-exam day has started already; it ends on its own when the window "
            "closes and every exam has ended."
        )
    found.status = MockStatus.CANCELLED
    return found


def get(session: Session, day_id: int) -> MockDay:
    found = session.get(MockDay, day_id)
    if found is None:
        raise NotFound("That mock-exam day no longer exists.")
    return found


# -- what is due ------------------------------------------------------------------------------
@dataclass(frozen=True)
class MockDue:
    opens: list[int]  # post the Start button
    missed: list[int]  # the whole window passed while the bot was away
    closes: list[int]  # the window has closed
    results: list[int]  # closed: the result is due once every started exam has ended
    dms: list[str] = field(default_factory=list)  # members' DMs whose sender died: keys


def dm_key(day_id: int, user_id: int) -> str:
    return f"mock:{day_id}:{user_id}"


def due(session: Session, now: datetime, owns: Callable[[int], bool] = lambda _g: True) -> MockDue:
    rows = session.execute(
        select(
            MockDay.id, MockDay.guild_id, MockDay.status, MockDay.starts_at, MockDay.closes_at
        ).where(MockDay.status.in_(LIVE), MockDay.starts_at <= now)
    )
    out: dict[str, list[int]] = {"opens": [], "missed": [], "closes": [], "results": []}
    for day_id, guild_id, status, _starts, closes in rows:
        if not owns(guild_id):
            continue
        if status == MockStatus.SCHEDULED:
            out["opens" if now < closes else "missed"].append(day_id)
        elif status == MockStatus.OPEN and now >= closes:
            out["closes"].append(day_id)
        elif status == MockStatus.CLOSED:
            out["results"].append(day_id)
    lapsed = deliveries.lapsed(session, DeliveryKind.MOCK, now)
    days = {int(key.split(":")[1]) for key in lapsed}
    guilds = dict(
        session.execute(select(MockDay.id, MockDay.guild_id).where(MockDay.id.in_(days))).all()
        if days
        else ()
    )
    dms = [k for k in lapsed if (g := guilds.get(int(k.split(":")[1]))) and owns(g)]
    return MockDue(**out, dms=dms)


def _move(session: Session, day_id: int, before: MockStatus, after: MockStatus) -> bool:
    moved: Any = session.execute(
        update(MockDay).where(MockDay.id == day_id, MockDay.status == before).values(status=after)
    )
    return bool(moved.rowcount)


def claim_open(session: Session, day_id: int, now: datetime) -> MockDay | None:
    """Open the day's window (once): the Start button is to be posted."""
    day = get(session, day_id)
    if day.starts_at > now or now >= day.closes_at:
        return None
    return day if _move(session, day_id, MockStatus.SCHEDULED, MockStatus.OPEN) else None


def opened(session: Session, day_id: int, message_id: int) -> None:
    get(session, day_id).message_id = message_id


def failed(session: Session, day_id: int, detail: str) -> MockDay:
    day = get(session, day_id)
    day.status, day.detail = MockStatus.FAILED, detail
    return day


def skip_missed(session: Session, day_id: int, now: datetime) -> MockDay | None:
    day = get(session, day_id)
    if now < day.closes_at or not _move(session, day_id, MockStatus.SCHEDULED, MockStatus.MISSED):
        return None
    day.detail = "the bot was offline for the whole start window"
    return day


def claim_close(session: Session, day_id: int, now: datetime) -> tuple[MockDay, int] | None:
    """Close the start window (once); the day and how many members started."""
    day = get(session, day_id)
    if now < day.closes_at or not _move(session, day_id, MockStatus.OPEN, MockStatus.CLOSED):
        return None
    return day, len(entries(session, day_id))


def entries(session: Session, day_id: int) -> list[MockEntry]:
    return list(session.scalars(select(MockEntry).where(MockEntry.day_id == day_id)))


# -- starting ---------------------------------------------------------------------------------
def start_entry(
    session: Session,
    content: ContentStore,
    *,
    day_id: int,
    user_id: int,
    now: datetime,
    rng: random.Random | None = None,
) -> tuple[Step, bool]:
    """The member's exam of the day: new (the day's questions in an order of their own,
    timed like /exam), or the one they started (True: resumed)."""
    day = get(session, day_id)
    entry = session.get(MockEntry, (day_id, user_id))
    if entry is not None:
        practice = practice_store.get(session, entry.session_id)
        if practice.status != SessionStatus.ACTIVE or (
            practice.deadline_at is not None and now >= practice.deadline_at
        ):
            raise AlreadyTaken()
        item = practice_store.item(session, practice.id, practice.position)
        return Step(practice, item, content.questions[item.question_id]), True
    if day.status != MockStatus.OPEN or now >= day.closes_at or now < day.starts_at:
        raise WindowClosed()
    ids = day.question_ids.split(",")
    (rng or random.Random()).shuffle(ids)
    _size, minutes = LENGTHS[day.length]
    practice_store.abandon_active(session, user_id, (SessionKind.EXAM,), now)
    practice = practice_store.create(
        session,
        user_id=user_id,
        guild_id=day.guild_id,
        kind=SessionKind.EXAM,
        scope=day.scheme,
        question_ids=ids,
        now=now,
        deadline=now + timedelta(minutes=minutes),
    )
    session.add(MockEntry(day_id=day_id, user_id=user_id, session_id=practice.id, started_at=now))
    item = practice_store.item(session, practice.id, 0)
    return Step(practice, item, content.questions[item.question_id]), False


# -- the group's result -------------------------------------------------------------------------
@dataclass(frozen=True)
class Score:
    user_id: int
    session_id: int
    right: int
    total: int

    @property
    def percent(self) -> float:
        return 100 * self.right / self.total if self.total else 0.0


@dataclass(frozen=True)
class Split:
    question_id: str
    right: int
    answered: int
    picks: dict[str, int]

    @property
    def split(self) -> float:
        """1.0 when the group divided half and half, 0.0 when it agreed."""
        share = self.right / self.answered if self.answered else 1.0
        return 1 - abs(2 * share - 1)


@dataclass(frozen=True)
class GroupResult:
    day: MockDay
    pass_mark: int
    scores: list[Score]  # best first
    by_bucket: dict[str, tuple[int, int]]  # section (or domain) -> (right, total)
    splits: list[Split]  # the questions the group split on most

    @property
    def passed(self) -> int:
        return sum(1 for s in self.scores if s.percent >= self.pass_mark)

    def rank(self, user_id: int) -> int:
        return next(i for i, s in enumerate(self.scores, 1) if s.user_id == user_id)


def claim_result(
    session: Session, content: ContentStore, day_id: int, now: datetime
) -> GroupResult | None:
    """The group's result, claimed once, when the window has closed and every started
    exam has been graded (submitted, or timed out and closed by the exam job)."""
    day = get(session, day_id)
    if day.status != MockStatus.CLOSED or now < day.closes_at:
        return None
    still_running = session.scalar(
        select(MockEntry.user_id)
        .join(PracticeSession, PracticeSession.id == MockEntry.session_id)
        .where(MockEntry.day_id == day_id, PracticeSession.status == SessionStatus.ACTIVE)
        .limit(1)
    )
    if still_running is not None:
        return None
    if not _move(session, day_id, MockStatus.CLOSED, MockStatus.REPORTED):
        return None
    return group_result(session, content, day_id)


def group_result(session: Session, content: ContentStore, day_id: int) -> GroupResult:
    day = get(session, day_id)
    rows = session.execute(
        select(MockEntry.user_id, MockEntry.session_id, SessionItem.question_id)
        .add_columns(SessionItem.choice, SessionItem.correct)
        .join(SessionItem, SessionItem.session_id == MockEntry.session_id)
        .where(MockEntry.day_id == day_id)
    )
    scores: dict[tuple[int, int], list[int]] = {}
    buckets: dict[str, list[int]] = {}
    questions: dict[str, Split] = {}
    for user, sid, qid, choice, correct in rows:
        q = content.questions[qid]
        right = int(bool(correct))
        score = scores.setdefault((user, sid), [0, 0])
        score[0] += right
        score[1] += 1
        bucket = q.section.split(".")[0] if day.scheme == "official" else q.domain
        tally = buckets.setdefault(bucket, [0, 0])
        tally[0] += right
        tally[1] += 1
        if choice:
            old = questions.get(qid, Split(qid, 0, 0, {}))
            picks = dict(old.picks)
            for letter in choice:
                picks[letter] = picks.get(letter, 0) + 1
            questions[qid] = Split(qid, old.right + right, old.answered + 1, picks)
    ranked = sorted(
        (Score(u, s, r, t) for (u, s), (r, t) in scores.items()),
        key=lambda s: (-s.right, s.user_id),
    )
    splits = sorted(
        (s for s in questions.values() if s.answered >= 2 and s.split > 0),
        key=lambda s: (-s.split, -s.answered, s.question_id),
    )[:SPLIT_THREADS]
    return GroupResult(
        day,
        content.blueprint.exam.pass_estimate,
        ranked,
        {b: (r, t) for b, (r, t) in buckets.items()},
        splits,
    )
