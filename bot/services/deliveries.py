"""Exactly-once scheduled sends.

Every scheduled send has a key (`daily:<guild>:<local date>`, `remind:<user>:<week>`,
`report:<user>:<iso week>` …). A process claims a key by inserting it; the primary key
makes a second claim — from a restart, an overlapping tick or another process — fail
quietly. A claim left unfinished by a crashed process can be taken over after a lease.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import fetch_tuples
from bot.models import Delivery
from bot.prepared import dialect_insert

LEASE = timedelta(minutes=10)
PROCESS_ID = f"{socket.gethostname()}:{os.getpid()}"


async def claim(
    session: AsyncSession, key: str, kind: str, now: datetime, owner: str = PROCESS_ID
) -> bool:
    """Claim `key` for this process; False when it is already claimed or done.

    A claim older than LEASE that never finished (its process died) is taken over.
    """
    stmt = (
        dialect_insert(session.get_bind().dialect.name, Delivery)
        .values(key=key, kind=kind, status="claimed", claimed_by=owner, claimed_at=now, attempts=1)
        .on_conflict_do_nothing()
    )
    result: Any = await session.execute(stmt)
    if result.rowcount:
        return True
    stale: Any = await session.execute(
        update(Delivery)
        .where(Delivery.key == key, Delivery.status == "claimed", Delivery.claimed_at < now - LEASE)
        .values(claimed_by=owner, claimed_at=now, attempts=Delivery.attempts + 1)
    )
    return bool(stale.rowcount)


async def retry(session: AsyncSession, key: str, now: datetime, owner: str = PROCESS_ID) -> bool:
    """Claim a delivery that failed earlier, to try it again."""
    result: Any = await session.execute(
        update(Delivery)
        .where(Delivery.key == key, Delivery.status == "failed")
        .values(status="claimed", claimed_by=owner, claimed_at=now, attempts=Delivery.attempts + 1)
    )
    return bool(result.rowcount)


async def finish(
    session: AsyncSession, key: str, status: str, now: datetime, detail: str | None = None
) -> None:
    """Mark a claimed delivery sent, failed or skipped."""
    await session.execute(
        update(Delivery)
        .where(Delivery.key == key)
        .values(status=status, finished_at=now, detail=detail)
    )


async def record_send(
    session: AsyncSession, key: str, now: datetime, *, ok: bool, detail: str | None
) -> None:
    """Finish a claimed delivery with how its send went: sent, or failed with the reason."""
    await finish(session, key, "sent" if ok else "failed", now, detail=None if ok else detail)


async def release(session: AsyncSession, key: str) -> None:
    """Give a claim back, so that a later tick tries the delivery again."""
    await session.execute(delete(Delivery).where(Delivery.key == key))


async def existing(session: AsyncSession, keys: Iterable[str]) -> set[str]:
    """Which of `keys` already have a delivery row (any status), in bulk."""
    found: set[str] = set()
    keys = list(keys)
    for i in range(0, len(keys), 2000):
        query = select(Delivery.key).where(Delivery.key.in_(keys[i : i + 2000]))
        found.update(key for (key,) in await fetch_tuples(session, query))
    return found


async def get(session: AsyncSession, key: str) -> Delivery | None:
    return await session.get(Delivery, key)
