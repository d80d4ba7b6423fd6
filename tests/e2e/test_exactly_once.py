"""Exactly once across a crash mid-send, end to end.

A sender is killed between its claim and its send (the emulator holds the request and the
bot's task is cancelled: nothing reaches Discord), or after Discord accepted the message
and before the bot recorded it (the emulator creates the message and holds the response).
Then the bot restarts (one process) or another process carries on (two, on PostgreSQL):
the member sees exactly one message, the database points at it, and the late one comes
within the new lease. On SQLite and PostgreSQL; the clock is moved, nothing sleeps.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from bot.app import StudyBot
from bot.content import ContentStore
from bot.models import DailyDrop, Delivery, LiveQuizItem, PracticeSession
from bot.services import drop_days
from bot.services.deliveries import LEASE
from tests.conftest import execute, get, scalar
from tests.e2e.conftest import Clock, Runner, World
from tests.e2e.test_daily import answer, drop_question
from tests.emulator import Channel, DiscordEmulator, Message, SendHold

AFTER_LEASE = LEASE + timedelta(seconds=1)
# FIXED_NOW is Wednesday 14:30 UTC: set up now, the first drop comes at 00:00 on Thursday
DAILY = {"time": "00:00", "timezone": "UTC"}
FIRST_DROP = timedelta(hours=9, minutes=30)
Tick = Callable[[datetime], Awaitable[Any]]


@pytest.fixture
async def runner(
    emulator: DiscordEmulator, world: World, db_url: str, content: ContentStore, clock: Clock
) -> AsyncIterator[Runner]:
    """This module's bots run on each backend (the `backend` fixture behind `db_url`)."""
    run = Runner(emulator, db_url, content, clock)
    try:
        yield run
    finally:
        await run.stop()
        emulator.unpatch_discord()


@pytest.fixture
async def other(
    emulator: DiscordEmulator, db_url: str, content: ContentStore, clock: Clock
) -> AsyncIterator[Runner]:
    """A second process against the same database, started when a test needs it."""
    run = Runner(emulator, db_url, content, clock)
    try:
        yield run
    finally:
        await run.stop()


def processes(*counts: int) -> pytest.MarkDecorator:
    """Run the test with one process (restarted) and with two; two need PostgreSQL."""
    return pytest.mark.parametrize("processes", counts)


def skip_two_on_sqlite(backend: str, count: int) -> None:
    if count == 2 and backend != "postgres":
        pytest.skip("several processes need PostgreSQL")


async def kill_mid_send(
    emulator: DiscordEmulator, channel: Channel, work: Awaitable[Any], *, accepted: bool
) -> SendHold:
    """Run `work` (a tick) until its send reaches Discord, and kill it there: before Discord
    created the message (accepted=False), or after, before the bot heard back."""
    hold = emulator.hold_send(channel, created=accepted)
    task = asyncio.ensure_future(work)
    await hold.wait()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    hold.drop()
    return hold


async def carry_on(runner: Runner, other: Runner, count: int) -> StudyBot:
    """After the kill: the same process restarted, or another process."""
    return await runner.restart() if count == 1 else await other.start()


def daily_tick(bot: StudyBot) -> Tick:
    return bot.scheduler.tick("daily")


async def drop_row(bot: StudyBot) -> DailyDrop:
    row = await scalar(bot.db, select(DailyDrop))
    assert row is not None
    return row  # type: ignore[no-any-return]


async def delivery(bot: StudyBot, key: str) -> Delivery:
    row = await get(bot.db, Delivery, key)
    assert row is not None
    return row  # type: ignore[no-any-return]


async def set_up_drops(emulator: DiscordEmulator, world: World) -> None:
    reply = await emulator.slash(
        world.admin, world.channel, "daily setup", {"channel": world.channel, **DAILY}
    )
    assert reply.ephemeral


