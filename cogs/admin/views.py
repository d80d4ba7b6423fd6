"""The mock-exam day's Start button: each member's own exam of the day's questions."""

from __future__ import annotations

import random

import discord

from bot.components import Button, number, view_of
from bot.exam_ui import show_new
from bot.replies import Reply
from bot.services import mock_day
from bot.ui import study_bot

DAY = number("day")


def start_view(day_id: int, *, closed: bool = False) -> discord.ui.View:
    label = "Start window closed" if closed else "Start the mock exam"
    return view_of(
        MockStart.build(label, style=discord.ButtonStyle.success, disabled=closed, day=day_id)
    )


class MockStart(Button, prefix="mock:s", fields=(DAY,)):
    """Start (or go back to) the clicking member's exam of the day."""

    async def run(self, interaction: discord.Interaction) -> None:
        bot = study_bot(interaction)
        reply = Reply(interaction)
        step, resumed = await reply.after(
            bot.db.write(
                mock_day.start_entry,
                bot.content,
                day_id=self.values["day"],
                user_id=interaction.user.id,
                now=bot.now(),
                rng=random.Random(),
            )
        )
        # an exam the member did not see stays theirs: Start again comes back to it
        await show_new(reply, step, "Back to your exam." if resumed else None)


COMPONENTS = (MockStart,)
