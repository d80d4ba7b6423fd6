"""The 12-week study plan, keyed to each member's own week in their own timezone.

Member week k covers the local dates start_date + 7(k-1) … start_date + 7k - 1; week 0 is
before the start. Without an exam date the plan has one member week per content week. With
one, n = the whole weeks from start_date to exam_date (2 to 52) and the content weeks are
fitted onto them by proportion (`content_weeks`): compressed, a member week covers several
content weeks (their targets add up); stretched, a content week spans several member weeks.

Pausing freezes the position. Resuming shifts start_date by the whole days paused, so the
member picks up in the week they left; an exam date stays put, so n is re-fitted to the
weeks that remain (the rest of the plan is compressed, or the plan ends at the exam).

Scheduled sends are computed from rows at each tick (`due_kickoffs`, `due_nudges`,
`due_reports`, `exam_followups`): one query for the active enrolments, one for the members
who opted out or closed their DMs, bulk delivery-key lookups, the rest in Python.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import String, case, cast, delete, null, or_, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import NullType

from bot.content import ContentStore, PlanWeek
from bot.models import Delivery, Enrolment, Member, ProgressTotal
from bot.services import deliveries
from bot.services.errors import InvalidInput, NotFound
from bot.services.periods import iso_week
from bot.services.timezones import (
    Moments,
    format_time,
    latest_weekly,
    local_moment,
    parse_time,
    parse_timezone,
)

log = logging.getLogger(__name__)

PLAN_WEEKS = 12
MIN_WEEKS, MAX_WEEKS = 2, 52
GRACE = timedelta(hours=24)
WINDOW = timedelta(days=8)  # the latest weekly moment is at most 7 days old
NUDGE_DAYS = 3
DEFAULT_REMINDER = "09:00"
ACTIVE, PAUSED, FINISHED, STOPPED = "active", "paused", "finished", "stopped"
DELIVER = ("dm", "channel")
OUTCOMES = ("passed", "failed", "not_taken")
NOT_ENROLLED = "You are not enrolled in the study plan. Join it with /plan start."
ShardFilter = Callable[[int | None], bool]


# -- the plan calendar (pure) -----------------------------------------------------------
def content_weeks(k: int, n: int, total: int = PLAN_WEEKS) -> list[int]:
    """The content weeks member week k of n covers; the first is the primary one."""
    if n < 1 or not 1 <= k <= n:
        raise ValueError(f"week {k} is outside 1..{n}")
    if n >= total:  # stretched: each member week shows one content week
        return [(k - 1) * total // n + 1]
    first = -(-(k - 1) * total // n) + 1  # compressed: ceil((k-1)·total/n) + 1 …
    return list(range(first, -(-k * total // n) + 1))  # … ceil(k·total/n)


def primary_week(k: int, n: int, total: int = PLAN_WEEKS) -> int:
    return content_weeks(k, n, total)[0]


def fit_weeks(start: date, exam: date | None, today: date, total: int = PLAN_WEEKS) -> int:
    """How many member weeks the plan has; InvalidInput for an unusable exam date."""
    if exam is None:
        return total
    if exam <= today:
        raise InvalidInput(f"That exam date is in the past (or today): pick a day after {today}.")
    weeks = (exam - start).days // 7
    if weeks < MIN_WEEKS:
        raise InvalidInput(
            "The plan needs at least 2 weeks between its start and the exam; pick a later "
            "exam date, or leave it out to follow the 12-week plan."
        )
    return min(weeks, MAX_WEEKS)


@dataclass(frozen=True)
class Position:
    """Where a member stands in their plan on a local date."""

    week: int  # k: 1-based, 0 before the start, n + 1 or more once finished
    total: int  # n
    content_weeks: tuple[int, ...]
    plan_week: PlanWeek  # the primary content week (goals, topics, domains)
    target: int  # questions to practise this member week
    day: int  # days into the week (0-6); negative: days until the start
    week_start: date
    started: bool
    finished: bool
    paused: bool

    @property
    def phase(self) -> int:
        return self.plan_week.phase

    @property
    def phase_name(self) -> str:
        return self.plan_week.phase_name

    @property
    def label(self) -> str:
        """E.g. "Week 5 of 12 — Phase 2: Google Cloud ML services"."""
        if self.finished:
            return f"Plan finished ({self.total} weeks)"
        phase = f"Phase {self.phase}: {self.phase_name}"
        if not self.started:
            return f"Week 1 of {self.total} starts on {self.week_start:%a %d %b} — {phase}"
        return f"Week {self.week} of {self.total} — {phase}" + (" (paused)" if self.paused else "")


def position(enrolment: Enrolment, today: date, content: ContentStore) -> Position:
    """The member's plan position on their local date `today` (frozen while paused)."""
    paused = enrolment.status == PAUSED
    if paused and enrolment.paused_on is not None:
        today = enrolment.paused_on
    n = max(1, enrolment.weeks)
    offset = (today - enrolment.start_date).days
    k = offset // 7 + 1 if offset >= 0 else 0
    shown = min(max(k, 1), n)
    weeks = content_weeks(shown, n, len(content.plan.weeks))
    return Position(
        week=k,
        total=n,
        content_weeks=tuple(weeks),
        plan_week=content.week(weeks[0]),
        target=sum(content.week(c).target for c in weeks),
        day=offset - 7 * (k - 1) if k else offset,
        week_start=enrolment.start_date + timedelta(weeks=shown - 1),
        started=k >= 1,
        finished=k > n or enrolment.status == FINISHED,
        paused=paused,
    )


