"""Exactly once across processes, on PostgreSQL: two bots racing, and two shards."""

from __future__ import annotations

import asyncio
import os

import pytest

from bot.content import ContentStore
from bot.db import Database
from bot.migrate import upgrade
from tests.conftest import NO_POSTGRES, POSTGRES_URL, reset_postgres
from tests.e2e.conftest import Clock, Runner
from tests.emulator import DiscordEmulator

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not os.environ.get("TEST_POSTGRES_URL"), reason=NO_POSTGRES),
]


async def two_runners(
    emulator: DiscordEmulator, content: ContentStore, clock: Clock
) -> tuple[Runner, Runner]:
    assert POSTGRES_URL
    await reset_postgres(POSTGRES_URL)
    db = Database.from_url(POSTGRES_URL)
    await upgrade(db.engine)
    await db.close()
    return (
        Runner(emulator, POSTGRES_URL, content, clock),
        Runner(emulator, POSTGRES_URL, content, clock),
    )


async def test_two_processes_post_one_drop(
    emulator: DiscordEmulator, content: ContentStore, clock: Clock
) -> None:
    guild = emulator.add_guild("group")
    channel = emulator.add_channel(guild, "daily")
    admin = emulator.add_member(guild, "admin", permissions=["manage_guild"])
    first, second = await two_runners(emulator, content, clock)
    try:
        a = await first.start()
        await emulator.slash(
            admin, channel, "daily setup", {"channel": channel, "time": "00:00", "timezone": "UTC"}
        )
        b = await second.start()  # started after the setup: both would answer a command
        jobs = [bot.get_cog("DailyCog").jobs for bot in (a, b)]  # type: ignore[union-attr]
        await asyncio.gather(*(j.tick(clock.now) for j in jobs for _ in range(3)))
        assert emulator.channel_messages(channel) == []  # set up after 00:00: from tomorrow
        first_drop = clock.advance(hours=9, minutes=30)  # 00:00 UTC the next day
        await asyncio.gather(*(j.tick(first_drop) for j in jobs for _ in range(3)))
        assert len(emulator.channel_messages(channel)) == 1
        later = clock.advance(hours=12)  # its reveal, once
        await asyncio.gather(*(j.tick(later) for j in jobs for _ in range(2)))
        messages = emulator.channel_messages(channel)
        assert len(messages) == 1
        assert emulator.get_message(messages[0].id).embeds[0]["title"].endswith("revealed")
    finally:
        await first.stop()
        await second.stop()
    emulator.assert_clean()


async def test_each_shard_delivers_its_own_guilds(
    emulator: DiscordEmulator, content: ContentStore, clock: Clock
) -> None:
    shard_guilds = []
    for shard in (0, 1):
        gid = ((123456 + shard) << 22) | 7  # (id >> 22) % 2 == shard
        guild = emulator.add_guild(f"shard {shard}", id=gid)
        channel = emulator.add_channel(guild, "daily")
        admin = emulator.add_member(guild, f"admin{shard}", permissions=["manage_guild"])
        shard_guilds.append((guild, channel, admin))
    first, second = await two_runners(emulator, content, clock)
    try:
        a = await first.start(shard_count=2, shard_ids=[0])
        b = await second.start(shard_count=2, shard_ids=[1])
        for _guild, channel, admin in shard_guilds:
            await emulator.slash(
                admin,
                channel,
                "daily setup",
                {"channel": channel, "time": "00:00", "timezone": "UTC"},
            )
        assert a.owns_guild(shard_guilds[0][0].id)
        assert not a.owns_guild(shard_guilds[1][0].id)
        jobs = [bot.get_cog("DailyCog").jobs for bot in (a, b)]  # type: ignore[union-attr]
        midnight = clock.advance(hours=9, minutes=30)  # the first drop: 00:00 the next day
        await jobs[0].tick(midnight)
        assert len(emulator.channel_messages(shard_guilds[0][1])) == 1
        assert emulator.channel_messages(shard_guilds[1][1]) == []  # not shard 0's guild
        await asyncio.gather(*(j.tick(midnight) for j in jobs))
        for _guild, channel, _admin in shard_guilds:
            assert len(emulator.channel_messages(channel)) == 1
    finally:
        await first.stop()
        await second.stop()
    emulator.assert_clean()


async def test_plan_reminders_once_across_processes_and_restarts(
    emulator: DiscordEmulator, content: ContentStore, clock: Clock
) -> None:
    guild = emulator.add_guild("group")
    channel = emulator.add_channel(guild, "study")
    members = [emulator.add_member(guild, f"member{i}") for i in range(3)]
    first, second = await two_runners(emulator, content, clock)
    try:
        a = await first.start()
        for member in members:
            await emulator.slash(
                member, channel, "plan start", {"timezone": "UTC", "reminder_time": "15:00"}
            )
        b = await second.start()
        clock.advance(minutes=30)
        jobs = [bot.get_cog("PlanCog").jobs for bot in (a, b)]  # type: ignore[union-attr]
        await asyncio.gather(*(j.tick(clock.now) for j in jobs for _ in range(2)))
        a = await first.restart()
        jobs[0] = a.get_cog("PlanCog").jobs  # type: ignore[union-attr]
        await asyncio.gather(*(j.tick(clock.now) for j in jobs))
        for member in members:
            kickoffs = [
                m
                for m in emulator.dms(member)
                if m.embeds and m.embeds[0]["title"].startswith("Week 1")
            ]
            assert kickoffs == emulator.dms(member)  # one DM: no report before week 2
    finally:
        await first.stop()
        await second.stop()
    emulator.assert_clean()
