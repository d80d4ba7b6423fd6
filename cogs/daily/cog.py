"""/daily: admins set up a question drop; members answer it; the scheduler posts and reveals."""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import StudyBot
from bot.services import daily, drop_answers
from bot.services.errors import InvalidInput, NotFound
from bot.ui import study_bot, timezone_autocomplete, user_errors
from cogs.daily import render

log = logging.getLogger(__name__)
TICK_ID, REFRESH_ID = "daily", "daily-counters"
NEEDED = (
    ("view_channel", "View Channel"),
    ("send_messages", "Send Messages"),
    ("embed_links", "Embed Links"),
)


async def answer(interaction: discord.Interaction, drop_id: int, choice: str) -> None:
    bot = study_bot(interaction)
    async with bot.db.begin() as session:
        rec = await drop_answers.answer(
            session,
            bot.content,
            drop_id=drop_id,
            user_id=interaction.user.id,
            choice=choice,
            now=bot.now(),
        )
    await interaction.response.send_message(
        f"Got it: you picked **{', '.join(rec.choice)}**. Your answer stays private until "
        "the reveal.",
        ephemeral=True,
    )


class DailyAnswer(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"daily:a:(?P<drop>\d+):(?P<choice>[A-F])",
):
    def __init__(self, item: discord.ui.Button[Any], drop: int, choice: str) -> None:
        super().__init__(item)
        self.drop, self.choice = drop, choice

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> DailyAnswer:
        assert isinstance(item, discord.ui.Button)
        return cls(item, int(match["drop"]), match["choice"])

    async def callback(self, interaction: discord.Interaction) -> None:
        async with user_errors(interaction):
            await answer(interaction, self.drop, self.choice)