@processes(1, 2)
async def test_a_drop_killed_after_discord_accepted_it_is_not_posted_again(
    emulator: DiscordEmulator,
    world: World,
    runner: Runner,
    other: Runner,
    clock: Clock,
    backend: str,
    processes: int,
) -> None:
    skip_two_on_sqlite(backend, processes)
    bot = await runner.start()
    await set_up_drops(emulator, world)
    claimed_at = clock.advance(hours=9, minutes=30)
    hold = await kill_mid_send(emulator, world.channel, daily_tick(bot)(claimed_at), accepted=True)
    assert hold.message is not None  # Discord has it; the bot never heard back
    bot = await carry_on(runner, other, processes)
    await daily_tick(bot)(clock.advance(seconds=30))  # the dead sender's lease still runs
    assert (await drop_row(bot)).status == "pending"
    await daily_tick(bot)(claimed_at + AFTER_LEASE)  # lapsed: taken over, and found
    (message,) = emulator.channel_messages(world.channel)
    assert message.id == hold.message.id
    drop = await drop_row(bot)
    assert (drop.status, drop.message_id) == ("open", message.id)
    row = await delivery(bot, drop_days.key_of(drop))
    assert (row.status, row.message_id, row.attempts) == ("sent", message.id, 2)
    q = drop_question(bot.content, message)  # and its buttons are the live ones
    result: Any = await answer(emulator, world.alice, message, q, "".join(sorted(q.answer)))
    assert result.ephemeral
    emulator.assert_clean()


@processes(1, 2)
async def test_a_drop_killed_before_it_was_sent_comes_within_the_lease(
    emulator: DiscordEmulator,
    world: World,
    runner: Runner,
    other: Runner,
    clock: Clock,
    backend: str,
    processes: int,
) -> None:
    skip_two_on_sqlite(backend, processes)
    bot = await runner.start()
    await set_up_drops(emulator, world)
    claimed_at = clock.advance(hours=9, minutes=30)
    hold = await kill_mid_send(emulator, world.channel, daily_tick(bot)(claimed_at), accepted=False)
    assert hold.message is None
    assert emulator.channel_messages(world.channel) == []
    bot = await carry_on(runner, other, processes)
    await daily_tick(bot)(claimed_at + AFTER_LEASE)  # one minute late, not ten
    (message,) = emulator.channel_messages(world.channel)
    drop = await drop_row(bot)
    assert (drop.status, drop.message_id) == ("open", message.id)
    assert drop.posted_at is not None
    assert drop.posted_at - drop.due_at <= 2 * LEASE
    emulator.assert_clean()


async def test_after_a_long_outage_the_channel_shows_the_drop_got_through(
    emulator: DiscordEmulator, world: World, runner: Runner, clock: Clock
) -> None:
    """Back after 20 minutes, past Discord's nonce window: the channel's messages tell."""
    bot = await runner.start()
    await set_up_drops(emulator, world)
    midnight = clock.advance(hours=9, minutes=30)
    hold = await kill_mid_send(emulator, world.channel, daily_tick(bot)(midnight), accepted=True)
    await runner.stop()
    bot = await runner.start()
    await daily_tick(bot)(clock.advance(minutes=20))
    (message,) = emulator.channel_messages(world.channel)
    assert hold.message is not None
    assert message.id == hold.message.id
    assert (await drop_row(bot)).message_id == message.id
    emulator.assert_clean()


async def test_without_the_channel_history_the_nonce_keeps_it_once(
    emulator: DiscordEmulator, world: World, runner: Runner, clock: Clock
) -> None:
    """Read Message History denied: the retry's nonce makes Discord return the first one."""
    bot = await runner.start()
    await set_up_drops(emulator, world)
    midnight = clock.advance(hours=9, minutes=30)
    hold = await kill_mid_send(emulator, world.channel, daily_tick(bot)(midnight), accepted=True)
    emulator.set_denied(world.channel, {"READ_MESSAGE_HISTORY"})
    bot = await runner.restart()
    await daily_tick(bot)(midnight + AFTER_LEASE)
    (message,) = emulator.channel_messages(world.channel)
    assert hold.message is not None
    assert message.id == hold.message.id
    assert (await drop_row(bot)).message_id == message.id
    emulator.assert_clean()


async def test_a_stalled_sender_and_its_successor_post_one_drop(
    emulator: DiscordEmulator,
    world: World,
    runner: Runner,
    other: Runner,
    clock: Clock,
    backend: str,
) -> None:
    """The first process is not dead, only stuck past its lease with its request in
    flight: the second posts, then the first's request arrives with the same nonce and
    Discord gives it the second's message. Both record the one message."""
    skip_two_on_sqlite(backend, 2)
    first = await runner.start()
    await set_up_drops(emulator, world)
    midnight = clock.advance(hours=9, minutes=30)
    hold = emulator.hold_send(world.channel, created=False)
    stuck = asyncio.ensure_future(daily_tick(first)(midnight))
    await hold.wait()
    second = await other.start()
    await daily_tick(second)(midnight + AFTER_LEASE)
    (message,) = emulator.channel_messages(world.channel)
    hold.release()
    await stuck
    assert [m.id for m in emulator.channel_messages(world.channel)] == [message.id]
    assert (await drop_row(first)).message_id == message.id
    emulator.assert_clean()


