"""/quiz and /review: one question at a time, in an ephemeral message that advances in place.

The question, feedback and summary messages and their buttons are `bot.practice_ui`'s:
the plan's reports start quizzes too.
"""

from __future__ import annotations

import random

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import StudyBot
from bot.practice_ui import show_started
from bot.replies import Reply
from bot.services import quiz, review_plan
from bot.ui import Scope


class QuizCog(commands.Cog):
    """Practice quizzes and spaced review."""

    def __init__(self, bot: StudyBot) -> None:
        self.bot = bot

    @app_commands.command(name="quiz")
    @app_commands.describe(
        domain="A domain to drill, or mixed like the exam", questions="How many questions (5 to 25)"
    )
    async def quiz_command(
        self,
        interaction: discord.Interaction,
        domain: Scope | None = None,
        questions: app_commands.Range[int, 5, 25] = 10,
    ) -> None:
        """Practise with a quiz: one question at a time, explained."""
        reply = Reply(interaction)
        step, abandoned = await reply.after(
            self.bot.db.write(
                quiz.start_quiz,
                self.bot.content,
                user_id=interaction.user.id,
                guild_id=interaction.guild_id,
                scope=domain or quiz.MIXED,
                size=questions,
                now=self.bot.now(),
                rng=random.Random(),
            )
        )
        note = "Your previous quiz was closed (recorded as abandoned)." if abandoned else None
        await show_started(reply, step, note)

    @app_commands.command(name="review")
    async def review_command(self, interaction: discord.Interaction) -> None:
        """Review the questions due again (spaced repetition, aimed at your exam date)."""
        reply = Reply(interaction)
        outcome = await reply.after(self._start_review(interaction.user.id, interaction.guild_id))
        if isinstance(outcome, quiz.Step):
            await show_started(reply, outcome)
        else:
            await reply.send(nothing_due(outcome))

    async def _start_review(
        self, user_id: int, guild_id: int | None
    ) -> quiz.Step | review_plan.Queue:
        """The member's review queue (worked out in a read), and a session over it if any
        question is due."""
        content, now = self.bot.content, self.bot.now()
        found = await self.bot.db.read(review_plan.queue, content, user_id, now)
        if not found.due:
            return found
        return await self.bot.db.write(
            quiz.start_review, content, user_id=user_id, guild_id=guild_id, now=now, queue=found
        )


def nothing_due(found: review_plan.Queue) -> str:
    """Why /review has nothing to show now, and when it will."""
    if not found.any_cards:
        return "Nothing to review yet: answer some questions with `/quiz` first."
    exam = f" before your exam on {found.exam_day:%a %d %b}" if found.exam_day else ""
    if found.next_at is None and found.no_room:
        return (
            f"You have done today's {review_plan.DAILY_CAP} reviews, and no day is left "
            f"before your exam on {found.exam_day:%a %d %b}. Good luck!"
        )
    if found.next_at is None:
        return (
            f"Nothing else is due{exam}: every question you have answered is predicted "
            "to be remembered on exam day. Keep going with `/quiz` for new ones."
        )
    when = found.next_at
    return (
        f"Nothing is due right now. Your next review{exam} is "
        f"{discord.utils.format_dt(when, 'R')} ({discord.utils.format_dt(when, 'f')})."
    )
