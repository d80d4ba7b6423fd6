"""The 12-week study plan, keyed to each member's own week in their own timezone.

Member week k covers the local dates start_date + 7(k-1) … start_date + 7k - 1; week 0 is
before the start. Without an exam date the plan has one member week per content week. With
one, n = the whole weeks from start_date to exam_date (2 to 52) and the content weeks are
fitted onto them by proportion (`content_weeks`): compressed, a member week covers several
content weeks (their targets add up); stretched, a content week spans several member weeks.

A member's practice is counted in their own week too: from their latest kickoff (the
reminder day and time in their timezone) to the next (`bot.services.plan_week`): what
/plan status shows, what the mid-week nudge measures and the kickoff's "last week: X of Y".

Changing timezone keeps the plan (`bot.services.plan_timezone`): the start date, the week number and
what was already sent stay, and the current week's kickoff goes out exactly once (its key is
per plan week, and its local date does not depend on the timezone).

Pausing freezes the position. Resuming shifts start_date by the whole days paused, so the
member picks up in the week they left; an exam date stays put, so n is re-fitted to the
weeks that remain (the rest of the plan is compressed, or the plan ends at the exam).

What the scheduler sends (kickoffs, nudges, reports, exam follow-ups) is computed in
`bot.services.plan_due`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.content import ContentStore, PlanWeek
from bot.enums import Deliver, DeliveryStatus, EnrolmentStatus
from bot.models import Delivery, Enrolment
from bot.services.errors import InvalidInput, NotFound
from bot.services.members import get_or_create as get_or_create_member
from bot.services.plan_week import member_week, practised_since
from bot.services.timezones import (
    format_time,
    latest_weekly,
    local_moment,
    parse_time,
    parse_timezone,
)

PLAN_WEEKS = 12
MIN_WEEKS, MAX_WEEKS = 2, 52
DEFAULT_REMINDER = "09:00"
ACTIVE, PAUSED, FINISHED, STOPPED = tuple(EnrolmentStatus)
DELIVER = tuple(Deliver)
OUTCOMES = ("passed", "failed", "not_taken")
NOT_ENROLLED = "You are not enrolled in the study plan. Join it with /plan start."


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


def week_target(content: ContentStore, k: int, n: int) -> int:
    """Questions to practise in member week k of n: the targets of its content weeks."""
    return sum(content.week(c).target for c in content_weeks(k, n, len(content.plan.weeks)))


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
        target=week_target(content, shown, n),
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
def latest_start(exam: date | None, today: date) -> date:
    """Today, unless the exam is further away than the longest plan: then the plan starts
    so that it ends at the exam (rather than a year early)."""
    if exam is not None and (exam - today).days // 7 > MAX_WEEKS:
        return exam - timedelta(weeks=MAX_WEEKS)
    return today


def fitting_note(row: Enrolment, today: date, total: int = PLAN_WEEKS) -> str:
    """How the plan was fitted to the exam date, for the reply to /plan start."""
    if row.exam_date is None or row.weeks == total:
        return ""
    if row.start_date > today:
        return (
            f"Your exam is more than {MAX_WEEKS} weeks away, so your {row.weeks}-week plan "
            f"starts on {row.start_date:%a %d %b %Y} and ends at your exam."
        )
    if row.weeks > total:
        return (
            f"Your exam is {row.weeks} weeks away, so the {total} plan weeks are stretched "
            f"over {row.weeks} (each lasts about {row.weeks / total:.1f} weeks)."
        )
    return (
        f"Your exam is {row.weeks} weeks away, so the {total} plan weeks are compressed "
        f"into {row.weeks}: some weeks cover two plan weeks' topics."
    )


def _check_dates(start: date, exam: date | None, today: date, total: int) -> int:
    """The plan's number of weeks, or InvalidInput."""
    if not today - timedelta(weeks=MAX_WEEKS) <= start <= today + timedelta(weeks=MAX_WEEKS):
        if exam is not None and start > today:
            raise InvalidInput(
                f"Your exam is more than two years away: the plan covers at most {MAX_WEEKS} "
                "weeks, so come back within a year of it."
            )
        raise InvalidInput("The start date must be within a year of today.")
    weeks = fit_weeks(start, exam, today, total)
    if start + timedelta(weeks=weeks) <= today:
        raise InvalidInput("With that start date the whole plan would be over already.")
    return weeks


def _check_delivery(day: int, deliver: str, channel_id: int | None) -> None:
    if not 0 <= day <= 6:
        raise InvalidInput("The reminder day must be a weekday from Monday (0) to Sunday (6).")
    if deliver not in DELIVER:
        raise InvalidInput("Reminders go by DM or to a channel.")
    if deliver == "channel" and channel_id is None:
        raise InvalidInput("Channel reminders need a server channel: run /plan start there.")


def _plan_keys(user_id: int) -> list[str]:
    weekly = [f"{kind}:{user_id}:{k}" for kind in ("remind", "nudge") for k in range(1, 53)]
    return [*weekly, f"examdone:{user_id}"]


