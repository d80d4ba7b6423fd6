"""/studyadmin: question reports, item statistics, the group's weak spots and group
mock-exam days, for server admins."""

from __future__ import annotations

import asyncio
import io
import random
from datetime import datetime

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import StudyBot
from bot.charts import render_radar_chart
from bot.exam_ui import BLUEPRINT_HELP, BLUEPRINTS, LENGTH_HELP, LENGTHS
from bot.scheduler import job
from bot.services import drop_days, guild_time, items, mock_day, weak_spots
from bot.ui import (
    ADMIN_PERMISSIONS,
    BRAND,
    DESCRIPTION_MAX,
    manager_only,
    timezone_autocomplete,
    truncate,
)
from cogs.admin import render
from cogs.admin.mockday import MockJobs


class AdminCog(commands.Cog):
    """Question reports and statistics for admins."""

    group = app_commands.Group(
        name="studyadmin",
        description="Question reports, statistics and group study days (admins)",
        guild_only=True,
        default_permissions=ADMIN_PERMISSIONS,
    )
    mockexam = app_commands.Group(
        name="mockexam", description="Group mock-exam days (admins)", parent=group
    )

    def __init__(self, bot: StudyBot) -> None:
        self.bot = bot
        self.mock = MockJobs(bot)

    @job("mockexam", every=30)
    async def mock_tick(self, now: datetime) -> None:
        """Open, close and report the group mock-exam days."""
        await self.mock.tick(now)

    @group.command(name="timezone")
    @app_commands.describe(timezone="IANA timezone, e.g. Pacific/Auckland")
    @app_commands.autocomplete(timezone=timezone_autocomplete)
    @manager_only
    async def timezone(self, interaction: discord.Interaction, timezone: str) -> None:
        """The server's timezone: leaderboard weeks, the Monday summary, the daily drops."""
        assert interaction.guild_id is not None
        # recounting the server's weeks and months takes seconds on a big server
        await interaction.response.defer(ephemeral=True, thinking=True)
        now = self.bot.now()
        changed = await self.bot.db.write(
            guild_time.set_timezone, interaction.guild_id, timezone, now
        )
        upcoming = None
        if changed.daily is not None:
            upcoming = await self.bot.db.read(drop_days.next_drop, interaction.guild_id, now)
        text = render.timezone_text(changed, upcoming, now)
        await interaction.followup.send(text, ephemeral=True)

    @group.command(name="flags")
    @manager_only
    async def flags(self, interaction: discord.Interaction) -> None:
        """Questions members reported as wrong or unclear."""
        reports = await self.bot.db.read(items.open_flags)
        lines = [
            f"`{r.question_id}` — {r.reports} report{'s' * (r.reports != 1)} "
            f"(first {discord.utils.format_dt(r.first, 'R')})"
            for r in reports
        ]
        embed = discord.Embed(
            title="Flagged questions",
            description=truncate("\n".join(lines) or "No open reports.", DESCRIPTION_MAX),
            colour=BRAND,
        )
        embed.set_footer(text="Fix the question in content/questions and open a pull request.")
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @group.command(name="questions")
    @manager_only
    async def questions(self, interaction: discord.Interaction) -> None:
        """The questions most often missed or flagged, with how each option was picked."""
        stats = await self.bot.db.read(items.hardest)
        lines = []
        for s in stats:
            q = self.bot.content.questions.get(s.question_id)
            key = q.key if q else "?"
            picks = " ".join(f"{letter}:{n}" for letter, n in sorted(s.picks.items()))
            lines.append(
                f"`{s.question_id}` {s.percent_correct:.0f}% right of {s.answered}"
                f" · key {key} · picks {picks or '–'}" + (f" · 🚩{s.flags}" if s.flags else "")
            )
        embed = discord.Embed(
            title="Most missed or flagged questions",
            description=truncate("\n".join(lines) or "Not enough answers yet.", DESCRIPTION_MAX),
            colour=BRAND,
        )
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @group.command(name="radar")
    @manager_only
    async def radar(self, interaction: discord.Interaction) -> None:
        """The group's accuracy per exam-guide section over the last 30 days."""
        assert interaction.guild_id is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        figures = await self.bot.db.read(
            weak_spots.radar, self.bot.content, interaction.guild_id, self.bot.now()
        )
        png = await asyncio.to_thread(
            render_radar_chart,
            [f"{s.section}. {truncate(s.name, 28)}" for s in figures.sections],
            [s.accuracy for s in figures.sections],
            [s.answered for s in figures.sections],
            figures.pass_line,
            "The group's accuracy per exam-guide section, last 30 days",
        )
        await interaction.followup.send(
            embed=render.radar_embed(figures),
            file=discord.File(io.BytesIO(png), filename="radar.png"),
            ephemeral=True,
        )

    @mockexam.command(name="schedule")
    @app_commands.describe(
        date="The day, YYYY-MM-DD",
        time="Local start time, HH:MM (24 h)",
        timezone="IANA timezone, e.g. Europe/Berlin",
        length=LENGTH_HELP,
        blueprint=BLUEPRINT_HELP,
        channel="Where the Start button goes (default: the daily drops' channel)",
    )
    @app_commands.choices(length=LENGTHS, blueprint=BLUEPRINTS)
    @app_commands.autocomplete(timezone=timezone_autocomplete)
    @manager_only
    async def mock_schedule(
        self,
        interaction: discord.Interaction,
        date: str,
        time: str,
        timezone: str,
        length: app_commands.Choice[str] | None = None,
        blueprint: app_commands.Choice[str] | None = None,
        channel: discord.TextChannel | None = None,
    ) -> None:
        """Plan a group mock-exam day: a Start button at the time, open for an hour."""
        assert interaction.guild_id is not None
        day = await self.bot.db.write(
            mock_day.schedule,
            self.bot.content,
            guild_id=interaction.guild_id,
            channel_id=channel.id if channel else None,
            user_id=interaction.user.id,
            day=date,
            time=time,
            timezone=timezone,
            length=length.value if length else "full",
            scheme=blueprint.value if blueprint else "official",
            now=self.bot.now(),
            rng=random.Random(),
        )
        size, minutes = mock_day.LENGTHS[day.length]
        await interaction.response.send_message(
            f"Mock exam day planned: {discord.utils.format_dt(day.starts_at, 'F')} "
            f"({discord.utils.format_dt(day.starts_at, 'R')}) in <#{day.channel_id}>. "
            f"{size} questions, {minutes} minutes each from their own start; the Start "
            "button works for an hour. `/studyadmin mockexam cancel` calls it off.",
            ephemeral=True,
        )

    @mockexam.command(name="cancel")
    @manager_only
    async def mock_cancel(self, interaction: discord.Interaction) -> None:
        """Call off the planned mock-exam day."""
        assert interaction.guild_id is not None
        day = await self.bot.db.write(mock_day.cancel, interaction.guild_id)
        await interaction.response.send_message(
            f"The mock exam day of {discord.utils.format_dt(day.starts_at, 'F')} is cancelled.",
            ephemeral=True,
        )
