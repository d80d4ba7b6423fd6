"""The live quiz's answer buttons (a select for multiple select), what a click does, and
the scoreboard's drill buttons."""

from __future__ import annotations

import logging
from typing import Any

import discord

from bot.components import LETTER, Button, Select, number, view_of
from bot.content import ContentStore
from bot.practice_ui import MULTI, POSITION, Drill, answer_components
from bot.replies import Reply
from bot.services import live_quiz
from bot.services.live_quiz import LiveQuizItem, Scoreboard
from bot.ui import study_bot
from cogs.groupquiz.render import drill_topics

log = logging.getLogger(__name__)
QUIZ = number("quiz")


def question_view(
    content: ContentStore, item: LiveQuizItem, *, closed: bool = False
) -> discord.ui.View:
    q = content.questions[item.question_id]
    return view_of(
        *answer_components(
            q,
            LiveAnswer,
            LiveMultiAnswer,
            disabled=closed,
            quiz=item.quiz_id,
            position=item.position,
        )
    )


def scoreboard_view(content: ContentStore, board: Scoreboard) -> discord.ui.View | None:
    """A Drill button for each member's weakest subtopic (one per topic)."""
    buttons = [
        Drill.build(f"Drill {content.subtopic_name(topic)}", scope=topic)
        for topic, _users in drill_topics(board)
    ]
    return view_of(*buttons) if buttons else None


async def answer(
    interaction: discord.Interaction, quiz_id: int, position: int, choice: str
) -> None:
    bot = study_bot(interaction)
    reply = Reply(interaction)
    done = await reply.after(
        bot.db.write(
            live_quiz.answer,
            bot.content,
            quiz_id=quiz_id,
            position=position,
            user_id=interaction.user.id,
            choice=choice,
            now=bot.now(),
        )
    )
    try:
        await reply.send(
            f"Got it: you picked **{', '.join(done.recorded.choice)}**. The answer shows when "
            "the time is up, or when everyone who joined has answered."
        )
    finally:  # even when this member's reply came too late
        if done.complete:  # everyone who joined has answered: reveal now
            cog: Any = bot.get_cog("GroupQuizCog")
            if cog is not None:
                cog.jobs.spawn(cog.jobs.reveal(quiz_id, position, bot.now()))


class LiveAnswer(Button, prefix="live:a", fields=(QUIZ, POSITION, LETTER)):
    """An option of a single-select question."""

    async def run(self, interaction: discord.Interaction) -> None:
        v = self.values
        await answer(interaction, v["quiz"], v["position"], v["choice"])


class LiveMultiAnswer(Select, prefix="live:a", fields=(QUIZ, POSITION, MULTI)):
    """The options of a multiple-select question."""

    async def run(self, interaction: discord.Interaction) -> None:
        await answer(interaction, self.values["quiz"], self.values["position"], self.picked)


COMPONENTS = (LiveAnswer, LiveMultiAnswer)
