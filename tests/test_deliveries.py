"""Delivery claims as leases, with a fixed clock: claimed once, renewed while the sender
lives, taken over within LEASE once it died, retried "later" a bounded number of times."""

from __future__ import annotations

from datetime import timedelta

from bot.db import Database
from bot.enums import DeliveryKind
from bot.leases import Leases
from bot.models import Delivery
from bot.outbox import NONCE_MAX, nonce_for
from bot.services import deliveries
from tests.conftest import FIXED_NOW, get

T0 = FIXED_NOW
KEY = "daily:1:2026-11-25"
A, B = "host-a:1", "host-b:2"
SECOND = timedelta(seconds=1)


async def claim(db: Database, at: object, owner: str, key: str = KEY) -> deliveries.Claim | None:
    return await db.write(deliveries.claim, key, DeliveryKind.DAILY, at, owner)


async def test_a_claim_is_a_lease_renewed_while_its_sender_lives(db: Database) -> None:
    first = await claim(db, T0, A)
    assert first == deliveries.Claim(KEY, 1, None)  # a first attempt: nothing to look for
    assert await claim(db, T0, B) is None
    assert await claim(db, T0 + deliveries.LEASE - SECOND, B) is None  # the lease runs
    # A's heartbeat renews it; B's cannot (it holds nothing)
    renewed_at = T0 + timedelta(seconds=deliveries.RENEW_EVERY)
    assert await db.write(deliveries.renew, [KEY], renewed_at, A) == 1
    assert await db.write(deliveries.renew, [KEY], renewed_at, B) == 0
    assert await claim(db, T0 + deliveries.LEASE + SECOND, B) is None  # renewed: still A's
    row = await get(db, Delivery, KEY)
    assert row.lease_until == renewed_at + deliveries.LEASE

    # A dies: nobody renews, and the first tick after the lease takes it over
    lapsed = renewed_at + deliveries.LEASE + SECOND
    state = (await db.read(deliveries.states, [KEY]))[KEY]
    assert state.lapsed(lapsed)
    assert not state.held(lapsed)
    assert state.held(lapsed - 2 * SECOND)
    assert await db.read(deliveries.lapsed, DeliveryKind.DAILY, lapsed) == [KEY]
    assert await db.read(deliveries.lapsed, DeliveryKind.EXAM, lapsed) == []
    taken = await claim(db, lapsed, B)
    assert taken == deliveries.Claim(KEY, 2, T0)  # a retry, since the first claim
    assert await claim(db, lapsed, A) is None  # once
    assert await db.write(deliveries.renew, [KEY], lapsed, A) == 0  # no longer A's
    assert await db.write(deliveries.renew, [KEY], lapsed, B) == 1

    await db.write(deliveries.record_send, KEY, lapsed, ok=True, detail=None, message_id=77)
    row = await get(db, Delivery, KEY)
    assert (row.status, row.message_id, row.claimed_at, row.attempts) == ("sent", 77, T0, 2)
    assert await claim(db, lapsed + deliveries.LEASE * 10, A) is None  # done is done
    assert await db.read(deliveries.lapsed, DeliveryKind.DAILY, lapsed + timedelta(days=1)) == []


async def test_not_now_is_retried_by_the_next_tick_a_bounded_number_of_times(
    db: Database,
) -> None:
    at = T0
    assert await claim(db, at, A)
    for attempt in range(1, deliveries.MAX_ATTEMPTS):
        assert await db.write(deliveries.retry_later, KEY, at, "500 0: try again")
        assert await claim(db, at, B) is None  # lapses from the next moment on
        at += SECOND
        retried = await claim(db, at, B)
        assert retried == deliveries.Claim(KEY, attempt + 1, T0)
    assert not await db.write(deliveries.retry_later, KEY, at, "500 0: try again")
    row = await get(db, Delivery, KEY)
    assert (row.status, row.detail, row.attempts) == ("failed", "500 0: try again", 5)
    again = await db.write(deliveries.retry, KEY, at)  # a failed send can be claimed again
    assert again is not None
    assert again.since == T0


async def test_the_heartbeat_renews_only_what_is_being_sent(db: Database) -> None:
    leases = Leases(db, owner=A)
    await claim(db, T0, A)
    await claim(db, T0, A, key="daily:2:2026-11-25")
    assert await leases.renew(T0 + SECOND) == 0  # nothing held
    with leases.hold(KEY), leases.hold(None):
        with leases.hold(KEY):
            assert leases.held() == [KEY]
        assert await leases.renew(T0 + 30 * SECOND) == 1
    assert leases.held() == []
    renewed = await db.read(deliveries.states, [KEY, "daily:2:2026-11-25"])
    assert renewed[KEY].lease_until == T0 + 30 * SECOND + deliveries.LEASE
    assert renewed["daily:2:2026-11-25"].lease_until == T0 + deliveries.LEASE


def test_the_nonce_is_the_same_for_every_attempt_and_fits_discord() -> None:
    assert nonce_for(KEY) == nonce_for(KEY)
    assert nonce_for(KEY) != nonce_for("daily:1:2026-11-26")
    assert len(nonce_for("remind:" + "9" * 100)) == NONCE_MAX
