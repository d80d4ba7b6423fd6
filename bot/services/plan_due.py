"""What the study plan sends, computed from rows at each tick; each send is keyed once.

- `remind:<user>:<k>`: the weekly kickoff, at the member's reminder day and time.
- `nudge:<user>:<k>`: 3 days after the kickoff, when the practice since that kickoff is
  below half of the week's target (and nudges are on).
- `report:<user>:<ISO week>`: the weekly DM progress report, with the kickoff (reports on),
  from enrolment until a week after the plan ends; the ISO week of the member's local date.
- `examdone:<user>`: the day after the exam date, or after the last plan week.

For each active enrolment the candidate is its LATEST such moment (at most 7 days old), so
a kickoff missed across a week boundary is still seen. What has no Delivery row (or one
whose sender died: a claim whose lease lapsed, retried with `Due.since`) is due while
within GRACE (24 h) of its moment, and stale after that: the caller records stale ones as
skipped and logs them. DMs are not sent to members whose DMs are closed.

Fast on 100,000 enrolments: each enrolment keeps `next_at`, the earliest moment at which
anything of it can fall due, so a tick reads only the active enrolments whose `next_at` has
come (or is not worked out yet: new, resumed, or a preference changed). After a tick that
found nothing to send for an enrolment, `settle()` moves its `next_at` to its next weekly
moment (kickoff, nudge) or its follow-up; one with something due, or with a send under way,
is read again next tick, so a send left for a retry, or whose sender died, is seen again.
Beyond that read: one query for the members who opted out or closed their DMs, one range
read of the recently finished delivery keys per kind (plus a by-key lookup of what is
left); moments are computed once per schedule (zone, weekday, time), not per row. `due()`
serves every kind from one read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import (
    String,
    Table,
    bindparam,
    case,
    cast,
    null,
    or_,
    select,
    type_coerce,
    union_all,
    update,
)
from sqlalchemy.orm import Session
from sqlalchemy.types import NullType

from bot.content import ContentStore
from bot.enums import DeliveryStatus
from bot.models import Delivery, Enrolment, Member
from bot.services import deliveries
from bot.services.periods import iso_week
from bot.services.plan import ACTIVE, week_target
from bot.services.plan_week import practised_since
from bot.services.timezones import Moments

GRACE = timedelta(hours=24)
WINDOW = timedelta(days=8)  # the latest weekly moment is at most 7 days old
NUDGE_DAYS = 3
FINISHED = (DeliveryStatus.SENT, DeliveryStatus.FAILED, DeliveryStatus.SKIPPED)
KINDS = ("remind", "nudge", "report", "examdone")
ShardFilter = Callable[[int | None], bool]  # gets the enrolment's guild id (None: from a DM)
RANGE_READ_ABOVE = 20_000  # rows read: above, the recent keys are read by range


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
    report: str | None = None  # a kickoff's: the key of the report it carries (one DM)
    since: datetime | None = None  # a retry: an earlier attempt (its sender died) began then


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
RECHECK = timedelta(hours=1)  # next_at for a row whose zone or time cannot be worked out
Hit = tuple[datetime, int, str]  # a moment, the ordinal of its local date, that date's ISO week


class Enrolled(NamedTuple):
    """One enrolment as a tick reads it (the columns of `_read`'s query, in order)."""

    user_id: int
    guild_id: int | None
    channel_id: int | None
    deliver: str
    schedule: str  # "zone|weekday|HH:MM": the key of the per-tick moment cache
    weeks: int
    start: Any  # the start date as stored (text on SQLite): parsed once per value
    exam: Any  # the exam date as stored, or None
    created: Any  # created_at when within WINDOW (parsed by `_read`), else None
    created_raw: Any  # created_at as stored, for `settle`


Rows = list[Enrolled]


class _Tick:
    """One tick's rows, with what they share computed once: moments per schedule (zone,
    weekday and time) and day numbers per date value."""

    def __init__(self, now: datetime, rows: Rows) -> None:
        self.now, self.rows, self.moments = now, rows, Moments(now)
        self.days = {
            raw: _day(raw).toordinal()
            for raw in {r.start for r in rows} | {r.exam for r in rows}
            if raw is not None
        }
        self.schedules = {r.schedule for r in rows}
        self.today_ordinal = now.date().toordinal()
        self._hits: dict[int, dict[str, Hit | None]] = {}
        self._next: dict[str, datetime] = {}

    def next_weekly(self, schedule: str) -> datetime:
        """The schedule's next kickoff or nudge moment after now (RECHECK on bad data)."""
        found = self._next.get(schedule)
        if found is None:
            tz, _, at = schedule.split("|")
            after = []
            for lag in (0, NUDGE_DAYS):
                hit = self.hits(lag)[schedule]
                if hit is not None:  # a week after the latest moment: the next one
                    after.append(self.moments.moment(date.fromordinal(hit[1] + 7), at, tz))
            found = min(
                (m for m in after if m is not None and m > self.now), default=self.now + RECHECK
            )
            self._next[schedule] = found
        return found

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


def _weekly(tick: _Tick, rows: Rows, kind: str, done: set[str], lag: int = 0) -> list[Due]:
    """Per enrolment, its latest weekly moment (`lag` days after the kickoff) in weeks 1..n,
    unless its key is in `done`."""
    found, hits, days = [], tick.hits(lag), tick.days
    for uid, gid, cid, deliver, schedule, n, start, _exam, created, _ in rows:
        hit = hits[schedule]
        if hit is None or (created is not None and hit[0] < created):
            continue
        k = (hit[1] - days[start] - lag) // 7 + 1
        if 1 <= k <= n and (key := f"{kind}:{uid}:{k}") not in done:
            found.append(Due(kind, key, uid, k, hit[0], deliver, gid, cid))
    return found


def _reports(tick: _Tick, rows: Rows, done: set[str]) -> list[Due]:
    """Weekly reports, from the second kickoff (a week of plan behind them) until a week
    after the plan ends (or the exam)."""
    found, hits, days = [], tick.hits(0), tick.days
    for uid, gid, cid, _deliver, schedule, n, start, exam, created, _ in rows:
        hit = hits[schedule]
        if hit is None or (created is not None and hit[0] < created):
            continue
        k = (hit[1] - days[start]) // 7 + 1
        end = days[exam] + 1 if exam is not None else days[start] + 7 * n
        if k >= 2 and hit[1] <= end + 7 and (key := f"report:{uid}:{hit[2]}") not in done:
            found.append(Due("report", key, uid, k, hit[0], "dm", gid, cid, hit[2]))
    return found


def _one_message(found: Found) -> None:
    """A member gets one DM at a kickoff: a report due at the same moment as a kickoff
    sent by DM rides in it (and leaves the list of reports to send on their own)."""
    kickoffs, reports = found.get("remind"), found.get("report")
    if kickoffs is None or reports is None:
        return
    by_moment = {(r.user_id, r.due_at): r for r in reports.due}
    merged, carried = [], set()
    for kickoff in kickoffs.due:
        report = by_moment.get((kickoff.user_id, kickoff.due_at))
        if report is not None and kickoff.deliver == "dm":
            kickoff = kickoff._replace(report=report.key, period=report.period)
            carried.add(report.key)
        merged.append(kickoff)
    found["remind"] = Dues(merged, kickoffs.stale)
    found["report"] = Dues([r for r in reports.due if r.key not in carried], reports.stale)


def _followups(tick: _Tick, rows: Rows) -> list[Due]:
    """The day after the exam (or after the last plan week), at the reminder time."""
    found, days, moments = [], tick.days, tick.moments
    for uid, gid, cid, deliver, schedule, n, start, exam, _created, _ in rows:
        end = days[exam] + 1 if exam is not None else days[start] + 7 * n
        tz, _, at = schedule.split("|")
        today = moments.today(tz)
        if today is None or today.toordinal() < end:
            continue
        moment = moments.moment(date.fromordinal(end), at, tz)
        if moment is not None and moment <= tick.now:  # after the enrolment: see `enrol`
            found.append(Due("examdone", f"examdone:{uid}", uid, n, moment, deliver, gid, cid))
    return found


def _read(session: Session, now: datetime, shard_filter: ShardFilter | None) -> _Tick:
    """The one query: the active enrolments whose next_at has come or is unknown, with
    created_at parsed only when recent (else None) and as stored (for `settle`).

    Dates and times are read as stored (type_coerce) and parsed once per distinct value,
    not once per row.
    """
    recent = Enrolment.created_at >= now - WINDOW
    created = type_coerce(case((recent, Enrolment.created_at), else_=null()), NullType)
    stored = type_coerce(Enrolment.created_at, NullType)
    columns = (*_COLUMNS, created, stored)
    active = Enrolment.status == ACTIVE
    query = union_all(  # two index ranges: an OR would scan every active row's entry
        select(*columns).where(active, Enrolment.next_at.is_(None)),
        select(*columns).where(active, Enrolment.next_at <= now),
    )
    rows = [Enrolled._make(row) for row in session.execute(query)]
    if shard_filter is not None:
        rows = [r for r in rows if shard_filter(r.guild_id)]
    rows = [r._replace(created=_utc(r.created)) if r.created is not None else r for r in rows]
    return _Tick(now, rows)


def _utc(raw: Any) -> datetime:
    """A raw UTC timestamp: a naive string on SQLite, an aware datetime on PostgreSQL."""
    value = raw if isinstance(raw, datetime) else datetime.fromisoformat(raw)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _opted_out(session: Session) -> dict[str, set[int]]:
    """Members with nudges or reports off, or DMs closed: only those rows are read (without
    a Member row everything is on)."""
    found: dict[str, set[int]] = {"nudge": set(), "report": set(), "closed": set()}
    cols = (Member.user_id, Member.nudges_enabled, Member.reports_enabled, Member.dms_closed)
    where = (Member.nudges_enabled.is_(False), Member.reports_enabled.is_(False))
    for uid, nudges, reports, closed in session.execute(
        select(*cols).where(or_(*where, Member.dms_closed.is_(True)))
    ):
        for name, flag in (("nudge", not nudges), ("report", not reports), ("closed", closed)):
            if flag:
                found[name].add(uid)
    return found


def _recent(session: Session, now: datetime) -> dict[str, set[str]]:
    """Plan keys finished within WINDOW, by kind, in one range read of the status index.

    That holds every finished key of the latest weekly moment (claimed after it, and it is
    at most 7 days old); older ones (from before a pause), and claims still open, are
    looked up key by key in `_split`.
    """
    query = select(Delivery.key).where(
        Delivery.status.in_(FINISHED), Delivery.claimed_at >= now - WINDOW
    )
    found: dict[str, set[str]] = {kind: set() for kind in KINDS}
    for key in session.scalars(query):
        kind = key.split(":", 1)[0]
        if kind in found:
            found[kind].add(key)
    return found


def _split(session: Session, found: list[Due], now: datetime) -> tuple[Dues, set[int]]:
    """Drop what is done or being sent; split the rest into due and stale. Also the members
    with a send under way (a live claim): their enrolment is read again next tick."""
    claims = deliveries.states(session, [d.key for d in found])
    fresh, sending = [], set()
    for d in found:
        state = claims.get(d.key)
        if state is None:
            fresh.append(d)
        elif state.lapsed(now):  # its sender died: retry, minding the earlier attempt
            fresh.append(d._replace(since=state.claimed_at))
        elif state.held(now):
            sending.add(d.user_id)
    stale = [d for d in fresh if now - d.due_at > GRACE]
    return Dues([d for d in fresh if now - d.due_at <= GRACE], stale), sending


def _behind(session: Session, content: ContentStore, tick: _Tick, dues: Dues) -> Dues:
    """Keep the nudges of members below half of their week's target, counting their answers
    since their own kickoff: one read per kickoff moment, only for the nudges due."""
    rows = {r.user_id: r for r in tick.rows}
    kickoffs, since = tick.hits(0), dict[datetime, list[int]]()
    for d in dues.due:
        hit = kickoffs[rows[d.user_id].schedule]
        if hit is not None:
            since.setdefault(hit[0], []).append(d.user_id)
    practised: dict[int, int] = {}
    for moment, user_ids in since.items():
        practised.update(practised_since(session, user_ids, moment))

    def behind(d: Due) -> bool:
        target = week_target(content, d.week, rows[d.user_id].weeks)
        return 2 * practised.get(d.user_id, 0) < target

    return Dues([d for d in dues.due if behind(d)], dues.stale)


def _candidates(tick: _Tick, kind: str, done: set[str]) -> list[Due]:
    rows = tick.rows
    if kind in ("remind", "nudge"):
        return _weekly(tick, rows, kind, done, NUDGE_DAYS if kind == "nudge" else 0)
    return _reports(tick, rows, done) if kind == "report" else _followups(tick, rows)


CHANNEL_FALLBACK = ("remind", "examdone")


class Found(dict[str, Dues]):
    """Dues by kind, and the enrolments read that have nothing to send: (user id, created
    as stored, next_at), for `settle()`. Only a pass over every kind settles rows."""

    settled: list[tuple[int, Any, datetime]]
    sending: set[int]  # members with a send under way in some process


def _next_at(tick: _Tick, row: Enrolled) -> datetime:
    """The earliest moment after now at which anything of this enrolment can fall due."""
    schedule, n, start, exam = row.schedule, row.weeks, row.start, row.exam
    weekly = tick.next_weekly(schedule)  # within 7 days: the exam follow-up only if sooner
    end = tick.days[exam] + 1 if exam is not None else tick.days[start] + 7 * n
    if end <= tick.today_ordinal + 8:
        tz, _, at = schedule.split("|")
        followup = tick.moments.moment(date.fromordinal(end), at, tz)
        if followup is not None and tick.now < followup < weekly:
            return followup
    return weekly


ENROLMENTS: Table = Enrolment.__table__  # type: ignore[assignment]
_SETTLE = (
    update(ENROLMENTS)
    .where(
        ENROLMENTS.c.user_id == bindparam("uid"),
        ENROLMENTS.c.created_at == bindparam("created"),  # not enrolled again since the read
    )
    .values(next_at=bindparam("next"))
)


def settle(session: Session, settled: list[tuple[int, Any, datetime]]) -> None:
    """Move each settled enrolment's next_at on (after the tick has sent what was due)."""
    if settled:
        session.execute(
            _SETTLE,
            [{"uid": uid, "created": _utc(raw), "next": when} for uid, raw, when in settled],
        )


def due(
    session: Session,
    content: ContentStore | None,
    now: datetime,
    *,
    kinds: Iterable[str] = KINDS,
    shard_filter: ShardFilter | None = None,
) -> Found:
    """Everything the plan tick may send, by kind, from ONE read of the active enrolments.

    `shard_filter` gets the enrolment's guild id (None when enrolled from a DM). Nudges
    need `content` (the week's target).
    """
    tick, members = _read(session, now, shard_filter), _opted_out(session)
    closed, found = members["closed"], Found()
    found.sending = set()
    kinds = tuple(kinds)
    # Many rows (a first tick): one range read of the recent keys beats a lookup per key
    recent = _recent(session, now) if len(tick.rows) > RANGE_READ_ABOVE else {}
    for kind in kinds:
        cands = _candidates(tick, kind, recent.get(kind, set()))
        off = members.get(kind, set())
        cands = [d for d in cands if d.user_id not in off]
        if closed:  # no DM attempts; kickoffs and follow-ups can still go to a channel
            cands = [
                d
                for d in cands
                if d.user_id not in closed
                or (kind in CHANNEL_FALLBACK and d.channel_id is not None)
            ]
        found[kind], sending = _split(session, cands, now)
        found.sending |= sending
        if kind == "nudge":
            if content is None:
                raise ValueError("nudges need the content store (the week's target)")
            found[kind] = _behind(session, content, tick, found[kind])
    _one_message(found)
    busy = {d.user_id for dues in found.values() for d in (*dues.due, *dues.stale)}
    busy |= found.sending
    found.settled = (
        [(r.user_id, r.created_raw, _next_at(tick, r)) for r in tick.rows if r.user_id not in busy]
        if set(kinds) == set(KINDS)
        else []
    )
    return found
