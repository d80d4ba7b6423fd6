"""/quiz and /review: one question at a time, in an ephemeral message that advances in place."""

from __future__ import annotations

import random
import re
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import StudyBot
from bot.services import items, quiz
from bot.ui import send_ephemeral, study_bot, user_errors
from cogs.practice import render

DOMAIN_CHOICES = [
    app_commands.Choice(name="Mixed, weighted like the exam", value="mixed"),
    app_commands.Choice(name="Low-code ML (BigQuery ML, APIs, AutoML)", value="lowcode"),
    app_commands.Choice(name="Data and models across teams", value="data"),
    app_commands.Choice(name="Scaling prototypes to production", value="scaling"),
    app_commands.Choice(name="Serving, scaling and monitoring", value="serving"),
    app_commands.Choice(name="Automating ML pipelines", value="pipelines"),
]


async def show_step(
    interaction: discord.Interaction, step: quiz.Step, *, edit: bool, note: str | None = None
) -> None:
    embed, view = render.quiz_question(study_bot(interaction).content, step)
    if edit:
        await interaction.response.edit_message(embed=embed, view=view)
    else:
        await interaction.response.send_message(note, embed=embed, view=view, ephemeral=True)


async def submit(
    interaction: discord.Interaction, session_id: int, position: int, choice: str
) -> None:
    bot = study_bot(interaction)
    async with bot.db.write() as db:
        done = await quiz.answer(
            db,
            bot.content,
            session_id=session_id,
            position=position,
            user_id=interaction.user.id,
            choice=choice,
            now=bot.now(),
        )
    embed, view = render.quiz_feedback(bot.content, done)
    await interaction.response.edit_message(embed=embed, view=view)


class QuizAnswer(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"quiz:a:(?P<sid>\d+):(?P<pos>\d+):(?P<choice>[A-F])",
):
    def __init__(self, item: discord.ui.Button[Any], sid: int, pos: int, choice: str) -> None:
        super().__init__(item)
        self.sid, self.pos, self.choice = sid, pos, choice

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> QuizAnswer:
        assert isinstance(item, discord.ui.Button)
        return cls(item, int(match["sid"]), int(match["pos"]), match["choice"])

    async def callback(self, interaction: discord.Interaction) -> None:
        async with user_errors(interaction):
            await submit(interaction, self.sid, self.pos, self.choice)


class QuizMultiAnswer(
    discord.ui.DynamicItem[discord.ui.Select[Any]], template=r"quiz:a:(?P<sid>\d+):(?P<pos>\d+):m"
):
    def __init__(self, item: discord.ui.Select[Any], sid: int, pos: int) -> None:
        super().__init__(item)
        self.sid, self.pos = sid, pos

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> QuizMultiAnswer:
        assert isinstance(item, discord.ui.Select)
        return cls(item, int(match["sid"]), int(match["pos"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        async with user_errors(interaction):
            await submit(interaction, self.sid, self.pos, "".join(self.item.values))


class QuizNext(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"quiz:n:(?P<sid>\d+):(?P<pos>\d+)"
):
    def __init__(self, item: discord.ui.Button[Any], sid: int) -> None:
        super().__init__(item)
        self.sid = sid

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> QuizNext:
        assert isinstance(item, discord.ui.Button)
        return cls(item, int(match["sid"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        bot = study_bot(interaction)
        async with user_errors(interaction):
            async with bot.db.write() as db:
                shown = await quiz.advance(
                    db,
                    bot.content,
                    session_id=self.sid,
                    user_id=interaction.user.id,
                    now=bot.now(),
                )
            if isinstance(shown, quiz.Summary):
                embed = render.quiz_summary(bot.content, shown, bot.now())
                await interaction.response.edit_message(embed=embed, view=None)
            else:
                await show_step(interaction, shown, edit=True)


class QuizFlag(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"quiz:f:(?P<sid>\d+):(?P<pos>\d+)"
):
    def __init__(self, item: discord.ui.Button[Any], sid: int, pos: int) -> None:
        super().__init__(item)
        self.sid, self.pos = sid, pos

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> QuizFlag:
        assert isinstance(item, discord.ui.Button)
        return cls(item, int(match["sid"]), int(match["pos"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        bot = study_bot(interaction)
        async with user_errors(interaction):
            async with bot.db.begin() as session:
                entry = await quiz.item_at(session, self.sid, self.pos)
                new = await items.flag(
                    session,
                    bot.content,
                    question_id=entry.question_id,
                    user_id=interaction.user.id,
                    guild_id=interaction.guild_id,
                    now=bot.now(),
                )
            message = (
                f"Thanks: question `{entry.question_id}` is flagged for the admins."
                if new
                else f"You already flagged `{entry.question_id}`; thanks."
            )
            await send_ephemeral(interaction, message)


DYNAMIC_ITEMS = (QuizAnswer, QuizMultiAnswer, QuizNext, QuizFlag)


class QuizCog(commands.Cog):
    """Practice quizzes and spaced review."""

    def __init__(self, bot: StudyBot) -> None:
        self.bot = bot

    @app_commands.command(name="quiz")
    @app_commands.describe(
        domain="A domain to drill, or mixed like the exam", questions="How many questions (5 to 25)"
    )
    @app_commands.choices(domain=DOMAIN_CHOICES)
    async def quiz_command(
        self,
        interaction: discord.Interaction,
        domain: app_commands.Choice[str] | None = None,
        questions: app_commands.Range[int, 5, 25] = 10,
    ) -> None:
        """Practise with a quiz: one question at a time, explained."""
        scope = domain.value if domain else quiz.MIXED
        async with self.bot.db.write() as db:
            step, abandoned = await quiz.start_quiz(
                db,
                self.bot.content,
                user_id=interaction.user.id,
                guild_id=interaction.guild_id,
                scope=scope,
                size=questions,
                now=self.bot.now(),
                rng=random.Random(),
            )
        note = "Your previous quiz was closed (recorded as abandoned)." if abandoned else None
        await show_step(interaction, step, edit=False, note=note)

    @app_commands.command(name="review")
    async def review_command(self, interaction: discord.Interaction) -> None:
        """Review the questions due again (spaced repetition)."""
        now = self.bot.now()
        async with self.bot.db.write() as db:
            outcome = await quiz.start_review(
                db,
                self.bot.content,
                user_id=interaction.user.id,
                guild_id=interaction.guild_id,
                now=now,
            )
        if isinstance(outcome, quiz.Step):
            await show_step(interaction, outcome, edit=False)
        elif outcome is None:
            await interaction.response.send_message(
                "Nothing to review yet: answer some questions with `/quiz` first.", ephemeral=True
            )
        else:
            await interaction.response.send_message(
                "Nothing is due right now. Your next review is "
                f"{discord.utils.format_dt(outcome, 'R')} "
                f"({discord.utils.format_dt(outcome, 'f')}).",
                ephemeral=True,
            )
