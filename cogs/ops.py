"""Running the bot as a service: daily backups, forgetting guilds the bot has left, and
keeping alive the delivery claims this process is sending."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

import discord
from discord.ext import commands

from bot import backup
from bot.app import StudyBot
from bot.scheduler import job
from bot.services import deliveries, privacy

log = logging.getLogger(__name__)


class OpsCog(commands.Cog):
    """Backups and data retention."""

    def __init__(self, bot: StudyBot) -> None:
        self.bot = bot

    @job("backup", every=3600)
    async def daily_backup(self, now: datetime) -> bool:
        """With BACKUP_DIR set, copy the SQLite database once a day; keep BACKUP_KEEP."""
        folder, source = self.bot.settings.backup_dir, self.bot.db.path
        if folder is None or source is None or not backup.due(folder, now):
            return False
        dest = folder / backup.backup_name(now)
        await asyncio.to_thread(backup.backup, source, dest)
        removed = await asyncio.to_thread(backup.rotate, folder, self.bot.settings.backup_keep)
        log.info("backup written to %s (%d old ones removed)", dest, len(removed))
        return True

    @job("leases", every=deliveries.RENEW_EVERY)
    async def renew_leases(self, now: datetime) -> int:
        """Renew the lease of every delivery this process is sending (bot/leases.py): a
        send that takes long keeps its claim, and one whose process died loses it."""
        return await self.bot.leases.renew(now)

    @job("guild-cleanup", every=3600)
    async def forget_guilds(self, now: datetime) -> int:
        """Remove the data of guilds the bot left more than 30 days ago."""
        purged = 0
        for guild_id in self.bot.until_stopping(
            await self.bot.db.read(privacy.guilds_to_purge, now)
        ):
            async with self.bot.boundary("guild-cleanup", guild=guild_id):
                rows = await self.bot.db.write(privacy.purge_guild, guild_id)
                log.info(
                    "removed the data of guild %s, which the bot left (%d rows)", guild_id, rows
                )
                purged += 1
        return purged

    @commands.Cog.listener()
    async def on_guild_remove(self, guild: discord.Guild) -> None:
        await self.bot.db.write(privacy.guild_left, guild.id, self.bot.now())
        log.info("left guild %s: its data goes in 30 days unless the bot is added again", guild.id)

    @commands.Cog.listener()
    async def on_guild_join(self, guild: discord.Guild) -> None:
        await self.bot.db.write(privacy.guild_joined, guild.id, self.bot.now())


async def setup(bot: StudyBot) -> None:
    await bot.add_cog(OpsCog(bot))
