"""The exam follow-up's buttons: how did the exam go? (the plan ends)."""

from __future__ import annotations

import discord

from bot.components import Button, Field, number, send_ephemeral, view_of
from bot.services import plan
from bot.ui import study_bot

USER = number("user")
OUTCOME = Field("outcome", r"passed|failed|not_taken")
REPLIES = {
    "passed": "Congratulations, and thank you for studying with us! 🎉",
    "failed": "That's hard. Your history stays here: `/plan start` again "
    "with a new exam date when you are ready.",
    "not_taken": "Good luck when you do! `/plan start` with the new date re-fits the plan.",
}


class PlanOutcome(Button, prefix="plan:x", fields=(USER, OUTCOME)):
    """The answer to 'how did the exam go?'; the plan ends."""

    async def run(self, interaction: discord.Interaction) -> None:
        bot = study_bot(interaction)
        user, outcome = self.values["user"], self.values["outcome"]
        if interaction.user.id != user:
            await send_ephemeral(interaction, "This question was for someone else.")
            return
        await bot.db.write(plan.record_outcome, user_id=user, outcome=outcome, now=bot.now())
        await interaction.response.edit_message(content=REPLIES[outcome], view=None)


def followup_view(user_id: int) -> discord.ui.View:
    return view_of(
        PlanOutcome.build(
            "I passed 🎉", style=discord.ButtonStyle.success, user=user_id, outcome="passed"
        ),
        PlanOutcome.build("Not this time", user=user_id, outcome="failed"),
        PlanOutcome.build("I haven't taken it", user=user_id, outcome="not_taken"),
    )


COMPONENTS = (PlanOutcome,)
