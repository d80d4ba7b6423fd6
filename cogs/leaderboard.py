"""/leaderboard: the guild's top 10 by points, public."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import StudyBot
from bot.services import leaderboard
from bot.services.errors import InvalidInput
from bot.ui import BRAND, DESCRIPTION_MAX, Domain, truncate

MEDALS = {1: "🥇", 2: "🥈", 3: "🥉"}


def row_line(row: leaderboard.Row) -> str:
    accuracy = f"{row.accuracy:.0f}%" if row.accuracy is not None else "–"
    streak = f" · 🔥{row.streak}" if row.streak else ""
    return (
        f"{MEDALS.get(row.rank, f'**{row.rank}.**')} <@{row.user_id}> — **{row.points}** "
        f"pts · {accuracy} of {row.answered}{streak}"
    )


def board_embed(
    bot: StudyBot, board: leaderboard.Board, title: str, timezone: str = "UTC"
) -> discord.Embed:
    lines = [row_line(r) for r in board.top] or [
        "No points yet: answer `/quiz` or the daily drop to get on the board."
    ]
    if board.caller is not None:
        lines += ["…", row_line(board.caller)]
    embed = discord.Embed(
        title=title, description=truncate("\n".join(lines), DESCRIPTION_MAX), colour=BRAND
    )
    embed.set_footer(
        text=f"Accuracy shows from {leaderboard.MIN_FOR_ACCURACY} answers. "
        "Daily right 10, daily answered 2, practice right 1 (once a week "
        f"per question). Weeks run Monday to Sunday in {timezone}."
    )
    return embed


class LeaderboardCog(commands.Cog):
    """Who is practising most in this server."""

    def __init__(self, bot: StudyBot) -> None:
        self.bot = bot

    @app_commands.command(name="leaderboard")
    @app_commands.guild_only()
    @app_commands.describe(
        period="This week, this month or all time",
        domain="Only points from one domain",
        weeks_ago="With period week: 1 is last week, 2 the week before …",
    )
    @app_commands.choices(
        period=[app_commands.Choice(name=p, value=p) for p in leaderboard.PERIODS]
    )
    async def leaderboard_command(
        self,
        interaction: discord.Interaction,
        period: app_commands.Choice[str] | None = None,
        domain: Domain | None = None,
        weeks_ago: app_commands.Range[int, 0, 52] = 0,
    ) -> None:
        """The server's top 10 by points, with accuracy and streaks."""
        assert interaction.guild_id is not None
        chosen = period.value if period else "week"
        if weeks_ago and chosen != "week":
            raise InvalidInput("weeks_ago only works with period: week.")
        found = await self.bot.db.read(
            leaderboard.guild_board,
            guild_id=interaction.guild_id,
            period=chosen,
            now=self.bot.now(),
            weeks_ago=weeks_ago,
            domain=domain or "*",
            caller_id=interaction.user.id,
        )
        key = found.board.period_key
        scope = f" · {self.bot.content.domain_name(domain)}" if domain else ""
        label = {"all": "All time", "week": f"Week {key}", "month": f"Month {key}"}[chosen]
        embed = board_embed(self.bot, found.board, f"Leaderboard · {label}{scope}", found.timezone)
        await interaction.response.send_message(
            embed=embed, allowed_mentions=discord.AllowedMentions.none()
        )


async def setup(bot: StudyBot) -> None:
    await bot.add_cog(LeaderboardCog(bot))
