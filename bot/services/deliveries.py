"""Exactly-once scheduled sends: a claim per key, held as a lease.

Every scheduled send has a key (`daily:<guild>:<local date>:<timezone>`, `remind:<user>:<week>`,
`report:<user>:<iso week>`, `exam:<session>` …). A process claims a key by inserting it;
the primary key makes a second claim — from a restart, an overlapping tick or another
process — fail quietly.

A claim is a lease, not a lock: it runs until `lease_until` (LEASE after the claim), and
the process that holds it renews it every RENEW_EVERY seconds while it is sending
(`renew`, from the heartbeat job in cogs/ops.py). When the sender dies, nobody renews it,
and within LEASE any tick of any process takes it over (`claim` again) and tries the send
once more. Such a retry (`Claim.since` is set) first makes sure the earlier attempt did
not reach Discord: bot/outbox.py looks for that message and sends with a nonce derived
from the key, so the member sees one message, and `record_send` keeps its id.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from bot.enums import DeliveryStatus
from bot.models import Delivery
from bot.services.sql import dialect_insert, dialect_of

LEASE = timedelta(seconds=60)
RENEW_EVERY = 15  # seconds between two renewals of the leases a process holds
MAX_ATTEMPTS = 5  # a send Discord keeps refusing "for now" is recorded failed after these
PROCESS_ID = f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class Claim:
    """A claim won: the first attempt (`since` None), or a retry of a send that may have
    reached Discord at any moment from `since` on (the first claim)."""

    key: str
    attempt: int
    since: datetime | None = None


def claim(
    session: Session, key: str, kind: str, now: datetime, owner: str = PROCESS_ID
) -> Claim | None:
    """Claim `key` for this process; None when it is done, or claimed under a live lease.

    A claim whose lease lapsed (its process died) is taken over: a retry.
    """
    stmt = (
        dialect_insert(dialect_of(session), Delivery)
        .values(
            key=key,
            kind=kind,
            status=DeliveryStatus.CLAIMED,
            claimed_by=owner,
            claimed_at=now,
            lease_until=now + LEASE,
            attempts=1,
        )
        .on_conflict_do_nothing()
    )
    result: Any = session.execute(stmt)
    if result.rowcount:
        return Claim(key, 1)
    return _take(session, key, now, owner, Delivery.status == DeliveryStatus.CLAIMED)


def retry(session: Session, key: str, now: datetime, owner: str = PROCESS_ID) -> Claim | None:
    """Claim a delivery that failed earlier (or whose lease lapsed), to try it again."""
    return _take(
        session,
        key,
        now,
        owner,
        (Delivery.status == DeliveryStatus.FAILED) | (Delivery.status == DeliveryStatus.CLAIMED),
    )


def _take(session: Session, key: str, now: datetime, owner: str, status: Any) -> Claim | None:
    expired = (Delivery.status != DeliveryStatus.CLAIMED) | (Delivery.lease_until < now)
    row = session.execute(
        update(Delivery)
        .where(Delivery.key == key, status, expired)
        .values(
            status=DeliveryStatus.CLAIMED,
            claimed_by=owner,
            lease_until=now + LEASE,
            attempts=Delivery.attempts + 1,
        )
        .returning(Delivery.attempts, Delivery.claimed_at)
    ).first()
    if row is None:
        return None
    return Claim(key, row.attempts, row.claimed_at)


def renew(session: Session, keys: Iterable[str], now: datetime, owner: str = PROCESS_ID) -> int:
    """Extend the leases of the claims `owner` still holds among `keys`; how many."""
    keys = list(keys)
    renewed = 0
    for i in range(0, len(keys), 2000):
        result: Any = session.execute(
            update(Delivery)
            .where(
                Delivery.key.in_(keys[i : i + 2000]),
                Delivery.status == DeliveryStatus.CLAIMED,
                Delivery.claimed_by == owner,
            )
            .values(lease_until=now + LEASE)
        )
        renewed += result.rowcount
    return renewed


def finish(
    session: Session,
    key: str,
    status: str,
    now: datetime,
    detail: str | None = None,
    message_id: int | None = None,
) -> None:
    """Mark a claimed delivery sent, failed or skipped."""
    values: dict[str, Any] = {"status": status, "finished_at": now, "detail": detail}
    if message_id is not None:
        values["message_id"] = message_id
    session.execute(update(Delivery).where(Delivery.key == key).values(**values))


def record_send(
    session: Session,
    key: str,
    now: datetime,
    *,
    ok: bool,
    detail: str | None,
    message_id: int | None = None,
) -> None:
    """Finish a claimed delivery with how its send went: sent (with the message the member
    sees), or failed with the reason."""
    finish(
        session,
        key,
        DeliveryStatus.SENT if ok else DeliveryStatus.FAILED,
        now,
        detail=None if ok else detail,
        message_id=message_id if ok else None,
    )


def retry_later(session: Session, key: str, now: datetime, detail: str) -> bool:
    """Discord said "not now" (a 5xx, a timeout): keep the claim but let its lease lapse at
    once, so the next tick retries it (checking first whether this attempt got through).
    After MAX_ATTEMPTS the delivery is recorded failed instead; True while it will be retried.
    """
    row = session.get(Delivery, key)
    if row is None:
        return False
    if row.attempts >= MAX_ATTEMPTS:
        finish(session, key, DeliveryStatus.FAILED, now, detail=detail)
        return False
    row.status, row.lease_until, row.detail = DeliveryStatus.CLAIMED, now, detail
    return True


def record_outcome(
    session: Session,
    key: str,
    now: datetime,
    *,
    retry: bool,
    ok: bool,
    detail: str | None,
    message_id: int | None = None,
) -> None:
    """Record how a claimed send went: to be retried (Discord said "not now"), sent, or
    failed."""
    if retry:
        retry_later(session, key, now, detail or "")
    else:
        record_send(session, key, now, ok=ok, detail=detail, message_id=message_id)


def claim_and_finish(
    session: Session, key: str, kind: str, now: datetime, status: str, detail: str | None = None
) -> bool:
    """Claim `key` and finish it at once (a send recorded as skipped); False if taken."""
    if not claim(session, key, kind, now):
        return False
    finish(session, key, status, now, detail=detail or "missed during downtime")
    return True


def release(session: Session, key: str) -> None:
    """Give a claim back, so that a later tick tries the delivery again as a first attempt."""
    session.execute(delete(Delivery).where(Delivery.key == key))


class State(NamedTuple):
    status: str  # CLAIMED, or FINISHED for a row that is sent, failed or skipped
    claimed_at: datetime | None = None
    lease_until: datetime | None = None

    def held(self, now: datetime) -> bool:
        """Claimed under a lease that still runs: its sender is at work."""
        return self.status == DeliveryStatus.CLAIMED and not self.lapsed(now)

    def lapsed(self, now: datetime) -> bool:
        """Claimed, but nobody renewed the lease: its sender died; take it over."""
        return self.status == DeliveryStatus.CLAIMED and (
            self.lease_until is None or self.lease_until < now
        )


FINISHED = State("finished")


def states(session: Session, keys: Iterable[str]) -> dict[str, State]:
    """The delivery rows of `keys` that exist, in bulk: FINISHED for the rows that are done
    (most of them, read by key alone: a plan tick looks up thousands), and each claim with
    its moments (claims are few: the sends under way, read by the status index)."""
    found: dict[str, State] = {}
    keys = list(keys)
    claimed = Delivery.status == DeliveryStatus.CLAIMED
    for i in range(0, len(keys), 2000):
        done = select(Delivery.key).where(Delivery.key.in_(keys[i : i + 2000]), ~claimed)
        found.update(dict.fromkeys(session.scalars(done), FINISHED))
    wanted = set(keys)
    columns = (Delivery.key, Delivery.claimed_at, Delivery.lease_until)
    for key, at, until in session.execute(select(*columns).where(claimed)):
        if key in wanted:
            found[key] = State(DeliveryStatus.CLAIMED, at, until)
    return found


def existing(session: Session, keys: Iterable[str]) -> set[str]:
    """Which of `keys` already have a delivery row (any status), in bulk."""
    return set(states(session, keys))


def lapsed(session: Session, kind: str, now: datetime, limit: int = 100) -> list[str]:
    """Keys of `kind` claimed under a lease nobody renewed (the sender died), oldest first."""
    return list(
        session.scalars(
            select(Delivery.key)
            .where(
                Delivery.status == DeliveryStatus.CLAIMED,
                Delivery.kind == kind,
                Delivery.lease_until < now,
            )
            .order_by(Delivery.claimed_at)
            .limit(limit)
        )
    )


def get(session: Session, key: str) -> Delivery | None:
    return session.get(Delivery, key)
