"""App-wide member preferences: DM channel, DM state, reports and nudges."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Member


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
    return member
