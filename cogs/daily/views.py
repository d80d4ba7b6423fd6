"""The drop's answer buttons (a select for multiple select), and what a click does."""

from __future__ import annotations

import discord

from bot.components import LETTER, Button, Select, number, view_of
from bot.content import ContentStore
from bot.practice_ui import MULTI, answer_components
from bot.replies import Reply
from bot.services import drop_answers
from bot.services.daily import DailyDrop
from bot.ui import study_bot

DROP = number("drop")


def drop_view(content: ContentStore, drop: DailyDrop, *, closed: bool = False) -> discord.ui.View:
    """The answer buttons; disabled once the drop is revealed."""
    q = content.questions[drop.question_id]
    return view_of(
        *answer_components(q, DailyAnswer, DailyMultiAnswer, disabled=closed, drop=drop.id)
    )


async def answer(interaction: discord.Interaction, drop_id: int, choice: str) -> None:
    bot = study_bot(interaction)
    reply = Reply(interaction)
    rec = await reply.after(
        bot.db.write(
            drop_answers.answer,
            bot.content,
            drop_id=drop_id,
            user_id=interaction.user.id,
            choice=choice,
            now=bot.now(),
        )
    )
    await reply.send(
        f"Got it: you picked **{', '.join(rec.choice)}**. Your answer stays private until "
        "the reveal."
    )


class DailyAnswer(Button, prefix="daily:a", fields=(DROP, LETTER)):
    async def run(self, interaction: discord.Interaction) -> None:
        await answer(interaction, self.values["drop"], self.values["choice"])


class DailyMultiAnswer(Select, prefix="daily:a", fields=(DROP, MULTI)):
    async def run(self, interaction: discord.Interaction) -> None:
        await answer(interaction, self.values["drop"], self.picked)


COMPONENTS = (DailyAnswer, DailyMultiAnswer)
