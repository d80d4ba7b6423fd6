"""The member's own week, with a fixed clock: practice counted from their kickoff to the
next in their timezone (status, the mid-week nudge, the kickoff's "last week"), and a plan
moved to another timezone on a kickoff day, both ways, with each kickoff sent once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.content import ContentStore
from bot.db import Database
from bot.models import Delivery, Enrolment
from bot.services import deliveries, plan, plan_due, plan_sends, plan_timezone
from bot.services.errors import InvalidInput
from tests.conftest import get, scalars
from tests.test_plan import GUILD, USER, answered, enrol

MONDAY = date(2026, 11, 30)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A UTC moment in the week of Monday 30 November 2026 (day 0 is that Monday)."""
    return datetime(2026, 11, 30, hour, minute, tzinfo=UTC) + timedelta(days=day)


async def practised(db: Database, content: ContentStore, now: datetime) -> int:
    return (await db.read(plan.status, content, user_id=USER, now=now)).practised


async def nudges(db: Database, content: ContentStore, now: datetime) -> list[str]:
    found = await db.read(plan_due.due, content, now, kinds=["nudge"])
    return [d.key for d in found["nudge"].due]


async def kickoff_last_week(
    db: Database, content: ContentStore, now: datetime
) -> tuple[int, int] | None:
    """Send the kickoff due at `now` as the plan tick does; its "last week: X of Y"."""
    (kickoff,) = (await db.read(plan_due.due, content, now, kinds=["remind", "report"]))[
        "remind"
    ].due
    composed = await db.write(plan_sends.claim_and_compose, content, kickoff, now)
    assert composed is not None
    return composed.last_week


# -- the member's week ---------------------------------------------------------------------------
async def test_london_saturday_kickoff_counts_the_weekend(
    db: Database, content: ContentStore
) -> None:
    """Kickoffs on Saturdays at 09:00: the weekend's 50 answers are this week's on Tuesday
    (no nudge), not last ISO week's."""
    await enrol(db, content, tz="Europe/London", start_date=date(2026, 11, 28), now=at(-4, 12))
    await answered(db, at(-2, 8, 59), 7)  # Saturday 08:59, before the first kickoff
    await answered(db, at(-2, 12), 25)  # Saturday
    await answered(db, at(-1, 15), 25)  # Sunday
    assert await practised(db, content, at(1, 10)) == 50  # Tuesday
    assert await nudges(db, content, at(1, 9)) == []  # Tuesday 09:00: 50 of 40 done
    await answered(db, at(2, 12), 3)  # Wednesday
    assert await kickoff_last_week(db, content, at(5, 9)) == (53, 40)  # Saturday's kickoff
    assert await practised(db, content, at(5, 9, 1)) == 0  # a new week


async def test_auckland_monday_morning_counts_for_the_new_week(
    db: Database, content: ContentStore
) -> None:
    """Monday 09:00 in Auckland is Sunday 20:00 UTC: answers after it count for the new week,
    the ones before it for the week before."""
    await enrol(db, content, tz="Pacific/Auckland", start_date=MONDAY, now=at(-3, 0))
    await answered(db, at(-1, 19), 3)  # Monday 08:00 in Auckland: before the kickoff
    await answered(db, at(-1, 21), 7)  # Monday 10:00 in Auckland
    assert await practised(db, content, at(-1, 23)) == 7  # Monday noon in Auckland
    assert await nudges(db, content, at(2, 20)) == ["nudge:1001:1"]  # Thursday: 7 of 40
    await answered(db, at(6, 19, 59), 5)  # the next Monday 08:59 in Auckland
    assert await kickoff_last_week(db, content, at(6, 20)) == (12, 40)


async def test_honolulu_sunday_evening_counts_for_the_week_ending(
    db: Database, content: ContentStore
) -> None:
    """Sunday 20:00 in Honolulu is Monday 06:00 UTC, in the next ISO week: it still counts
    for the member's week, which ends at their Monday kickoff."""
    await enrol(db, content, tz="Pacific/Honolulu", start_date=MONDAY, now=at(-3, 0))
    await answered(db, at(0, 20), 15)  # Monday 10:00 in Honolulu
    assert await nudges(db, content, at(3, 19)) == ["nudge:1001:1"]  # Thursday 09:00: 15 of 40
    await answered(db, at(2, 22), 10)  # Wednesday
    await answered(db, at(7, 6), 30)  # Sunday 20:00 in Honolulu, Monday in UTC
    assert await practised(db, content, at(7, 7)) == 55
    assert await kickoff_last_week(db, content, at(7, 19)) == (55, 40)  # Monday 09:00 there


async def test_nudges_count_only_since_the_kickoff(db: Database, content: ContentStore) -> None:
    """Two members behind and one ahead in the same tick: each counted from their own
    kickoff, in one read per kickoff moment."""
    other = USER + 1
    await enrol(db, content, tz="Europe/London", start_date=MONDAY, now=at(-3, 0))
    await enrol(db, content, user=other, tz="Asia/Tokyo", start_date=MONDAY, now=at(-3, 0))
    await answered(db, at(-1, 12), 40)  # Sunday: last week for both
    await answered(db, at(0, 10), 20, user=other)  # after both kickoffs, only Tokyo's member
    assert await nudges(db, content, at(3, 9)) == ["nudge:1001:1"]  # Thursday 09:00 London