def local_today(enrolment: Enrolment, now: datetime) -> date:
    return now.astimezone(ZoneInfo(enrolment.timezone)).date()


def next_reminder(enrolment: Enrolment, now: datetime) -> datetime:
    """The next weekly kickoff moment (UTC) after `now`, never before the plan starts."""
    tz, at = ZoneInfo(enrolment.timezone), parse_time(enrolment.reminder_time)
    start = enrolment.start_date
    first = local_moment(start + timedelta((enrolment.reminder_day - start.weekday()) % 7), at, tz)
    if first > now:
        return first
    _, day = latest_weekly(now, tz, enrolment.reminder_day, at)
    return local_moment(day + timedelta(days=7), at, tz)


# -- enrolment ---------------------------------------------------------------------------
def _plan_keys(user_id: int) -> list[str]:
    weekly = [f"{kind}:{user_id}:{k}" for kind in ("remind", "nudge") for k in range(1, 53)]
    return [*weekly, f"examdone:{user_id}"]


async def enrol(
    session: AsyncSession,
    content: ContentStore,
    *,
    user_id: int,
    guild_id: int | None,
    channel_id: int | None,
    timezone: str,
    start_date: date | None = None,
    exam_date: date | None = None,
    reminder_time: str | None = None,
    reminder_day: int | None = None,
    deliver: str = "dm",
    now: datetime,
) -> Enrolment:
    """Join the plan (or start it over: a new enrolment replaces the old one)."""
    tz = parse_timezone(timezone)
    at = parse_time(reminder_time or DEFAULT_REMINDER)
    today = now.astimezone(tz).date()
    start = start_date or today
    if not today - timedelta(weeks=MAX_WEEKS) <= start <= today + timedelta(weeks=MAX_WEEKS):
        raise InvalidInput("The start date must be within a year of today.")
    weeks = fit_weeks(start, exam_date, today, len(content.plan.weeks))
    if start + timedelta(weeks=weeks) <= today:
        raise InvalidInput("With that start date the whole plan would be over already.")
    day = start.weekday() if reminder_day is None else reminder_day
    if not 0 <= day <= 6:
        raise InvalidInput("The reminder day must be a weekday from Monday (0) to Sunday (6).")
    if deliver not in DELIVER:
        raise InvalidInput("Reminders go by DM or to a channel.")
    if deliver == "channel" and channel_id is None:
        raise InvalidInput("Channel reminders need a server channel: run /plan start there.")
    row = await session.get(Enrolment, user_id)
    if row is None:
        row = Enrolment(user_id=user_id)
        session.add(row)
    else:  # a new plan: its weeks may be sent again
        await session.execute(delete(Delivery).where(Delivery.key.in_(_plan_keys(user_id))))
    row.guild_id, row.channel_id, row.timezone = guild_id, channel_id, tz.key
    row.start_date, row.exam_date, row.weeks = start, exam_date, weeks
    row.reminder_time, row.reminder_day, row.deliver = format_time(at), day, deliver
    row.status, row.paused_on, row.outcome, row.created_at = ACTIVE, None, None, now
    return row