async def test_a_living_sender_keeps_its_claim(
    emulator: DiscordEmulator, world: World, runner: Runner, clock: Clock
) -> None:
    """A send that takes longer than the lease (Discord slow to answer): the heartbeat
    renews the claim, so an overlapping tick does not take it over."""
    bot = await runner.start()
    await set_up_drops(emulator, world)
    midnight = clock.advance(hours=9, minutes=30)
    hold = emulator.hold_send(world.channel, created=True)
    slow = asyncio.ensure_future(daily_tick(bot)(midnight))
    await hold.wait()
    assert await bot.scheduler.tick("leases")(midnight + LEASE / 2) == 1
    await daily_tick(bot)(midnight + AFTER_LEASE)  # within the renewed lease: left alone
    assert len(emulator.channel_messages(world.channel)) == 1
    hold.release()
    await slow
    assert hold.message is not None
    assert (await drop_row(bot)).message_id == hold.message.id
    assert await bot.scheduler.tick("leases")(midnight + AFTER_LEASE) == 0  # nothing held
    emulator.assert_clean()


async def start_exam(emulator: DiscordEmulator, world: World, clock: Clock) -> datetime:
    start = await emulator.slash(world.alice, world.channel, "exam", {"length": "half"})
    assert start.ephemeral
    return clock.advance(minutes=61)  # its 60 minutes are over


@pytest.mark.parametrize(("processes", "accepted"), [(1, True), (1, False), (2, True), (2, False)])
async def test_an_exam_result_dm_killed_mid_send_arrives_once(
    emulator: DiscordEmulator,
    world: World,
    runner: Runner,
    other: Runner,
    clock: Clock,
    backend: str,
    processes: int,
    accepted: bool,
) -> None:
    skip_two_on_sqlite(backend, processes)
    bot = await runner.start()
    over = await start_exam(emulator, world, clock)
    dms = emulator.dm_channel(world.alice)
    closing = bot.scheduler.tick("exam-timeouts")(over)
    hold = await kill_mid_send(emulator, dms, closing, accepted=accepted)
    bot = await carry_on(runner, other, processes)
    assert await bot.scheduler.tick("exam-timeouts")(over + LEASE / 2) == 0  # lease runs
    assert await bot.scheduler.tick("exam-timeouts")(over + AFTER_LEASE) == 1
    (dm,) = emulator.dms(world.alice)
    assert dm.embeds[0]["title"].startswith("Mock exam: 0/25")
    if accepted:
        assert hold.message is not None
        assert dm.id == hold.message.id
    practice = await scalar(bot.db, select(PracticeSession))
    row = await delivery(bot, f"exam:{practice.id}")
    assert (row.status, row.message_id, practice.result_delivered) == ("sent", dm.id, True)
    assert await bot.scheduler.tick("exam-timeouts")(over + 2 * AFTER_LEASE) == 0
    emulator.assert_clean()


async def test_a_plan_kickoff_killed_after_discord_accepted_it_is_not_sent_again(
    emulator: DiscordEmulator, world: World, runner: Runner, clock: Clock
) -> None:
    bot = await runner.start()
    reply = await emulator.slash(
        world.alice, world.channel, "plan start", {"timezone": "UTC", "reminder_time": "15:00"}
    )
    assert reply.ephemeral
    kickoff_at = clock.advance(minutes=30)  # Wednesday 15:00: week 1's kickoff
    dms = emulator.dm_channel(world.alice)
    hold = await kill_mid_send(emulator, dms, bot.scheduler.tick("plan")(kickoff_at), accepted=True)
    bot = await runner.restart()
    plan = bot.get_cog("PlanCog").jobs  # type: ignore[union-attr]
    assert await plan.tick(kickoff_at + LEASE / 2) == {}  # the dead sender's lease runs
    assert await plan.tick(kickoff_at + AFTER_LEASE) == {"remind": 1}
    (dm,) = emulator.dms(world.alice)
    assert hold.message is not None
    assert dm.id == hold.message.id
    row = await delivery(bot, f"remind:{world.alice.id}:1")
    assert (row.status, row.message_id) == ("sent", dm.id)
    assert await plan.tick(kickoff_at + 2 * AFTER_LEASE) == {}
    emulator.assert_clean()


