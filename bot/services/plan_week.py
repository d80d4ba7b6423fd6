"""The member's own week: from their weekly kickoff (the reminder day and time in their
timezone) to the next, and their practice in it, counted from the answers.

What /plan status shows, what the mid-week nudge measures and the kickoff's "last week:
X of Y" all count this way, never by the UTC ISO week: a member in Auckland whose week
begins on Monday at 09:00 (Sunday 20:00 UTC) has Monday morning's answers in the new week,
one in Honolulu has Sunday evening's (Monday in UTC) in the week that is ending.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.models import Answer, Enrolment
from bot.services.timezones import latest_weekly, local_moment, parse_time


def member_week(enrolment: Enrolment, when: datetime) -> tuple[datetime, datetime]:
    """The member's own week around `when`: from their latest kickoff moment (reminder day
    and time in their timezone) at or before it, to the next one (UTC moments)."""
    tz, at = ZoneInfo(enrolment.timezone), parse_time(enrolment.reminder_time)
    moment, day = latest_weekly(when, tz, enrolment.reminder_day, at)
    return moment, local_moment(day + timedelta(days=7), at, tz)


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
