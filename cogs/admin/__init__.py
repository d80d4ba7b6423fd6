"""/studyadmin: question reports, item statistics, the group's weak spots (radar) and
group mock-exam days."""

from __future__ import annotations

from bot.app import StudyBot
from cogs.admin import views
from cogs.admin.cog import AdminCog


async def setup(bot: StudyBot) -> None:
    bot.add_dynamic_items(*views.COMPONENTS)
    await bot.add_cog(AdminCog(bot))


async def teardown(bot: StudyBot) -> None:
    bot.remove_dynamic_items(*views.COMPONENTS)
