"""App-wide member preferences: DM channel, DM state, reports and nudges."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.models import Enrolment, Member

# Preferences that decide what the plan tick may send: changing one makes it look again
PLAN_PREFERENCES = frozenset({"dms_closed", "reports_enabled", "nudges_enabled"})


def get_or_create(session: Session, user_id: int, now: datetime) -> Member:
    member = session.get(Member, user_id)
    if member is None:
        member = Member(
            user_id=user_id,
            dms_closed=False,
            reports_enabled=True,
            nudges_enabled=True,
            created_at=now,
        )
        session.add(member)
        session.flush()
    return member


def upsert_member(session: Session, user_id: int, *, now: datetime, **values: Any) -> Member:
    member = get_or_create(session, user_id, now)
    for key, value in values.items():
        setattr(member, key, value)
    if PLAN_PREFERENCES & values.keys():
        recheck_plan(session, user_id)
    return member


def recheck_plan(session: Session, user_id: int) -> None:
    """Have the next plan tick look at the member's enrolment again (a preference changed:
    a report turned back on within its day is still sent)."""
    session.execute(update(Enrolment).where(Enrolment.user_id == user_id).values(next_at=None))


def set_preferences(session: Session, user_id: int, *, now: datetime, **values: Any) -> None:
    """/reports on, off and nudges."""
    upsert_member(session, user_id, now=now, **values)


def dms_closed(session: Session) -> list[int]:
    """Members whose DMs are known to be closed."""
    return list(session.scalars(select(Member.user_id).where(Member.dms_closed.is_(True))))


def dm_channel(session: Session, user_id: int) -> int | None:
    """The member's stored DM channel id, if any."""
    return session.scalar(select(Member.dm_channel_id).where(Member.user_id == user_id))


def reopen_dms(session: Session, user_id: int) -> None:
    """The member used a command: DMs may be tried again, and the plan may send again."""
    session.execute(update(Member).where(Member.user_id == user_id).values(dms_closed=False))
    recheck_plan(session, user_id)
