"""Installation facts kept in the `meta` table."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Meta


async def get(session: AsyncSession, key: str) -> str | None:
    return await session.scalar(select(Meta.value).where(Meta.key == key))


async def put(session: AsyncSession, key: str, value: str) -> None:
    row = await session.get(Meta, key)
    if row is None:
        session.add(Meta(key=key, value=value))
    else:
        row.value = value
