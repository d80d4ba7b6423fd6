"""Exactly-once scheduled sends.

Every scheduled send has a key (`daily:<guild>:<local date>:<timezone>`, `remind:<user>:<week>`,
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
from sqlalchemy.orm import Session

from bot.enums import DeliveryStatus
from bot.models import Delivery
from bot.services.sql import dialect_insert, dialect_of

LEASE = timedelta(minutes=10)
PROCESS_ID = f"{socket.gethostname()}:{os.getpid()}"


def claim(session: Session, key: str, kind: str, now: datetime, owner: str = PROCESS_ID) -> bool:
    """Claim `key` for this process; False when it is already claimed or done.

    A claim older than LEASE that never finished (its process died) is taken over.
    """
    stmt = (
        dialect_insert(dialect_of(session), Delivery)
        .values(
            key=key,
            kind=kind,
            status=DeliveryStatus.CLAIMED,
            claimed_by=owner,
            claimed_at=now,
            attempts=1,
        )
        .on_conflict_do_nothing()
    )
    result: Any = session.execute(stmt)
    if result.rowcount:
        return True
    stale: Any = session.execute(
        update(Delivery)
        .where(
            Delivery.key == key,
            Delivery.status == DeliveryStatus.CLAIMED,
            Delivery.claimed_at < now - LEASE,
        )
        .values(claimed_by=owner, claimed_at=now, attempts=Delivery.attempts + 1)
    )
    return bool(stale.rowcount)


def retry(session: Session, key: str, now: datetime, owner: str = PROCESS_ID) -> bool:
    """Claim a delivery that failed earlier, to try it again."""
    result: Any = session.execute(
        update(Delivery)
        .where(Delivery.key == key, Delivery.status == DeliveryStatus.FAILED)
        .values(
            status=DeliveryStatus.CLAIMED,
            claimed_by=owner,
            claimed_at=now,
            attempts=Delivery.attempts + 1,
        )
    )
    return bool(result.rowcount)


def finish(
    session: Session, key: str, status: str, now: datetime, detail: str | None = None
) -> None:
    """Mark a claimed delivery sent, failed or skipped."""
    session.execute(
        update(Delivery)
        .where(Delivery.key == key)
        .values(status=status, finished_at=now, detail=detail)
    )


def record_send(session: Session, key: str, now: datetime, *, ok: bool, detail: str | None) -> None:
    """Finish a claimed delivery with how its send went: sent, or failed with the reason."""
    finish(
        session,
        key,
        DeliveryStatus.SENT if ok else DeliveryStatus.FAILED,
        now,
        detail=None if ok else detail,
    )


def claim_and_finish(
    session: Session, key: str, kind: str, now: datetime, status: str, detail: str | None = None
) -> bool:
    """Claim `key` and finish it at once (a send recorded as skipped); False if taken."""
    if not claim(session, key, kind, now):
        return False
    finish(session, key, status, now, detail=detail or "missed during downtime")
    return True


def release(session: Session, key: str) -> None:
    """Give a claim back, so that a later tick tries the delivery again."""
    session.execute(delete(Delivery).where(Delivery.key == key))


def existing(session: Session, keys: Iterable[str]) -> set[str]:
    """Which of `keys` already have a delivery row (any status), in bulk."""
    found: set[str] = set()
    keys = list(keys)
    for i in range(0, len(keys), 2000):
        query = select(Delivery.key).where(Delivery.key.in_(keys[i : i + 2000]))
        found.update(session.scalars(query))
    return found


def get(session: Session, key: str) -> Delivery | None:
    return session.get(Delivery, key)