async def _enrolment(session: AsyncSession, user_id: int, *statuses: str) -> Enrolment:
    row = await session.get(Enrolment, user_id)
    if row is None or row.status not in (statuses or (ACTIVE, PAUSED, FINISHED)):
        raise NotFound(NOT_ENROLLED)
    return row


@dataclass(frozen=True)
class PlanStatus:
    enrolment: Enrolment
    position: Position
    today: date  # the member's local date
    practised: int  # answers this ISO week
    next_reminder: datetime | None  # None while paused or once finished


async def status(
    session: AsyncSession, content: ContentStore, *, user_id: int, now: datetime
) -> PlanStatus:
    row = await _enrolment(session, user_id)
    today = local_today(row, now)
    pos = position(row, today, content)
    practised = (await practice_counts(session, [user_id], iso_week(now))).get(user_id, 0)
    upcoming = None if pos.paused or pos.finished else next_reminder(row, now)
    return PlanStatus(row, pos, today, practised, upcoming)


async def pause(session: AsyncSession, *, user_id: int, now: datetime) -> Enrolment:
    row = await _enrolment(session, user_id, ACTIVE, PAUSED)
    if row.status == PAUSED:
        raise InvalidInput(f"Your plan is already paused (since {row.paused_on}); /plan resume.")
    row.status, row.paused_on = PAUSED, local_today(row, now)
    return row


