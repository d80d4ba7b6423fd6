"""End-to-end fixtures: the strict Discord emulator and the real bot, in process."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest

from bot.app import StudyBot, create_bot
from bot.config import Settings
from bot.content import ContentStore
from bot.db import Database
from tests.conftest import FIXED_NOW
from tests.emulator import Channel, DiscordEmulator, Guild, User, start_bot, stop_bot


class Clock:
    """The bot's clock in tests: time moves only when the test says so."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@dataclass
class World:
    """One server with a study channel, an admin and three members."""

    guild: Guild
    channel: Channel
    admin: User
    alice: User
    bob: User
    carol: User
    extra: dict[str, Any] = field(default_factory=dict)


@pytest.fixture
async def emulator(clock: Clock) -> AsyncIterator[DiscordEmulator]:
    """Discord, on the bot's clock: message ids and timestamps, and the nonce window, move
    when the test moves the clock (as Discord and the bot share the wall clock)."""
    emu = DiscordEmulator(clock=clock)
    await emu.start()
    try:
        yield emu
    finally:
        await emu.stop()
        await cancel_leftover_tasks()


async def cancel_leftover_tasks() -> None:
    """End what the test's bots left waiting (discord.py's wait for late guilds after READY
    outlives a bot closed within seconds), as pytest-asyncio's newer releases do when the
    test's loop closes: the older ones let those tasks be destroyed pending, with a warning."""
    current = asyncio.current_task()
    left = [task for task in asyncio.all_tasks() if task is not current and not task.done()]
    for task in left:
        task.cancel()
    await asyncio.gather(*left, return_exceptions=True)


@pytest.fixture
def world(emulator: DiscordEmulator) -> World:
    guild = emulator.add_guild("PMLE study group")
    channel = emulator.add_channel(guild, "study")
    admin = emulator.add_member(guild, "admin", permissions=["manage_guild"])
    return World(
        guild,
        channel,
        admin,
        emulator.add_member(guild, "alice"),
        emulator.add_member(guild, "bob"),
        emulator.add_member(guild, "carol"),
    )


@pytest.fixture
def clock() -> Clock:
    return Clock(FIXED_NOW)


HOUR = 3600.0
BotFactory = Callable[..., "asyncio.Future[StudyBot]"]


class Runner:
    """Starts (and restarts) the bot against one emulator and one database."""

    def __init__(self, emu: DiscordEmulator, url: str, content: ContentStore, clock: Clock) -> None:
        self.emu, self.url, self.content, self.clock = emu, url, content, clock
        self.bot: StudyBot | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self, **settings: Any) -> StudyBot:
        config = Settings(
            discord_token=self.emu.token,
            database_url=self.url,  # type: ignore[arg-type]
            **settings,
        )
        # the tests run the jobs by hand, on the fake clock: keep the real timer away
        bot = create_bot(
            config,
            Database.from_url(self.url),
            self.content,
            clock=self.clock,
            first_run_after=HOUR,
        )
        self._task = await start_bot(self.emu, bot)
        self.bot = bot  # type: ignore[assignment]
        return bot  # type: ignore[return-value]

    async def stop(self) -> None:
        if self.bot is not None and self._task is not None:
            # as at a SIGTERM: the clicks still in flight finish before the database closes
            # (a unit of work cut off there keeps its connection, and its locks, open)
            await self.bot.shutdown(grace=5.0)
            await stop_bot(self.bot, self._task)
        self.bot, self._task = None, None

    async def restart(self) -> StudyBot:
        await self.stop()
        await self.emu.disconnect_all()
        return await self.start()


@pytest.fixture
async def runner(
    emulator: DiscordEmulator, world: World, sqlite_db_url: str, content: ContentStore, clock: Clock
) -> AsyncIterator[Runner]:
    run = Runner(emulator, sqlite_db_url, content, clock)
    try:
        yield run
    finally:
        await run.stop()
        emulator.unpatch_discord()


@pytest.fixture
async def bot(runner: Runner) -> StudyBot:
    return await runner.start()
