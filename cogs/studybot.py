"""/studybot: about, help, and the owner-only sync."""

from __future__ import annotations

import io
import json
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import StudyBot
from bot.components import Button, number, view_of
from bot.services import privacy
from bot.ui import BRAND, DESCRIPTION_MAX, duration, study_bot, truncate

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


class DeleteMyData(Button, prefix="mydata:del", fields=(number("user"),)):
    """The confirmation of /studybot mydata delete."""

    async def run(self, interaction: discord.Interaction) -> None:
        bot = study_bot(interaction)
        user = self.values["user"]
        if interaction.user.id != user:
            await interaction.response.send_message(
                "This button deletes someone else's data; it is not for you.", ephemeral=True
            )
            return
        gone = await bot.db.write(privacy.delete_member, user)
        bot.outbox.closed.discard(user)
        await interaction.response.edit_message(
            content=f"Done: {gone.rows} records about you are deleted, {gone.answers} of "
            "them answers. Leaderboards no longer show you. Anything you do from now on "
            "starts a new record.",
            view=None,
        )


COMPONENTS = (DeleteMyData,)


class StudyBotCog(commands.Cog):
    """About the bot and how to use it."""

    group = app_commands.Group(name="studybot", description="About this study bot and its commands")
    mydata = app_commands.Group(
        name="mydata", description="See or delete what the bot keeps about you", parent=group
    )

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

    @mydata.command(name="export")
    async def export(self, interaction: discord.Interaction) -> None:
        """Everything the bot keeps about you, as a JSON file only you see."""
        user = interaction.user.id
        data = await self.bot.db.read(privacy.export_member, user, self.bot.now())
        payload = json.dumps(data, indent=1, ensure_ascii=False).encode()
        counted = sum(len(v) for v in data.values() if isinstance(v, list))
        await interaction.response.send_message(
            f"Everything the bot keeps about you ({counted} records). "
            "`/studybot mydata delete` removes it.",
            file=discord.File(io.BytesIO(payload), filename=f"studybot-data-{user}.json"),
            ephemeral=True,
        )

    @mydata.command(name="delete")
    async def delete(self, interaction: discord.Interaction) -> None:
        """Delete everything the bot keeps about you (asks first)."""
        confirm = DeleteMyData.build(
            "Delete all my data", style=discord.ButtonStyle.danger, user=interaction.user.id
        )
        await interaction.response.send_message(
            "This deletes your answers, quizzes and exams, review cards, study plan, "
            "reminders, flags, points, streaks and leaderboard places, in every server. "
            "It cannot be undone. (`/studybot mydata export` first if you want a copy.)",
            view=view_of(confirm),
            ephemeral=True,
        )


async def setup(bot: StudyBot) -> None:
    bot.add_dynamic_items(*COMPONENTS)
    await bot.add_cog(StudyBotCog(bot))


async def teardown(bot: StudyBot) -> None:
    bot.remove_dynamic_items(*COMPONENTS)
