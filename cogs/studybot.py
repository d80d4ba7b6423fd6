"""/studybot: about, help, and the owner-only sync."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import StudyBot
from bot.ui import BRAND, DESCRIPTION_MAX, duration, truncate

REPO_URL = "https://github.com/pmle-study-bot/pmle-study-bot"


def command_lines(tree: app_commands.CommandTree[Any]) -> list[str]:
    """One line per slash command (subcommands included), from the live command tree."""
    lines: list[str] = []

    def walk(cmd: app_commands.Command[Any, Any, Any] | app_commands.Group) -> None:
        if isinstance(cmd, app_commands.Group):
            for sub in cmd.commands:
                walk(sub)
        else:
            lines.append(f"`/{cmd.qualified_name}` — {cmd.description}")

    for cmd in sorted(tree.get_commands(), key=lambda c: c.name):
        if isinstance(cmd, app_commands.Command | app_commands.Group):
            walk(cmd)
    return lines


class StudyBotCog(commands.Cog):
    """About the bot and how to use it."""

    group = app_commands.Group(name="studybot", description="About this study bot and its commands")

    def __init__(self, bot: StudyBot) -> None:
        self.bot = bot

    @group.command(name="about")
    async def about(self, interaction: discord.Interaction) -> None:
        """Version, question bank and uptime."""
        content = self.bot.content
        embed = discord.Embed(
            title="PMLE study bot",
            description=(
                "Practice for the Google Cloud Professional Machine Learning Engineer exam: "
                "quizzes, mock exams, spaced review, daily questions, a 12-week plan "
                "and progress reports."
            ),
            colour=BRAND,
        )
        bank = "\n".join(
            f"{d.name}: **{len(content.by_domain.get(d.id, ()))}**"
            for d in content.blueprint.domains
        )
        embed.add_field(name=f"Question bank ({len(content.questions)})", value=bank, inline=False)
        embed.add_field(name="Version", value=self.bot.version)
        embed.add_field(name="Uptime", value=duration(self.bot.now() - self.bot.started_at))
        embed.add_field(name="Exam guide", value=content.blueprint.exam.guide_version)
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @group.command(name="help")
    async def help(self, interaction: discord.Interaction) -> None:
        """What each command does."""
        lines = command_lines(self.bot.tree)
        embed = discord.Embed(
            title="Commands", description=truncate("\n".join(lines), DESCRIPTION_MAX), colour=BRAND
        )
        embed.set_footer(
            text="Your own results are only shown to you; "
            "daily reveals and leaderboards are public."
        )
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @group.command(name="sync")
    async def sync(self, interaction: discord.Interaction) -> None:
        """Owner only: push the slash commands to Discord now."""
        if not await self.bot.is_owner(interaction.user):
            await interaction.response.send_message(
                "Only the bot's owner can sync commands.", ephemeral=True
            )
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        await self.bot.sync_commands(force=True)
        await interaction.followup.send(
            f"Synced {self.bot.command_count()} commands.", ephemeral=True
        )


async def setup(bot: StudyBot) -> None:
    await bot.add_cog(StudyBotCog(bot))
