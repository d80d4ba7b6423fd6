"""/studyadmin: question reports and item statistics for server admins."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import StudyBot
from bot.services import items
from bot.ui import BRAND, DESCRIPTION_MAX, truncate


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class AdminCog(
    commands.GroupCog,
    group_name="studyadmin",
    group_description="Question reports and statistics (admins)",
):
    def __init__(self, bot: StudyBot) -> None:
        self.bot = bot
        super().__init__()

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        perms = interaction.permissions
        if not (perms.manage_guild or perms.administrator):
            raise app_commands.MissingPermissions(["manage_guild"])
        return True

    @app_commands.command(name="flags")
    async def flags(self, interaction: discord.Interaction) -> None:
        """Questions members reported as wrong or unclear."""
        async with self.bot.db.read() as session:
            reports = await items.open_flags(session)
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

    @app_commands.command(name="questions")
    async def questions(self, interaction: discord.Interaction) -> None:
        """The questions most often missed or flagged, with how each option was picked."""
        async with self.bot.db.read() as session:
            stats = await items.hardest(session)
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