def enrol(
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
    deliver: str = "dm",
    now: datetime,
) -> Enrolment:
    """Join the plan (or start it over: a new enrolment replaces the old one).

    The start date defaults to today in the member's timezone, the reminder to 09:00 on
    the start date's weekday. A plan already over at enrolment is refused, so every
    scheduled send of a plan comes after its enrolment.
    """
    tz = parse_timezone(timezone)
    at = parse_time(reminder_time or DEFAULT_REMINDER)
    today = now.astimezone(tz).date()
    start = start_date or latest_start(exam_date, today)
    weeks = _check_dates(start, exam_date, today, len(content.plan.weeks))
    day = start.weekday() if reminder_day is None else reminder_day
    _check_delivery(day, deliver, channel_id)
    row = session.get(Enrolment, user_id)
    if row is None:
        row = Enrolment(user_id=user_id)
        session.add(row)
    else:  # a new plan: its weeks may be sent again
        session.execute(delete(Delivery).where(Delivery.key.in_(_plan_keys(user_id))))
    row.guild_id, row.channel_id, row.timezone = guild_id, channel_id, tz.key
    row.start_date, row.exam_date, row.weeks = start, exam_date, weeks
    row.reminder_time, row.reminder_day, row.deliver = format_time(at), day, deliver
    row.status, row.paused_on, row.outcome, row.created_at = ACTIVE, None, None, now
    row.next_at = None  # the plan tick works out the new schedule
    return row


@dataclass(frozen=True)
class Joined:
    enrolment: Enrolment
    position: Position
    first_kickoff: datetime  # the next kickoff (now: this week's, owed, at the next tick)
    note: str = ""  # how the plan was fitted to the exam date
    moved_from: str | None = None  # the plan was kept and moved from this timezone


def join(
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
    deliver: str = "dm",
    now: datetime,
) -> Joined:
    """/plan start: enrol (see `enrol`) and say where the member stands and when the first
    kickoff comes."""
    row = enrol(
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
        deliver=deliver,
        now=now,
    )
    get_or_create_member(session, user_id, now)
    today = local_today(row, now)
    note = fitting_note(row, today, len(content.plan.weeks))
    return Joined(row, position(row, today, content), next_reminder(row, now), note)


def _enrolment(session: Session, user_id: int, *statuses: str) -> Enrolment:
    row = session.get(Enrolment, user_id)
    if row is None or row.status not in (statuses or (ACTIVE, PAUSED, FINISHED)):
        raise NotFound(NOT_ENROLLED)
    return row


@dataclass(frozen=True)
class PlanStatus:
    enrolment: Enrolment
    position: Position
    today: date  # the member's local date
    practised: int  # answers since the member's latest kickoff moment
    next_reminder: datetime | None  # None while paused or once finished


def status(session: Session, content: ContentStore, *, user_id: int, now: datetime) -> PlanStatus:
    row = _enrolment(session, user_id)
    today = local_today(row, now)
    pos = position(row, today, content)
    practised = practised_since(session, [user_id], member_week(row, now)[0]).get(user_id, 0)
    upcoming = None if pos.paused or pos.finished else next_reminder(row, now)
    return PlanStatus(row, pos, today, practised, upcoming)


def last_failure(session: Session, user_id: int) -> str | None:
    """The latest kickoff that could not be delivered, for /plan status."""
    row = session.scalar(
        select(Delivery)
        .where(Delivery.key.like(f"remind:{user_id}:%"))
        .order_by(Delivery.claimed_at.desc())
        .limit(1)
    )
    if row is None or row.status != DeliveryStatus.FAILED:
        return None
    return (
        f"Your last weekly kickoff could not be delivered ({row.detail}). Open your "
        "DMs to this bot, or run `/plan start deliver:this channel` in a server."
    )


def status_and_failure(
    session: Session, content: ContentStore, *, user_id: int, now: datetime
) -> tuple[PlanStatus, str | None]:
    return status(session, content, user_id=user_id, now=now), last_failure(session, user_id)


def current_week(
    session: Session, content: ContentStore, *, user_id: int, now: datetime
) -> tuple[str, PlanWeek] | None:
    """The member's position label and plan week, or None when not enrolled."""
    try:
        st = status(session, content, user_id=user_id, now=now)
    except NotFound:
        return None
    return st.position.label, st.position.plan_week


def pause(session: Session, *, user_id: int, now: datetime) -> Enrolment:
    row = _enrolment(session, user_id, ACTIVE, PAUSED)
    if row.status == PAUSED:
        raise InvalidInput(f"Your plan is already paused (since {row.paused_on}); /plan resume.")
    row.status, row.paused_on = PAUSED, local_today(row, now)
    return row


def resume(session: Session, *, user_id: int, now: datetime) -> Enrolment:
    """Continue where the member left off: start_date moves by the whole days paused."""
    row = _enrolment(session, user_id, ACTIVE, PAUSED)
    if row.status != PAUSED or row.paused_on is None:
        raise InvalidInput("Your plan is not paused.")
    paused_days = max(0, (local_today(row, now) - row.paused_on).days)
    row.start_date += timedelta(days=paused_days)
    if row.exam_date is not None:  # the exam stays: fit the plan to the weeks left
        row.weeks = max(1, min(MAX_WEEKS, (row.exam_date - row.start_date).days // 7))
    row.status, row.paused_on, row.next_at = ACTIVE, None, None
    return row


def resume_label(session: Session, content: ContentStore, *, user_id: int, now: datetime) -> str:
    """Resume, and return where the member now stands."""
    row = resume(session, user_id=user_id, now=now)
    return position(row, local_today(row, now), content).label


def stop(session: Session, *, user_id: int, now: datetime) -> Enrolment:
    row = _enrolment(session, user_id)
    row.status = STOPPED
    return row


def record_outcome(session: Session, *, user_id: int, outcome: str, now: datetime) -> Enrolment:
    """The answer to the exam follow-up; the plan is finished."""
    if outcome not in OUTCOMES:
        raise InvalidInput(f"The outcome is one of {', '.join(OUTCOMES)}.")
    row = _enrolment(session, user_id)
    row.status, row.outcome = FINISHED, outcome
    return row