class DailyMultiAnswer(
    discord.ui.DynamicItem[discord.ui.Select[Any]], template=r"daily:a:(?P<drop>\d+):m"
):
    def __init__(self, item: discord.ui.Select[Any], drop: int) -> None:
        super().__init__(item)
        self.drop = drop

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> DailyMultiAnswer:
        assert isinstance(item, discord.ui.Select)
        return cls(item, int(match["drop"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        async with user_errors(interaction):
            await answer(interaction, self.drop, "".join(self.item.values))


DYNAMIC_ITEMS = (DailyAnswer, DailyMultiAnswer)


def missing_permissions(channel: discord.abc.GuildChannel, me: discord.Member) -> list[str]:
    perms = channel.permissions_for(me)
    return [name for attr, name in NEEDED if not getattr(perms, attr)]


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class DailyGroup(app_commands.Group, name="daily", description="Daily question drops (admins)"):
    def __init__(self, cog: DailyCog) -> None:
        super().__init__()
        self.cog = cog

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        perms = interaction.permissions
        if not (perms.manage_guild or perms.administrator):
            raise app_commands.MissingPermissions(["manage_guild"])
        return True

    @app_commands.command(name="setup")
    @app_commands.describe(
        channel="Where the question drops",
        time="Local time, HH:MM (24 h)",
        timezone="IANA timezone, e.g. Europe/Berlin",
        role="A role to ping with each drop",
        domains="Comma separated domain ids (default: all five)",
        reveal_after="Hours until the answer is revealed (1 to 24)",
    )
    @app_commands.autocomplete(timezone=timezone_autocomplete)
    async def setup(
        self,
        interaction: discord.Interaction,
        channel: discord.TextChannel,
        time: str,
        timezone: str,
        role: discord.Role | None = None,
        domains: str | None = None,
        reveal_after: app_commands.Range[int, 1, 24] = 12,
    ) -> None:
        """Set up (or change) the daily question drop."""
        await self.cog.setup_drops(
            interaction, channel, time, timezone, role, domains, reveal_after
        )

    @app_commands.command(name="status")
    async def status(self, interaction: discord.Interaction) -> None:
        """Show the daily drop setup and the open drop."""
        await self.cog.show_status(interaction)

    @app_commands.command(name="pause")
    async def pause(self, interaction: discord.Interaction) -> None:
        """Pause the daily drops."""
        await self.cog.set_paused(interaction, True)

    @app_commands.command(name="resume")
    async def resume(self, interaction: discord.Interaction) -> None:
        """Resume the daily drops."""
        await self.cog.set_paused(interaction, False)

    @app_commands.command(name="now")
    async def now(self, interaction: discord.Interaction) -> None:
        """Post today's drop now (to try the setup)."""
        await self.cog.post_now(interaction)

    @app_commands.command(name="reveal")
    async def reveal(self, interaction: discord.Interaction) -> None:
        """Reveal the open drop now."""
        await self.cog.reveal_now(interaction)


class DailyCog(commands.Cog):
    """Daily question drops."""

    def __init__(self, bot: StudyBot) -> None:
        from cogs.daily.jobs import DailyJobs

        self.bot = bot
        self.jobs = DailyJobs(bot)
        self.group = DailyGroup(self)

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.group)
        self.bot.scheduler.add_tick(TICK_ID, self.jobs.tick, seconds=60)
        self.bot.scheduler.add_tick(REFRESH_ID, self.jobs.refresh_counters, seconds=10)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.group.name)
        self.bot.scheduler.remove_tick(TICK_ID)
        self.bot.scheduler.remove_tick(REFRESH_ID)

    async def setup_drops(
        self,
        interaction: discord.Interaction,
        channel: discord.TextChannel,
        time: str,
        timezone: str,
        role: discord.Role | None,
        domains: str | None,
        reveal_after: int,
    ) -> None:
        guild = interaction.guild
        assert guild is not None
        missing = missing_permissions(channel, guild.me)
        if missing:
            raise InvalidInput(
                f"I can't post in {channel.mention}: I need "
                f"{', '.join(missing)} there. Fix my permissions or pick "
                "another channel."
            )
        now = self.bot.now()
        async with self.bot.db.begin() as session:
            settings = await daily.configure(
                session,
                self.bot.content,
                guild_id=guild.id,
                channel_id=channel.id,
                time=time,
                timezone=timezone,
                role_id=role.id if role else None,
                domains=domains,
                reveal_after=reveal_after,
                setup_by=interaction.user.id,
                shard_key=self.bot.shard_of(guild.id),
                now=now,
            )
            next_post = self.next_post(settings, now)
        await interaction.response.send_message(
            f"Daily drops are set: {channel.mention} at **{settings.post_time}** "
            f"({settings.timezone}), revealed after {settings.reveal_after_hours} h. "
            f"The next one drops {discord.utils.format_dt(next_post, 'F')}. "
            "Try it now with `/daily now`.",
            ephemeral=True,
        )

    @staticmethod
    def next_post(settings: daily.GuildSettings, now: datetime) -> datetime:
        day = daily.local_day(settings, now)
        moment = daily.post_moment(settings, day)
        return moment if moment > now else daily.post_moment(settings, day + timedelta(days=1))

    async def show_status(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        async with self.bot.db.read() as session:
            settings = await daily.get_settings(session, interaction.guild_id)
            drop = await daily.open_drop(session, interaction.guild_id)
        embed = render.status_embed(settings, self.next_post(settings, self.bot.now()), drop)
        await interaction.response.send_message(embed=embed, ephemeral=True)

    async def set_paused(self, interaction: discord.Interaction, paused: bool) -> None:
        assert interaction.guild_id is not None
        async with self.bot.db.begin() as session:
            await daily.set_paused(
                session,
                interaction.guild_id,
                paused,
                self.bot.now(),
                reason="paused by an admin" if paused else None,
            )
        await interaction.response.send_message(
            "Daily drops paused." if paused else "Daily drops resumed.", ephemeral=True
        )

    async def post_now(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        now = self.bot.now()
        async with self.bot.db.read() as session:
            settings = await daily.get_settings(session, interaction.guild_id)
            if settings.paused:
                raise InvalidInput("Daily drops are paused: `/daily resume` first.")
        day = daily.local_day(settings, now)
        await interaction.response.defer(ephemeral=True, thinking=True)
        drop_id = await self.jobs.post_due(daily.DueDrop(settings.guild_id, day, now), now)
        if drop_id is None:
            await interaction.followup.send(
                "Today's drop was already posted; it is one a day. `/daily status` shows it.",
                ephemeral=True,
            )
            return
        async with self.bot.db.read() as session:
            drop = await session.get(daily.DailyDrop, drop_id)
        ok = drop is not None and drop.status == "open"
        await interaction.followup.send(
            f"Posted today's drop in <#{settings.channel_id}>."
            if ok
            else f"I could not post in <#{settings.channel_id}>: "
            f"{drop.last_error if drop else 'unknown error'}. I'll retry at the next tick.",
            ephemeral=True,
        )

    async def reveal_now(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        async with self.bot.db.read() as session:
            drop = await daily.open_drop(session, interaction.guild_id)
        if drop is None:
            raise NotFound("There is no open drop to reveal.")
        await interaction.response.defer(ephemeral=True, thinking=True)
        ok = await self.jobs.reveal(drop.id, self.bot.now())
        await interaction.followup.send(
            "Revealed." if ok else "The reveal could not be posted; see the log.", ephemeral=True
        )


async def setup(bot: StudyBot) -> None:
    bot.add_dynamic_items(*DYNAMIC_ITEMS)
    await bot.add_cog(DailyCog(bot))


async def teardown(bot: StudyBot) -> None:
    bot.remove_dynamic_items(*DYNAMIC_ITEMS)