async def resume(session: AsyncSession, *, user_id: int, now: datetime) -> Enrolment:
    """Continue where the member left off: start_date moves by the whole days paused."""
    row = await _enrolment(session, user_id, ACTIVE, PAUSED)
    if row.status != PAUSED or row.paused_on is None:
        raise InvalidInput("Your plan is not paused.")
    paused_days = max(0, (local_today(row, now) - row.paused_on).days)
    row.start_date += timedelta(days=paused_days)
    if row.exam_date is not None:  # the exam stays: fit the plan to the weeks left
        row.weeks = max(1, min(MAX_WEEKS, (row.exam_date - row.start_date).days // 7))
    row.status, row.paused_on = ACTIVE, None
    return row


async def stop(session: AsyncSession, *, user_id: int, now: datetime) -> Enrolment:
    row = await _enrolment(session, user_id)
    row.status = STOPPED
    return row


async def record_outcome(
    session: AsyncSession, *, user_id: int, outcome: str, now: datetime
) -> Enrolment:
    """The answer to the exam follow-up; the plan is finished."""
    if outcome not in OUTCOMES:
        raise InvalidInput(f"The outcome is one of {', '.join(OUTCOMES)}.")
    row = await _enrolment(session, user_id)
    row.status, row.outcome = FINISHED, outcome
    return row


async def practice_counts(
    session: AsyncSession, user_ids: Iterable[int], week: str
) -> dict[int, int]:
    """Answers per member in ISO week `week` (from the running totals), in bulk."""
    ids, found = list(user_ids), {}
    for i in range(0, len(ids), 500):
        rows = await session.execute(
            select(ProgressTotal.user_id, ProgressTotal.answered).where(
                ProgressTotal.user_id.in_(ids[i : i + 500]),
                ProgressTotal.period == week,
                ProgressTotal.topic == "*",
            )
        )
        found.update(dict(rows.all()))
    return found


# -- what is due (the scheduler's ticks) -----------------------------------------------------
class Due(NamedTuple):
    kind: str  # remind | nudge | report | examdone
    key: str
    user_id: int
    week: int  # the member's plan week k it belongs to
    due_at: datetime
    deliver: str  # dm | channel
    guild_id: int | None
    channel_id: int | None
    period: str | None = None  # a report's ISO week (of the member's local date)


class Dues(NamedTuple):
    due: list[Due]  # send now
    stale: list[Due]  # missed by more than GRACE: record as skipped, and log


# Zone, weekday and time come as one string, the key of the per-tick moment cache; dates
# come raw (strings on SQLite) and are parsed once per distinct value.
_SCHEDULE = Enrolment.timezone + "|" + cast(Enrolment.reminder_day, String) + "|"
_COLUMNS = (
    *(Enrolment.user_id, Enrolment.guild_id, Enrolment.channel_id, Enrolment.deliver),
    *(_SCHEDULE + Enrolment.reminder_time, Enrolment.weeks),
    *(type_coerce(Enrolment.start_date, String), type_coerce(Enrolment.exam_date, String)),
)
STATUSES = ("claimed", "sent", "failed", "skipped")  # every Delivery status
KINDS = ("remind", "nudge", "report", "examdone")
Hit = tuple[datetime, int, str]  # a moment, the ordinal of its local date, that date's ISO week


class _Tick:
    """One tick's rows, with what they share computed once: moments per schedule (zone,
    weekday and time) and day numbers per date value."""

    def __init__(self, now: datetime, rows: Sequence[Any]) -> None:
        self.now, self.rows, self.moments = now, rows, Moments(now)
        self.days = {
            raw: _day(raw).toordinal()
            for raw in {r[6] for r in rows} | {r[7] for r in rows}
            if raw is not None
        }
        self.schedules = {r[4] for r in rows}
        self._hits: dict[int, dict[str, Hit | None]] = {}

    def hits(self, lag: int) -> dict[str, Hit | None]:
        """schedule → its last moment at or before now, on its weekday + `lag` days."""
        if lag not in self._hits:
            found = self._hits[lag] = {}
            for schedule in self.schedules:
                tz, weekday, at = schedule.split("|")
                hit = self.moments.latest_weekly(tz, (int(weekday) + lag) % 7, at)
                found[schedule] = hit and (hit[0], hit[1].toordinal(), iso_week(hit[1]))
        return self._hits[lag]


def _day(raw: Any) -> date:
    return raw if isinstance(raw, date) else date.fromisoformat(raw)


def _weekly(tick: _Tick, kind: str, done: set[str], lag: int = 0) -> list[Due]:
    """Per enrolment, its latest weekly moment (`lag` days after the kickoff) in weeks 1..n,
    unless its key is in `done`."""
    found, hits, days = [], tick.hits(lag), tick.days
    for uid, gid, cid, deliver, schedule, n, start, _exam, created in tick.rows:
        hit = hits[schedule]
        if hit is None or (created is not None and hit[0] < created):
            continue
        k = (hit[1] - days[start] - lag) // 7 + 1
        if 1 <= k <= n and (key := f"{kind}:{uid}:{k}") not in done:
            found.append(Due(kind, key, uid, k, hit[0], deliver, gid, cid))
    return found


def _reports(tick: _Tick, done: set[str]) -> list[Due]:
    """Weekly reports from enrolment until a week after the plan ends (see `_plan_end`)."""
    found, hits, days = [], tick.hits(0), tick.days
    for uid, gid, cid, _deliver, schedule, n, start, exam, created in tick.rows:
        hit = hits[schedule]
        if hit is None or (created is not None and hit[0] < created):
            continue
        end = days[exam] + 1 if exam is not None else days[start] + 7 * n
        if hit[1] <= end + 7 and (key := f"report:{uid}:{hit[2]}") not in done:
            k = (hit[1] - days[start]) // 7 + 1
            found.append(Due("report", key, uid, k, hit[0], "dm", gid, cid, hit[2]))
    return found


def _plan_end(start: date, exam: date | None, n: int) -> date:
    """The day after the exam, or the day after the last plan week."""
    return exam + timedelta(days=1) if exam is not None else start + timedelta(weeks=n)


def _followups(tick: _Tick) -> list[Due]:
    found = []
    for uid, gid, cid, deliver, schedule, n, start, exam, _created in tick.rows:
        tz, _, at = schedule.split("|")
        end = _plan_end(_day(start), None if exam is None else _day(exam), n)
        today = tick.moments.today(tz)
        moment = None if today is None or today < end else tick.moments.moment(end, at, tz)
        if moment is not None and moment <= tick.now:  # after the enrolment: see `enrol`
            found.append(Due("examdone", f"examdone:{uid}", uid, n, moment, deliver, gid, cid))
    return found


async def _read(session: AsyncSession, now: datetime, shard_filter: ShardFilter | None) -> _Tick:
    """The one query: active enrolments, created_at only when recent (else None).

    Core rows through the session's connection: the ORM's row handling would double the
    time for 100,000 rows.
    """
    recent = Enrolment.created_at >= now - WINDOW
    created = type_coerce(case((recent, Enrolment.created_at), else_=null()), NullType)
    query = select(*_COLUMNS, created).where(Enrolment.status == ACTIVE)
    rows: Sequence[Any] = (await (await session.connection()).execute(query)).all()
    if shard_filter is not None:
        rows = [r for r in rows if shard_filter(r[1])]
    fresh = [r for r in rows if r[8] is not None]  # the few created within WINDOW
    if fresh:
        moments = {r[0]: _utc(r[8]) for r in fresh}
        rows = [(*r[:8], moments[r[0]]) if r[8] is not None else r for r in rows]
    return _Tick(now, rows)


def _utc(raw: Any) -> datetime:
    """A raw UTC timestamp: a naive string on SQLite, an aware datetime on PostgreSQL."""
    value = raw if isinstance(raw, datetime) else datetime.fromisoformat(raw)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


async def _opted_out(session: AsyncSession) -> dict[str, set[int]]:
    """Members with nudges or reports off, or DMs closed: only those rows are read (without
    a Member row everything is on)."""
    found: dict[str, set[int]] = {"nudge": set(), "report": set(), "closed": set()}
    cols = (Member.user_id, Member.nudges_enabled, Member.reports_enabled, Member.dms_closed)
    where = (Member.nudges_enabled.is_(False), Member.reports_enabled.is_(False))
    for uid, nudges, reports, closed in await session.execute(
        select(*cols).where(or_(*where, Member.dms_closed.is_(True)))
    ):
        for name, flag in (("nudge", not nudges), ("report", not reports), ("closed", closed)):
            if flag:
                found[name].add(uid)
    return found


async def _recent(session: AsyncSession, kind: str, now: datetime) -> set[str]:
    """Keys of `kind` claimed within WINDOW, in one range read of the status index.

    That holds every key of the latest weekly moment (claimed after it, and it is at most
    7 days old); older ones (from before a pause) are looked up key by key in `_split`.
    """
    if kind == "examdone":
        return set()
    query = select(Delivery.key).where(
        Delivery.status.in_(STATUSES),
        Delivery.claimed_at >= now - WINDOW,
        Delivery.key.startswith(f"{kind}:", autoescape=True),
    )
    return set((await (await session.connection()).execute(query)).scalars().all())


async def _split(session: AsyncSession, found: list[Due], now: datetime) -> Dues:
    """Drop what already has a delivery row; split the rest into due and stale."""
    done = await deliveries.existing(session, [d.key for d in found])
    fresh = [d for d in found if d.key not in done]
    stale = [d for d in fresh if now - d.due_at > GRACE]
    return Dues([d for d in fresh if now - d.due_at <= GRACE], stale)


async def _behind(session: AsyncSession, content: ContentStore, tick: _Tick, dues: Dues) -> Dues:
    """Keep the nudges of members below half of their week's target (this ISO week)."""
    practised = await practice_counts(session, {d.user_id for d in dues.due}, iso_week(tick.now))
    weeks, total = {r[0]: r[5] for r in tick.rows}, len(content.plan.weeks)

    def target(d: Due) -> int:
        return sum(content.week(c).target for c in content_weeks(d.week, weeks[d.user_id], total))

    return Dues([d for d in dues.due if 2 * practised.get(d.user_id, 0) < target(d)], dues.stale)


def _candidates(tick: _Tick, kind: str, done: set[str]) -> list[Due]:
    if kind == "remind":
        return _weekly(tick, "remind", done)
    if kind == "nudge":
        return _weekly(tick, "nudge", done, NUDGE_DAYS)
    return _reports(tick, done) if kind == "report" else _followups(tick)


async def due(
    session: AsyncSession,
    content: ContentStore | None,
    now: datetime,
    *,
    kinds: Iterable[str] = KINDS,
    shard_filter: ShardFilter | None = None,
) -> dict[str, Dues]:
    """Everything the plan tick may send, by kind, from ONE read of the active enrolments.

    `shard_filter` gets the enrolment's guild id (None when enrolled from a DM). Nudges
    need `content` (the week's target).
    """
    tick, members = await _read(session, now, shard_filter), await _opted_out(session)
    closed, found = members["closed"], {}
    for kind in kinds:
        cands = _candidates(tick, kind, await _recent(session, kind, now))
        off = members.get(kind, set())
        cands = [d for d in cands if d.user_id not in off]
        if closed:
            cands = [d for d in cands if d.deliver != "dm" or d.user_id not in closed]
        found[kind] = await _split(session, cands, now)
        if kind == "nudge":
            assert content is not None, "nudges need the content store"
            found[kind] = await _behind(session, content, tick, found[kind])
    return found


async def due_kickoffs(
    session: AsyncSession, now: datetime, shard_filter: ShardFilter | None = None
) -> Dues:
    """Each active member's latest weekly kickoff (`remind:<user>:<k>`) not yet delivered."""
    return (await due(session, None, now, kinds=["remind"], shard_filter=shard_filter))["remind"]


async def due_nudges(
    session: AsyncSession,
    content: ContentStore,
    now: datetime,
    shard_filter: ShardFilter | None = None,
) -> Dues:
    """Mid-week nudges (`nudge:<user>:<k>`, 3 days after the kickoff) for members below half
    of the week's target; stale ones are not checked against practice."""
    return (await due(session, content, now, kinds=["nudge"], shard_filter=shard_filter))["nudge"]


async def due_reports(
    session: AsyncSession, now: datetime, shard_filter: ShardFilter | None = None
) -> Dues:
    """Weekly DM reports (`report:<user>:<local ISO week>`) at the kickoff day and time,
    from enrolment until a week after the plan ends."""
    return (await due(session, None, now, kinds=["report"], shard_filter=shard_filter))["report"]


async def exam_followups(
    session: AsyncSession, now: datetime, shard_filter: ShardFilter | None = None
) -> Dues:
    """`examdone:<user>`: the day after the exam date (or after the last plan week), at the
    reminder time."""
    kinds = ["examdone"]
    return (await due(session, None, now, kinds=kinds, shard_filter=shard_filter))["examdone"]
