"""Live group quizzes: /groupquiz, the answer buttons and the quiz's timer job."""

from __future__ import annotations

from bot.app import StudyBot
from cogs.groupquiz import views
from cogs.groupquiz.cog import GroupQuizCog


async def setup(bot: StudyBot) -> None:
    bot.add_dynamic_items(*views.COMPONENTS)
    await bot.add_cog(GroupQuizCog(bot))


async def teardown(bot: StudyBot) -> None:
    bot.remove_dynamic_items(*views.COMPONENTS)
