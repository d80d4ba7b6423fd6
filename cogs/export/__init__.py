"""/export: the questions a member last answered wrong, as an Anki deck or a CSV."""

from __future__ import annotations

from bot.app import StudyBot
from cogs.export.cog import ExportCog


async def setup(bot: StudyBot) -> None:
    await bot.add_cog(ExportCog(bot))