# -- changing timezone on a kickoff day ----------------------------------------------------------
Step = Callable[[datetime], Awaitable[None]]


async def run_plan_ticks(
    db: Database,
    content: ContentStore,
    start: datetime,
    end: datetime,
    events: dict[datetime, Step],
) -> list[tuple[str, datetime]]:
    """The plan tick every 15 minutes from `start` to `end`, sending what is due (and the
    report a kickoff carries); `events` run at their moment. The kickoffs sent, in order."""
    sent: list[tuple[str, datetime]] = []
    now = start
    while now <= end:
        if now in events:
            await events[now](now)
        found = await db.read(plan_due.due, content, now)
        for kind in ("remind", "report"):
            for item in found[kind].due:
                assert await db.write(plan_sends.claim_and_compose, content, item, now)
                await db.write(deliveries.finish, item.key, "sent", now)
                if kind == "remind":
                    sent.append((item.key, now))
        await db.write(plan_due.settle, found.settled)
        now += timedelta(minutes=15)
    return sent


async def test_tokyo_to_los_angeles_on_a_kickoff_monday(
    db: Database, content: ContentStore
) -> None:
    """Week 1's kickoff went out at 09:00 in Tokyo; moved west that evening (01:00 on Monday
    in Los Angeles), Monday 09:00 there sends nothing more, and week 2 comes at 09:00
    there."""
    await enrol(db, content, tz="Asia/Tokyo", start_date=MONDAY, now=at(-2, 0))

    async def to_la(now: datetime) -> None:
        moved = await db.write(
            plan_timezone.change_timezone,
            content,
            user_id=USER,
            timezone="America/Los_Angeles",
            now=now,
        )
        assert (moved.enrolment.start_date, moved.position.week) == (MONDAY, 1)
        assert (moved.kickoff_now, moved.next_kickoff) == (False, at(7, 17))

    sent = await run_plan_ticks(db, content, at(-1, 0), at(8, 0), {at(0, 9): to_la})
    assert sent == [("remind:1001:1", at(0, 0)), ("remind:1001:2", at(7, 17))]
    row = await get(db, Enrolment, USER)
    assert (row.timezone, row.start_date, row.weeks) == ("America/Los_Angeles", MONDAY, 12)


async def test_los_angeles_to_tokyo_on_a_kickoff_monday(
    db: Database, content: ContentStore
) -> None:
    """Enrolled on Monday morning in Los Angeles, moved east before the 09:00 kickoff: it
    is already Tuesday in Tokyo and Monday 09:00 there has passed, before the enrolment.
    Week 1's kickoff still goes out, once, at the next tick; week 2's (with the first
    report) at Monday 09:00 in Tokyo."""
    await enrol(db, content, tz="America/Los_Angeles", start_date=MONDAY, now=at(0, 15))

    async def to_tokyo(now: datetime) -> None:
        moved = await db.write(
            plan_timezone.change_timezone, content, user_id=USER, timezone="Asia/Tokyo", now=now
        )
        assert moved.kickoff_now
        assert moved.position.week == 1

    sent = await run_plan_ticks(db, content, at(0, 15), at(8, 0), {at(0, 16): to_tokyo})
    assert sent == [("remind:1001:1", at(0, 16)), ("remind:1001:2", at(7, 0))]
    keys = set(await scalars(db, select(Delivery.key)))
    assert "report:1001:2026-W50" in keys  # carried by week 2's kickoff


async def test_plan_start_with_only_a_new_timezone_keeps_the_plan(
    db: Database, content: ContentStore
) -> None:
    await enrol(db, content, tz="Asia/Tokyo", start_date=date(2026, 11, 16), now=at(-15, 0))
    await db.write(deliveries.claim, "remind:1001:3", "remind", at(0, 0))

    async def start(now: datetime, timezone: str, **options: object) -> plan.Joined:
        return await db.write(
            plan_timezone.start,
            content,
            user_id=USER,
            guild_id=GUILD,
            channel_id=7001,
            timezone=timezone,
            now=now,
            **options,  # type: ignore[arg-type]
        )

    # Monday 18:00 in Tokyo, 01:00 in Los Angeles; reminder_time repeats the plan's own
    kept = await start(at(0, 9), "America/Los_Angeles", reminder_time="09:00")
    assert (kept.moved_from, kept.position.week) == ("Asia/Tokyo", 3)
    assert kept.enrolment.start_date == date(2026, 11, 16)
    assert kept.first_kickoff == at(7, 17)  # week 3's went out in Tokyo: week 4's is next
    assert await get(db, Delivery, "remind:1001:3") is not None
    with pytest.raises(InvalidInput, match="already runs in America/Los_Angeles"):
        await db.write(
            plan_timezone.change_timezone,
            content,
            user_id=USER,
            timezone="America/Los_Angeles",
            now=at(0, 10),
        )
    await db.write(plan.pause, user_id=USER, now=at(0, 10))
    paused = await start(at(0, 10), "Europe/London")  # a paused plan moves too, still paused
    assert (paused.moved_from, paused.enrolment.status) == ("America/Los_Angeles", "paused")
    restarted = await start(at(0, 10), "Asia/Tokyo", reminder_time="10:00")
    assert restarted.moved_from is None  # another option too: a new plan
    assert restarted.enrolment.start_date == MONDAY
    assert await get(db, Delivery, "remind:1001:3") is None
