"""The member's own week: from their weekly kickoff (the reminder day and time in their
timezone) to the next, and their practice in it, counted from the answers.

What /plan status shows, what the mid-week nudge measures, the kickoff's "last week:
X of Y" and the progress report's this week and last week all count this way, never by
the UTC ISO week: a member in Auckland whose week begins on Monday at 09:00 (Sunday 20:00
UTC) has Monday morning's answers in the new week, one in Honolulu has Sunday evening's
(Monday in UTC) in the week that is ending.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Table, and_, bindparam, case, func, select
from sqlalchemy.orm import Session

from bot.models import Answer, Enrolment
from bot.services.sql import Prepared
from bot.services.timezones import latest_weekly, local_moment, parse_time


def member_week(enrolment: Enrolment, when: datetime) -> tuple[datetime, datetime]:
    """The member's own week around `when`: from their latest kickoff moment (reminder day
    and time in their timezone) at or before it, to the next one (UTC moments)."""
    tz, at = ZoneInfo(enrolment.timezone), parse_time(enrolment.reminder_time)
    moment, day = latest_weekly(when, tz, enrolment.reminder_day, at)
    return moment, local_moment(day + timedelta(days=7), at, tz)


def week_before(enrolment: Enrolment, when: datetime) -> tuple[datetime, datetime]:
    """The member's week before the one around `when`: it ends at that week's kickoff."""
    return member_week(enrolment, member_week(enrolment, when)[0] - timedelta(seconds=1))


_PRACTISED = select(Answer.user_id, func.count()).group_by(Answer.user_id)


def practised_since(
    session: Session, user_ids: Iterable[int], since: datetime, until: datetime | None = None
) -> dict[int, int]:
    """Answers per member from `since` (up to `until`, excluded), in bulk: a range of the
    (user, answered_at) index per member."""
    ids, found = sorted(set(user_ids)), {}
    window = [Answer.answered_at >= since]
    if until is not None:
        window.append(Answer.answered_at < until)
    for i in range(0, len(ids), 500):
        rows = session.execute(_PRACTISED.where(Answer.user_id.in_(ids[i : i + 500]), *window))
        found.update({uid: int(n) for uid, n in rows})
    return found


@dataclass(frozen=True)
class TwoWeeks:
    """The member's week around a moment and the week before, with what they answered in
    each: (answers, right answers)."""

    start: datetime  # this week's kickoff (UTC)
    end: datetime  # the next kickoff
    before: datetime  # the kickoff of the week before
    this_week: tuple[int, int]
    last_week: tuple[int, int]


ANSWERS: Table = Answer.__table__  # type: ignore[assignment]
_AT, _RIGHT = ANSWERS.c.answered_at, ANSWERS.c.correct
_TWO_WEEKS = Prepared(
    select(
        func.count(),
        func.sum(case((_RIGHT, 1), else_=0)),
        func.sum(case((_AT >= bindparam("start"), 1), else_=0)),
        func.sum(case((and_(_AT >= bindparam("start"), _RIGHT), 1), else_=0)),
    ).where(
        ANSWERS.c.user_id == bindparam("user"),
        _AT >= bindparam("before"),
        _AT < bindparam("end"),
    )
)


def two_weeks(session: Session, enrolment: Enrolment, when: datetime) -> TwoWeeks:
    """The member's week around `when` and the one before it, counted from the answers:
    one range of the (user, answered_at) index."""
    start, end = member_week(enrolment, when)
    before = week_before(enrolment, when)[0]
    params = {"user": enrolment.user_id, "before": before, "start": start, "end": end}
    row = _TWO_WEEKS.first(session, params)
    answered, correct, now_answered, now_correct = (int(v or 0) for v in row or (0, 0, 0, 0))
    return TwoWeeks(
        start,
        end,
        before,
        (now_answered, now_correct),
        (answered - now_answered, correct - now_correct),
    )
