"""The study plan: /plan, /reports, /progress, /resources and the plan's scheduled sends."""

from __future__ import annotations

from bot.app import StudyBot
from cogs.plan import views
from cogs.plan.cog import PlanCog


async def setup(bot: StudyBot) -> None:
    bot.add_dynamic_items(*views.COMPONENTS)
    await bot.add_cog(PlanCog(bot))


async def teardown(bot: StudyBot) -> None:
    bot.remove_dynamic_items(*views.COMPONENTS)
