"""/studyadmin: question reports and item statistics for server admins."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import StudyBot
from bot.services import items
from bot.ui import ADMIN_PERMISSIONS, BRAND, DESCRIPTION_MAX, manager_only, truncate


class AdminCog(commands.Cog):
    """Question reports and statistics for admins."""

    group = app_commands.Group(
        name="studyadmin",
        description="Question reports and statistics (admins)",
        guild_only=True,
        default_permissions=ADMIN_PERMISSIONS,
    )

    def __init__(self, bot: StudyBot) -> None:
        self.bot = bot

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


async def setup(bot: StudyBot) -> None:
    await bot.add_cog(AdminCog(bot))
