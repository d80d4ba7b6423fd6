"""Moving a plan to another timezone, keeping it: `/plan timezone`, and `/plan start` when
only the timezone differs from the member's plan.

The start date, the plan's weeks and what was already sent stay. Week k's kickoff falls on
the same local date in any timezone (the reminder weekday of plan week k), and its key is
per plan week (`remind:<user>:<k>`, the report's per ISO week of that date): a kickoff
already sent in the old timezone is not sent again in the new one, and one not sent yet
goes out once, at its moment in the new timezone, or at the next tick when that moment has
passed already (a move east on a kickoff day).

The tick sends nothing scheduled before the enrolment (`plan_due`), so when that would
keep back a kickoff the old timezone still owed (its moment in the old timezone after the
enrolment, in the new one before it), the enrolment's start moment moves back to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.content import ContentStore
from bot.models import Enrolment
from bot.services import deliveries
from bot.services.errors import InvalidInput, NotFound
from bot.services.plan import (
    ACTIVE,
    NOT_ENROLLED,
    PAUSED,
    Joined,
    Position,
    join,
    local_today,
    next_reminder,
    position,
)
from bot.services.timezones import latest_weekly, local_moment, parse_time, parse_timezone


@dataclass(frozen=True)
class Moved:
    enrolment: Enrolment
    previous: str  # the timezone before
    position: Position
    next_kickoff: datetime | None  # None while paused
    kickoff_now: bool  # this week's kickoff, still owed, goes out at the next tick


def change_timezone(
    session: Session, content: ContentStore, *, user_id: int, timezone: str, now: datetime
) -> Moved:
    """Move the member's plan to `timezone`, keeping its start date and week number."""
    row = session.get(Enrolment, user_id)
    if row is None or row.status not in (ACTIVE, PAUSED):
        raise NotFound(NOT_ENROLLED)
    tz = parse_timezone(timezone)
    previous = row.timezone
    if tz.key == previous:
        raise InvalidInput(f"Your plan already runs in {tz.key}.")
    owed = _owed_kickoff(session, row, tz, now)
    row.timezone, row.next_at = tz.key, None  # the plan tick works out the new schedule
    if owed is not None and owed < row.created_at:
        row.created_at = owed
    pos = position(row, local_today(row, now), content)
    upcoming = None if row.status == PAUSED else next_unsent(session, row, now)
    return Moved(row, previous, pos, upcoming, owed is not None and owed <= now)


def next_unsent(session: Session, row: Enrolment, now: datetime) -> datetime:
    """The next kickoff moment whose plan week's kickoff has not gone out yet (a move west
    can bring this week's moment back after it went out in the old timezone)."""
    moment = next_reminder(row, now)
    day = moment.astimezone(ZoneInfo(row.timezone)).date()
    k = (day - row.start_date).days // 7 + 1
    if k >= 1 and deliveries.get(session, f"remind:{row.user_id}:{k}") is not None:
        return local_moment(
            day + timedelta(days=7), parse_time(row.reminder_time), ZoneInfo(row.timezone)
        )
    return moment


def _owed_kickoff(session: Session, row: Enrolment, tz: ZoneInfo, now: datetime) -> datetime | None:
    """This plan week's kickoff moment in `tz` when it has passed there, is not sent (or
    claimed) yet, and was still to come in the plan's old timezone after the enrolment."""
    if row.status != ACTIVE:
        return None
    at = parse_time(row.reminder_time)
    moment, day = latest_weekly(now, tz, row.reminder_day, at)
    k = (day - row.start_date).days // 7 + 1
    if not 1 <= k <= row.weeks or deliveries.get(session, f"remind:{row.user_id}:{k}"):
        return None
    before = local_moment(day, at, ZoneInfo(row.timezone))
    return moment if before >= row.created_at and now - moment < timedelta(days=1) else None


def start(
    session: Session,
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
    deliver: str | None = None,
    now: datetime,
) -> Joined:
    """/plan start: join the plan (or start it over), or, when only the timezone differs
    from the member's running plan, move the plan to it (`change_timezone`)."""
    row = session.get(Enrolment, user_id)
    given = (start_date, exam_date, reminder_time, reminder_day, deliver, channel_id)
    if row is not None and _only_timezone(row, timezone, *given):
        moved = change_timezone(session, content, user_id=user_id, timezone=timezone, now=now)
        kickoff = now if moved.kickoff_now else next_unsent(session, row, now)
        return Joined(row, moved.position, kickoff, moved_from=moved.previous)
    return join(
        session,
        content,
        user_id=user_id,
        guild_id=guild_id,
        channel_id=channel_id,
        timezone=timezone,
        start_date=start_date,
        exam_date=exam_date,
        reminder_time=reminder_time,
        reminder_day=reminder_day,
        deliver=deliver or "dm",
        now=now,
    )


def _only_timezone(
    row: Enrolment,
    timezone: str,
    start_date: date | None,
    exam_date: date | None,
    reminder_time: str | None,
    reminder_day: int | None,
    deliver: str | None,
    channel_id: int | None,
) -> bool:
    """Whether /plan start asks for the member's plan (active or paused) in another
    timezone, and nothing else (each option left out, or the plan's own)."""
    if row.status not in (ACTIVE, PAUSED):
        return False
    try:
        zone, at = parse_timezone(timezone), parse_time(reminder_time or row.reminder_time)
    except InvalidInput:
        return False  # join refuses it with the reason
    same_deliver = deliver is None or (
        deliver == row.deliver and (deliver != "channel" or channel_id == row.channel_id)
    )
    return (
        zone.key != row.timezone
        and start_date in (None, row.start_date)
        and exam_date in (None, row.exam_date)
        and f"{at:%H:%M}" == row.reminder_time
        and reminder_day in (None, row.reminder_day)
        and same_deliver
    )
