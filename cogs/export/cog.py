"""/export [format]: the member's missed questions as an ephemeral attachment."""

from __future__ import annotations

import asyncio
import io

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import StudyBot
from bot.exports import to_apkg, to_csv
from bot.services import export

FORMATS = [
    app_commands.Choice(name="Anki deck (.apkg)", value="anki"),
    app_commands.Choice(name="CSV spreadsheet", value="csv"),
]
NOTHING = (
    "Nothing to export: no question's latest answer of yours is wrong. "
    "Missed questions land here after a `/quiz`, `/exam`, `/review` or daily drop."
)


class ExportCog(commands.Cog):
    """Take the missed questions away: Anki or a spreadsheet."""

    def __init__(self, bot: StudyBot) -> None:
        self.bot = bot

    @app_commands.command(name="export")
    @app_commands.rename(file_format="format")
    @app_commands.describe(file_format="An Anki deck (the default) or a CSV spreadsheet")
    @app_commands.choices(file_format=FORMATS)
    async def export_command(
        self,
        interaction: discord.Interaction,
        file_format: app_commands.Choice[str] | None = None,
    ) -> None:
        """Download the questions you last answered wrong, with keys and explanations."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        content, now = self.bot.content, self.bot.now()
        missed = await self.bot.db.read(export.misses, content, user_id=interaction.user.id)
        if not missed:
            await interaction.followup.send(NOTHING, ephemeral=True)
            return
        anki = file_format is None or file_format.value == "anki"
        if anki:
            data = await asyncio.to_thread(to_apkg, content, missed, now)
            name, how = "pmle-missed.apkg", "Open it in Anki (File → Import)"
        else:
            data = await asyncio.to_thread(to_csv, content, missed)
            name, how = "pmle-missed.csv", "Open it in any spreadsheet"
        count = len(missed)
        noun = "question" if count == 1 else "questions"
        text = (
            f"{count} {noun} you last answered wrong, with options, key, explanation and "
            f"links. {how}"
            + (
                "; importing a newer export updates these notes instead of copying them."
                if anki
                else "."
            )
        )
        file = discord.File(io.BytesIO(data), filename=name)
        await interaction.followup.send(text, file=file, ephemeral=True)
