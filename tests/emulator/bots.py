"""Starting and stopping a real discord.py bot against the emulator, for tests and fixtures."""

# ruff: noqa: ASYNC109  -- `timeout=` parameters are this test API's documented interface

from __future__ import annotations

import asyncio
import contextlib
import threading
import time

import discord
from discord.gateway import KeepAliveHandler

from .emulator import DiscordEmulator


async def start_bot(
    emu: DiscordEmulator, bot: discord.Client, token: str | None = None, *, timeout: float = 5.0
) -> asyncio.Task[None]:
    """Runs `bot.start(token)` as a task and returns it once the emulator has sent READY and
    every GUILD_CREATE to all of the bot's shards. Patches discord.py to the emulator first."""
    emu.patch_discord()
    since = time.monotonic()
    task = asyncio.create_task(bot.start(token or emu.token), name=f"bot-{type(bot).__name__}")
    sessions = 1
    if isinstance(bot, discord.AutoShardedClient):
        sessions = len(bot.shard_ids) if bot.shard_ids else (bot.shard_count or emu.shard_count)
    ready = asyncio.create_task(emu.wait_ready(timeout, sessions=sessions, since=since))
    done, _ = await asyncio.wait({task, ready}, return_when=asyncio.FIRST_COMPLETED)
    if ready in done and ready.exception() is None:
        return task
    ready.cancel()
    await stop_bot(bot, task)
    if not task.cancelled() and task.exception() is not None:
        raise task.exception()  # type: ignore[misc]
    raise TimeoutError(f"the bot was not ready within {timeout}s")


async def stop_bot(bot: discord.Client, task: asyncio.Task[None]) -> None:
    """Closes the bot and waits for its task; the bot's own exceptions are not re-raised here.

    Also ends the heartbeat threads of the bot's gateway connections (a replaced
    connection's too): one left running may wake after the test's loop has closed and fail
    there, in whichever test runs next."""
    await bot.close()
    with contextlib.suppress(Exception, asyncio.CancelledError):
        await asyncio.wait_for(task, 5.0)
    state = bot._connection
    for thread in threading.enumerate():
        if isinstance(thread, KeepAliveHandler) and thread.ws._connection is state:
            thread.stop()
            await asyncio.to_thread(thread.join, 5.0)
