"""The emulator's message creation as Discord does it: nonces with `enforce_nonce`, history
reads, and the hooks that make a send die half-way."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import discord
import pytest

from tests.conftest import FIXED_NOW
from tests.emulator import Channel, DiscordEmulator, Guild, start_bot, stop_bot

pytestmark = pytest.mark.e2e


class Clock:
    def __init__(self) -> None:
        self.now = FIXED_NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def emu(clock: Clock) -> AsyncIterator[DiscordEmulator]:
    async with DiscordEmulator(clock=clock, nonce_window=120.0) as emulator:
        yield emulator


@pytest.fixture
def guild(emu: DiscordEmulator) -> Guild:
    return emu.add_guild("group")


@pytest.fixture
def channel(emu: DiscordEmulator, guild: Guild) -> Channel:
    return emu.add_channel(guild, "general")


@pytest.fixture
async def client(emu: DiscordEmulator, channel: Channel) -> AsyncIterator[discord.Client]:
    bot = discord.Client(intents=discord.Intents(guilds=True))
    task = await start_bot(emu, bot)
    try:
        yield bot
    finally:
        await stop_bot(bot, task)


def sender(client: discord.Client, channel: Channel) -> discord.PartialMessageable:
    return client.get_partial_messageable(channel.id)


async def test_a_repeated_nonce_returns_the_first_message_within_the_window(
    emu: DiscordEmulator, guild: Guild, channel: Channel, client: discord.Client, clock: Clock
) -> None:
    target = sender(client, channel)
    first = await target.send("drop", nonce="daily-1")
    assert first.nonce == "daily-1"  # echoed in the response
    again = await target.send("drop, again", nonce="daily-1")  # discord.py enforces nonces
    assert again.id == first.id
    assert again.content == "drop"
    assert [m.content for m in emu.channel_messages(channel)] == ["drop"]
    elsewhere = emu.add_channel(guild, "elsewhere")
    await emu.wait_for(lambda: client.get_channel(elsewhere.id))
    other = await sender(client, elsewhere).send("drop", nonce="daily-1")
    assert other.id != first.id  # per channel
    clock.now += timedelta(seconds=121)  # the window is a setting: 120 s here
    later = await target.send("drop, later", nonce="daily-1")
    assert later.id != first.id
    # the nonce is not kept with the message: a fetch or a history read shows none
    fetched = await target.fetch_message(first.id)
    assert fetched.nonce is None
    assert [m.nonce async for m in target.history(limit=10)] == [None, None]
    assert first.created_at == FIXED_NOW  # ids follow the emulator's clock
    emu.assert_clean()


async def test_bad_nonces_and_the_nonce_of_a_deleted_message(
    emu: DiscordEmulator, channel: Channel, client: discord.Client
) -> None:
    target = sender(client, channel)
    with pytest.raises(discord.HTTPException) as caught:
        await target.send("x", nonce="n" * 26)
    assert caught.value.code == 50035
    assert len(emu.take_violations(50035)) == 1
    first = await target.send("gone soon", nonce="n" * 25)
    await first.delete()
    with pytest.raises(discord.NotFound):
        await target.send("again", nonce="n" * 25)
    emu.assert_clean()


async def test_history_pages_and_read_message_history(
    emu: DiscordEmulator, channel: Channel, client: discord.Client, clock: Clock
) -> None:
    target = sender(client, channel)
    sent = []
    for i in range(5):
        sent.append(await target.send(f"m{i}"))
        clock.now += timedelta(seconds=1)
    newest = [m.id async for m in target.history(limit=3)]
    assert newest == [m.id for m in reversed(sent[-3:])]
    after = discord.Object(id=discord.utils.time_snowflake(FIXED_NOW + timedelta(seconds=1.5)))
    assert [m.content async for m in target.history(limit=2, after=after)] == ["m2", "m3"]
    emu.set_denied(channel, {"READ_MESSAGE_HISTORY"})
    assert [m async for m in target.history(limit=10)] == []  # as Discord: empty, no error
    emu.assert_clean()


async def test_a_send_held_before_it_is_created_can_be_lost_or_let_through(
    emu: DiscordEmulator, channel: Channel, client: discord.Client
) -> None:
    target = sender(client, channel)
    hold = emu.hold_send(channel, created=False)
    task = asyncio.ensure_future(target.send("lost", nonce="a"))
    await hold.wait()
    assert (hold.nonce, hold.message) == ("a", None)
    task.cancel()  # the sender dies before its request got through
    with contextlib.suppress(asyncio.CancelledError):
        await task
    hold.drop()
    assert emu.channel_messages(channel) == []
    hold = emu.hold_send(channel, created=False)
    task = asyncio.ensure_future(target.send("through", nonce="b"))
    await hold.wait()
    hold.release()
    assert (await task).content == "through"
    emu.assert_clean()


async def test_a_send_held_after_it_is_created_exists_though_the_sender_died(
    emu: DiscordEmulator, channel: Channel, client: discord.Client
) -> None:
    target = sender(client, channel)
    hold = emu.hold_send(channel, created=True)
    task = asyncio.ensure_future(target.send("accepted", nonce="c"))
    await hold.wait()
    assert hold.message is not None
    task.cancel()  # killed before it heard back
    with contextlib.suppress(asyncio.CancelledError):
        await task
    hold.drop()
    (message,) = emu.channel_messages(channel)
    assert message.id == hold.message.id
    assert (await target.send("accepted", nonce="c")).id == message.id  # the retry's nonce
    emu.assert_clean()
