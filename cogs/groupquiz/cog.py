"""/groupquiz: a live quiz in a channel, everyone answering the same question."""

from __future__ import annotations

import random
from datetime import datetime

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import StudyBot
from bot.scheduler import job
from bot.services import live_quiz
from bot.services.errors import InvalidInput
from bot.ui import Scope, is_manager
from cogs.groupquiz import render
from cogs.groupquiz.jobs import LiveJobs
from cogs.groupquiz.views import question_view

NEEDED = (("send_messages", "Send Messages"), ("embed_links", "Embed Links"))


class GroupQuizCog(commands.Cog):
    """Live group quizzes."""

    group = app_commands.Group(
        name="groupquiz", description="A live quiz in this channel", guild_only=True
    )

    def __init__(self, bot: StudyBot) -> None:
        self.bot = bot
        self.jobs = LiveJobs(bot)

    async def cog_load(self) -> None:
        await self.jobs.load()

    async def cog_unload(self) -> None:
        await self.jobs.close()

    @job("groupquiz", every=1)
    async def tick(self, now: datetime) -> None:
        """Post, time and reveal the live quizzes' questions; post their scoreboards."""
        await self.jobs.tick(now)

    @group.command(name="start")
    @app_commands.describe(
        domain="A domain, or mixed like the exam",
        questions="How many questions (5 to 20)",
        seconds="Seconds to answer each question (15 to 120)",
    )
    async def start(
        self,
        interaction: discord.Interaction,
        domain: Scope | None = None,
        questions: app_commands.Range[int, 5, 20] = live_quiz.DEFAULT_QUESTIONS,
        seconds: app_commands.Range[int, 15, 120] = live_quiz.DEFAULT_SECONDS,
    ) -> None:
        """Start a live quiz here: one question at a time, everyone against the clock."""
        assert interaction.guild_id is not None
        assert interaction.channel_id is not None
        perms = interaction.app_permissions
        missing = [name for attr, name in NEEDED if not getattr(perms, attr)]
        if missing:
            raise InvalidInput(f"I can't run a quiz here: I need {', '.join(missing)}.")
        quiz = await self.bot.db.write(
            live_quiz.start,
            self.bot.content,
            guild_id=interaction.guild_id,
            channel_id=interaction.channel_id,
            user_id=interaction.user.id,
            scope=domain or live_quiz.MIXED,
            size=questions,
            seconds=seconds,
            now=self.bot.now(),
            rng=random.Random(),
        )
        await interaction.response.send_message(
            render.intro(self.bot.content, quiz),
            allowed_mentions=discord.AllowedMentions.none(),
        )
        await self.jobs.advance(quiz.id, self.bot.now())  # the first question, at once

    @group.command(name="stop")
    async def stop(self, interaction: discord.Interaction) -> None:
        """End the live quiz in this channel (its starter or an admin)."""
        assert interaction.channel_id is not None
        stopped = await self.bot.db.write(
            live_quiz.stop,
            self.bot.content,
            channel_id=interaction.channel_id,
            user_id=interaction.user.id,
            manager=is_manager(interaction),
            now=self.bot.now(),
        )
        await interaction.response.send_message(
            "Stopped: the scoreboard so far follows.", ephemeral=True
        )
        if stopped.reveal is not None:
            stats = stopped.reveal
            await self.jobs.edit(
                stats.quiz,
                stats.item,
                embed=render.reveal(self.bot.content, stats),
                view=question_view(self.bot.content, stats.item, closed=True),
            )
        await self.jobs.post_scoreboard(stopped.board)
