"""/daily: admins set up a question drop; members answer it; the scheduler posts and reveals."""

from __future__ import annotations

import logging
from datetime import datetime

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import StudyBot
from bot.enums import DropStatus
from bot.scheduler import job
from bot.services import daily, drop_days
from bot.services.errors import InvalidInput, NotFound
from bot.services.timezones import moment_note as timezone_note
from bot.ui import ADMIN_PERMISSIONS, drop_when, manager_only, timezone_autocomplete
from cogs.daily import render
from cogs.daily.jobs import DailyJobs

log = logging.getLogger(__name__)
NEEDED = (
    ("view_channel", "View Channel"),
    ("send_messages", "Send Messages"),
    ("embed_links", "Embed Links"),
)


def missing_permissions(channel: discord.abc.GuildChannel, me: discord.Member) -> list[str]:
    perms = channel.permissions_for(me)
    return [name for attr, name in NEEDED if not getattr(perms, attr)]


class DailyCog(commands.Cog):
    """Daily question drops."""

    group = app_commands.Group(
        name="daily",
        description="Daily question drops (admins)",
        guild_only=True,
        default_permissions=ADMIN_PERMISSIONS,
    )

    def __init__(self, bot: StudyBot) -> None:
        self.bot = bot
        self.jobs = DailyJobs(bot)

    @job("daily", every=60)
    async def tick(self, now: datetime) -> None:
        """Post, retry and reveal the drops due now."""
        await self.jobs.tick(now)

    @job("daily-counters", every=10)
    async def refresh_counters(self, now: datetime) -> None:
        """Show on each open drop how many have answered."""
        await self.jobs.refresh_counters(now)

    @job("weekly-summary", every=60)
    async def weekly_summaries(self, now: datetime) -> None:
        """Last week's top 5 in each daily channel, at the start of the week."""
        await self.jobs.weekly_summaries(now)

    @group.command(name="setup")
    @app_commands.describe(
        channel="Where the question drops",
        time="Local time, HH:MM (24 h)",
        timezone="IANA timezone, e.g. Europe/Berlin",
        role="A role to ping with each drop",
        domains="Comma separated domain ids (default: all five)",
        reveal_after="Hours until the answer is revealed (1 to 24)",
        mode="rotate through the bank, or draw most drops from the group's weak spots",
    )
    @app_commands.choices(
        mode=[
            app_commands.Choice(name="rotate: every question in turn", value="rotate"),
            app_commands.Choice(
                name="weak-spots: mostly the group's weakest sections", value="weak-spots"
            ),
        ]
    )
    @app_commands.autocomplete(timezone=timezone_autocomplete)
    @manager_only
    async def setup(
        self,
        interaction: discord.Interaction,
        channel: discord.TextChannel,
        time: str,
        timezone: str,
        role: discord.Role | None = None,
        domains: str | None = None,
        reveal_after: app_commands.Range[int, 1, 24] = 12,
        mode: app_commands.Choice[str] | None = None,
    ) -> None:
        """Set up (or change) the daily question drop."""
        guild = interaction.guild
        assert guild is not None
        missing = missing_permissions(channel, guild.me)
        if missing:
            raise InvalidInput(
                f"I can't post in {channel.mention}: I need {', '.join(missing)} there. "
                "Fix my permissions or pick another channel."
            )
        # a new timezone recounts the server's weeks and months: seconds on a big server
        await interaction.response.defer(ephemeral=True, thinking=True)
        now = self.bot.now()
        settings = await self.bot.db.write(
            daily.configure,
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
            mode=mode.value if mode else "rotate",
        )
        upcoming = await self.bot.db.read(drop_days.next_drop, guild.id, now)
        assert upcoming is not None  # just set up, and validated
        note = timezone_note(settings.post_time, upcoming, settings.timezone)
        note = note if upcoming > now else ""
        await interaction.followup.send(
            f"Daily drops are set: {channel.mention} at **{settings.post_time}** "
            f"({settings.timezone}), revealed after {settings.reveal_after_hours} h, "
            f"mode {settings.mode}. "
            f"The next one drops {drop_when(upcoming, now)}{note}. "
            f"Leaderboard weeks run Monday to Sunday in {settings.timezone}. "
            "Try it now with `/daily now`.",
            ephemeral=True,
        )

    @group.command(name="status")
    @manager_only
    async def status(self, interaction: discord.Interaction) -> None:
        """Show the daily drop setup and the open drop."""
        assert interaction.guild_id is not None
        now = self.bot.now()
        settings, drop = await self.bot.db.read(daily.status, interaction.guild_id)
        upcoming = await self.bot.db.read(drop_days.next_drop, interaction.guild_id, now)
        embed = render.status_embed(settings, upcoming, drop)
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @group.command(name="pause")
    @manager_only
    async def pause(self, interaction: discord.Interaction) -> None:
        """Pause the daily drops."""
        await self.set_paused(interaction, True)

    @group.command(name="resume")
    @manager_only
    async def resume(self, interaction: discord.Interaction) -> None:
        """Resume the daily drops."""
        await self.set_paused(interaction, False)

    async def set_paused(self, interaction: discord.Interaction, paused: bool) -> None:
        assert interaction.guild_id is not None
        await self.bot.db.write(
            daily.set_paused,
            interaction.guild_id,
            paused,
            self.bot.now(),
            reason="paused by an admin" if paused else None,
        )
        if paused:
            await interaction.response.send_message("Daily drops paused.", ephemeral=True)
            return
        now = self.bot.now()
        upcoming = await self.bot.db.read(drop_days.next_drop, interaction.guild_id, now)
        when = f" The next one drops {drop_when(upcoming, now)}." if upcoming else ""
        await interaction.response.send_message(f"Daily drops resumed.{when}", ephemeral=True)

    @group.command(name="now")
    @manager_only
    async def post_now(self, interaction: discord.Interaction) -> None:
        """Post today's drop now (to try the setup)."""
        assert interaction.guild_id is not None
        now = self.bot.now()
        settings = await self.bot.db.read(daily.get_settings, interaction.guild_id)
        if settings.paused:
            raise InvalidInput("Daily drops are paused: `/daily resume` first.")
        day = daily.local_day(settings, now)
        await interaction.response.defer(ephemeral=True, thinking=True)
        due = daily.DueDrop(settings.guild_id, day, now, settings.timezone)
        drop_id = await self.jobs.post_due(due, now)
        if drop_id is None:
            await interaction.followup.send(
                "Today's drop was already posted; it is one a day. `/daily status` shows it.",
                ephemeral=True,
            )
            return
        drop = await self.bot.db.read(daily.get_drop, drop_id)
        ok = drop is not None and drop.status == DropStatus.OPEN
        await interaction.followup.send(
            f"Posted today's drop in <#{settings.channel_id}>."
            if ok
            else f"I could not post in <#{settings.channel_id}>: "
            f"{drop.last_error if drop else 'unknown error'}. I'll retry at the next tick.",
            ephemeral=True,
        )

    @group.command(name="reveal")
    @manager_only
    async def reveal_now(self, interaction: discord.Interaction) -> None:
        """Reveal the open drop now."""
        assert interaction.guild_id is not None
        drop = await self.bot.db.read(daily.open_drop, interaction.guild_id)
        if drop is None:
            raise NotFound("There is no open drop to reveal.")
        await interaction.response.defer(ephemeral=True, thinking=True)
        ok = await self.jobs.reveal(drop.id, self.bot.now())
        await interaction.followup.send(
            "Revealed." if ok else "The reveal could not be posted; see the log.", ephemeral=True
        )
