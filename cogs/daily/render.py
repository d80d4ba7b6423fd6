"""The drop's embed, its reveal, the status and the weekly summary (embeds only: the
answer buttons are cogs/daily/views.py's)."""

from __future__ import annotations

from datetime import datetime

import discord

from bot.content import ContentStore
from bot.services.daily import DailyDrop, GuildSettings
from bot.services.drop_answers import RevealStats
from bot.services.leaderboard import WeeklySummary
from bot.ui import (
    BRAND,
    DESCRIPTION_MAX,
    FIELD_VALUE_MAX,
    GOOD,
    explanation_field,
    question_embed,
    truncate,
)

BAR = 12


def drop_title(drop: DailyDrop) -> str:
    return f"Question of the day · {drop.local_date:%a %d %b}"


def drop_embed(content: ContentStore, drop: DailyDrop, *, answered: int = 0) -> discord.Embed:
    q = content.questions[drop.question_id]
    embed = question_embed(content, q, title=drop_title(drop), footer=q.id)
    embed.add_field(name="Reveal", value=discord.utils.format_dt(drop.reveal_at, "R"))
    embed.add_field(name="Answers so far", value=str(answered))
    embed.add_field(name="How", value="Answer privately below; one answer each.", inline=False)
    return embed


def bars(content: ContentStore, stats: RevealStats) -> str:
    q = content.questions[stats.drop.question_id]
    lines = []
    for letter in q.letters:
        n = stats.counts.get(letter, 0)
        share = n / stats.answered if stats.answered else 0.0
        fill = round(share * BAR)
        mark = "✅" if letter in q.answer else "▫️"
        lines.append(f"{mark} **{letter}** `{'█' * fill}{'░' * (BAR - fill)}` {n} ({share:.0%})")
    return "\n".join(lines)


def reveal_embed(content: ContentStore, stats: RevealStats) -> discord.Embed:
    drop = stats.drop
    q = content.questions[drop.question_id]
    embed = question_embed(
        content, q, title=f"{drop_title(drop)} · revealed", footer=q.id, colour=GOOD
    )
    embed.add_field(
        name=f"How the group answered ({stats.answered}, {stats.percent_correct:.0f}% right)",
        value=truncate(bars(content, stats), FIELD_VALUE_MAX),
        inline=False,
    )
    explanation_field(embed, q)
    if drop.reason:  # weak-spots mode says why it picked the topic
        embed.add_field(
            name="Why this topic", value=truncate(drop.reason, FIELD_VALUE_MAX), inline=False
        )
    if stats.first_correct:
        embed.add_field(
            name="First right answers",
            value=" ".join(f"<@{u}>" for u in stats.first_correct),
            inline=False,
        )
    return embed


def status_embed(
    settings: GuildSettings,
    next_post: datetime | None,
    open_drop: DailyDrop | None,
) -> discord.Embed:
    state = "paused" if settings.paused else "active"
    embed = discord.Embed(title=f"Daily drops: {state}", colour=BRAND)
    embed.add_field(name="Channel", value=f"<#{settings.channel_id}>")
    embed.add_field(name="Time", value=f"{settings.post_time} {settings.timezone}")
    embed.add_field(name="Reveal after", value=f"{settings.reveal_after_hours} h")
    embed.add_field(name="Mode", value=settings.mode)
    embed.add_field(name="Domains", value=settings.domains.replace(",", ", "), inline=False)
    if settings.role_id:
        embed.add_field(name="Pings", value=f"<@&{settings.role_id}>")
    if settings.paused and settings.pause_reason:
        embed.add_field(
            name="Why paused", value=truncate(settings.pause_reason, 1024), inline=False
        )
    if next_post is not None:
        embed.add_field(
            name="Next drop", value=discord.utils.format_dt(next_post, "F"), inline=False
        )
    if open_drop is not None:
        embed.add_field(
            name="Open drop",
            value=f"{open_drop.answers} answers, reveals "
            f"{discord.utils.format_dt(open_drop.reveal_at, 'R')}",
        )
    return embed


def summary_embed(summary: WeeklySummary) -> discord.Embed:
    lines = [f"**{r.rank}.** <@{r.user_id}> — {r.points} pts" for r in summary.top]
    embed = discord.Embed(
        title=f"Last week's leaderboard ({summary.week})",
        description=truncate("\n".join(lines) or "No points last week.", DESCRIPTION_MAX),
        colour=BRAND,
    )
    if summary.improver:
        user, gain = summary.improver
        embed.add_field(name="Biggest improver", value=f"<@{user}> (+{gain} pts)")
    return embed