async def test_a_weekly_summary_killed_after_discord_accepted_it_is_not_posted_again(
    emulator: DiscordEmulator, world: World, runner: Runner, clock: Clock
) -> None:
    bot = await runner.start()
    await set_up_drops(emulator, world)
    monday = clock.advance(days=4, hours=9, minutes=30)  # Monday 00:00 UTC
    summaries = bot.get_cog("DailyCog").jobs.weekly_summaries  # type: ignore[union-attr]
    hold = await kill_mid_send(emulator, world.channel, summaries(monday), accepted=True)
    bot = await runner.restart()
    summaries = bot.get_cog("DailyCog").jobs.weekly_summaries  # type: ignore[union-attr]
    assert await summaries(monday + LEASE / 2) == 0
    assert await summaries(monday + AFTER_LEASE) == 1
    (message,) = emulator.channel_messages(world.channel)
    assert hold.message is not None
    assert message.id == hold.message.id
    assert message.embeds[0]["title"].startswith("Last week's leaderboard")
    row = await delivery(bot, f"summary:{world.guild.id}:2026-W48")
    assert (row.status, row.message_id) == ("sent", message.id)
    emulator.assert_clean()


def live_questions(emulator: DiscordEmulator, world: World, number: int) -> list[Message]:
    title = f"Live quiz · question {number} "
    return [
        m
        for m in emulator.channel_messages(world.channel)
        if m.embeds and m.embeds[0]["title"].startswith(title)
    ]


async def test_a_live_quiz_question_killed_after_discord_accepted_it_is_posted_once(
    emulator: DiscordEmulator, world: World, runner: Runner, clock: Clock
) -> None:
    """The question's author noted it could be posted twice after such a crash."""
    bot = await runner.start()
    bot.scheduler.shutdown()  # the test drives the quiz's timer
    await emulator.slash(world.alice, world.channel, "groupquiz start", {"seconds": 30})
    assert await bot.in_flight.wait_idle(5.0)  # the command posted question 1, and recorded it
    await bot.scheduler.tick("groupquiz")(clock.advance(seconds=31))  # question 1 revealed
    claimed_at = clock.advance(seconds=6)  # question 2 is due
    hold = await kill_mid_send(
        emulator, world.channel, bot.scheduler.tick("groupquiz")(claimed_at), accepted=True
    )
    bot = await runner.restart()
    bot.scheduler.shutdown()
    await bot.scheduler.tick("groupquiz")(clock.advance(seconds=30))  # the lease runs
    assert live_questions(emulator, world, 2) == [hold.message]
    retried_at = clock.advance(seconds=31)  # lapsed: taken over, and found
    await bot.scheduler.tick("groupquiz")(retried_at)
    second = live_questions(emulator, world, 2)
    assert hold.message is not None
    assert [m.id for m in second] == [hold.message.id]
    item = await get(bot.db, LiveQuizItem, (1, 1))
    assert item.message_id == hold.message.id
    assert item.deadline_at == retried_at + timedelta(seconds=30)  # a fresh timer, shown
    notes = [f["value"] for f in second[0].embeds[0]["fields"] if f["name"] == "Note"]
    assert notes == ["The bot restarted: this question's timer starts again."]
    emulator.assert_clean()


async def test_a_reveal_whose_sender_died_after_discord_did_it_is_recorded_once(
    emulator: DiscordEmulator, world: World, runner: Runner, clock: Clock
) -> None:
    """The reveal is an edit and a discussion thread: done again, the edit is the same and
    the thread is the one the first attempt opened (a second one Discord would refuse)."""
    bot = await runner.start()
    await set_up_drops(emulator, world)
    await daily_tick(bot)(clock.advance(hours=9, minutes=30))
    (message,) = emulator.channel_messages(world.channel)
    revealed_at = clock.advance(hours=12)
    await daily_tick(bot)(revealed_at)
    assert message.thread is not None
    drop = await drop_row(bot)
    key = f"reveal:{drop.id}"
    # as the database stood had the bot died after Discord did both, before recording it
    await execute(
        bot.db,
        update(DailyDrop).values(status="open", revealed_at=None, thread_id=None),
    )
    await execute(
        bot.db,
        update(Delivery)
        .where(Delivery.key == key)
        .values(status="claimed", finished_at=None, lease_until=revealed_at + LEASE),
    )
    bot = await runner.restart()
    await daily_tick(bot)(revealed_at + LEASE / 2)  # the dead sender's lease runs
    assert (await drop_row(bot)).status == "open"
    await daily_tick(bot)(revealed_at + AFTER_LEASE)
    drop = await drop_row(bot)
    assert (drop.status, drop.thread_id) == ("revealed", message.thread.id)
    assert emulator.get_message(message.id).embeds[0]["title"].endswith("revealed")
    assert (await delivery(bot, key)).status == "sent"
    emulator.assert_clean()  # no second thread asked for
