"""Daily question drops: /daily and the scheduled posts, reveals and weekly summaries."""

from __future__ import annotations

from bot.app import StudyBot
from cogs.daily import views
from cogs.daily.cog import DailyCog


async def setup(bot: StudyBot) -> None:
    bot.add_dynamic_items(*views.COMPONENTS)
    await bot.add_cog(DailyCog(bot))


async def teardown(bot: StudyBot) -> None:
    bot.remove_dynamic_items(*views.COMPONENTS)
