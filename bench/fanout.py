"""Daily-drop fan-out through the Discord emulator, and the end-to-end start-up time.

2,500 guilds each get their drop in one tick, through the bot's own limiter, against an
emulator that enforces Discord's rate limits (50 requests a second, 5 messages per 5 s
per channel). Prints the time taken, the pace, and the 429s and invalid requests seen
(the goal is none). Run: `python -m bench.fanout [--guilds N]`.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import time

from bench.common import NOW, content, migrated, temp_db_path
from bot.app import create_bot
from bot.config import Settings
from bot.db import Database
from tests.emulator import DiscordEmulator, start_bot, stop_bot


async def main(guilds: int) -> None:
    store = content()
    path = temp_db_path()
    await (await migrated(path)).close()
    async with DiscordEmulator() as emu:
        channels = []
        for n in range(guilds):
            guild = emu.add_guild(f"guild {n}")
            channels.append((guild.id, emu.add_channel(guild, "daily").id))
        with sqlite3.connect(path) as conn:
            conn.executemany(
                "INSERT INTO guild_settings (guild_id, channel_id, post_time, timezone, domains,"
                " reveal_after_hours, paused, failures, setup_by, shard_key, updated_at) VALUES "
                "(?, ?, '00:00', 'UTC', 'lowcode,data,scaling,serving,pipelines', 12, 0, 0, 1,"
                " 0, '2026-11-24 12:00:00')",
                channels,
            )
        settings = Settings(
            discord_token=emu.token,  # type: ignore[arg-type]
            database_url=f"sqlite:///{path}",
        )
        t0 = time.perf_counter()
        bot = create_bot(
            settings,
            Database.from_url(settings.database_url),
            store,
            clock=lambda: NOW,
            first_run_after=3600,
        )
        task = await start_bot(emu, bot, timeout=120)
        print(f"fan-out: bot connected to {guilds:,} guilds in {time.perf_counter() - t0:.1f} s")
        try:
            jobs = bot.get_cog("DailyCog").jobs  # type: ignore[union-attr]
            t0 = time.perf_counter()
            await jobs.tick(NOW)
            elapsed = time.perf_counter() - t0
            posted = sum(
                1 for m in emu.state.messages.values() if m.channel_id in {c for _g, c in channels}
            )
            limited = sum(1 for r in emu.requests if r.status == 429)
            print(
                f"  {posted:,} drops posted in {elapsed:.1f} s ({posted / elapsed:.0f}/s); "
                f"429s: {limited}; invalid requests in 10 min: "
                f"{emu.invalid_requests_in(600)}   (target: every drop, zero 429s)"
            )
        finally:
            await asyncio.wait_for(bot.wait_until_ready(), 10)  # a clean close
            await stop_bot(bot, task)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--guilds", type=int, default=2_500)
    asyncio.run(main(parser.parse_args().guilds))
