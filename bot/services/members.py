"""App-wide member preferences: DM channel, DM state, reports and nudges."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Enrolment, Member

# Preferences that decide what the plan tick may send: changing one makes it look again
PLAN_PREFERENCES = frozenset({"dms_closed", "reports_enabled", "nudges_enabled"})


async def get_or_create(session: AsyncSession, user_id: int, now: datetime) -> Member:
    member = await session.get(Member, user_id)
    if member is None:
        member = Member(
            user_id=user_id,
            dms_closed=False,
            reports_enabled=True,
            nudges_enabled=True,
            created_at=now,
        )
        session.add(member)
        await session.flush()
    return member


async def upsert_member(
    session: AsyncSession, user_id: int, *, now: datetime, **values: Any
) -> Member:
    member = await get_or_create(session, user_id, now)
    for key, value in values.items():
        setattr(member, key, value)
    if PLAN_PREFERENCES & values.keys():
        await recheck_plan(session, user_id)
    return member


async def recheck_plan(session: AsyncSession, user_id: int) -> None:
    """Have the next plan tick look at the member's enrolment again (a preference changed:
    a report turned back on within its day is still sent)."""
    await session.execute(
        update(Enrolment).where(Enrolment.user_id == user_id).values(next_at=None)
    )
