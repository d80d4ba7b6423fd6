"""Rendering helpers shared by the cogs: colours, truncation, question embeds."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.content import LETTERS, ContentStore, Question
from bot.services.errors import ServiceError
from bot.services.timezones import autocomplete

if TYPE_CHECKING:
    from bot.app import StudyBot

log = logging.getLogger(__name__)

BRAND = discord.Colour(0x4285F4)
GOOD = discord.Colour(0x34A853)
BAD = discord.Colour(0xEA4335)
WARN = discord.Colour(0xFBBC04)

# Discord's limits (discord-facts.md)
CONTENT_MAX = 2000
TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FOOTER_MAX = 2048
EMBED_TOTAL_MAX = 6000
LABEL_MAX = 80


def truncate(text: str, limit: int) -> str:
    """`text` cut to `limit` characters with an ellipsis when it did not fit."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def duration(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min {seconds} s"
    return f"{seconds} s"


def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "–"


def option_lines(question: Question) -> str:
    return "\n".join(
        f"**{letter}.** {text}" for letter, text in zip(LETTERS, question.options, strict=False)
    )


def question_embed(
    content: ContentStore,
    question: Question,
    *,
    title: str,
    footer: str | None = None,
    colour: discord.Colour = BRAND,
) -> discord.Embed:
    """The stem and lettered options of a question, within Discord's limits."""
    stem = question.stem
    if question.multiple:
        stem += f"\n*Pick {question.choose}.*"
    body = f"{stem}\n\n{option_lines(question)}"
    embed = discord.Embed(
        title=truncate(title, TITLE_MAX), description=truncate(body, DESCRIPTION_MAX), colour=colour
    )
    domain = content.domain_name(question.domain)
    meta = f"{domain} · {question.difficulty}"
    embed.set_footer(text=truncate(f"{meta} · {footer}" if footer else meta, FOOTER_MAX))
    return embed


def explanation_field(embed: discord.Embed, question: Question, *, inline: bool = False) -> None:
    """Add the key, the explanation and the first doc link to `embed`."""
    key = ", ".join(question.answer)
    embed.add_field(
        name=f"Answer: {key}", value=truncate(question.explanation, FIELD_VALUE_MAX), inline=inline
    )
    links = "\n".join(question.links)
    embed.add_field(name="Read more", value=truncate(links, FIELD_VALUE_MAX), inline=inline)


@asynccontextmanager
async def user_errors(interaction: discord.Interaction) -> AsyncIterator[None]:
    """Answer a ServiceError raised inside a component callback, ephemerally.

    Errors in DynamicItem callbacks only reach View.on_error, so callbacks handle the
    user-facing ones themselves; anything else propagates and is logged there.
    """
    try:
        yield
    except ServiceError as exc:
        await send_ephemeral(interaction, str(exc))


async def send_ephemeral(interaction: discord.Interaction, message: str) -> None:
    """Answer ephemerally whether or not the interaction was already acknowledged."""
    try:
        if interaction.response.is_done():
            await interaction.followup.send(message, ephemeral=True)
        else:
            await interaction.response.send_message(message, ephemeral=True)
    except discord.HTTPException as exc:
        log.warning("could not answer user %s (%s): %s", interaction.user.id, exc, message)


def button(
    custom_id: str,
    label: str,
    *,
    style: discord.ButtonStyle = discord.ButtonStyle.secondary,
    disabled: bool = False,
    emoji: str | None = None,
) -> discord.ui.Button[Any]:
    return discord.ui.Button(
        custom_id=custom_id,
        label=truncate(label, LABEL_MAX),
        style=style,
        disabled=disabled,
        emoji=emoji,
    )


def study_bot(interaction: discord.Interaction) -> StudyBot:
    """The bot behind an interaction, typed as ours."""
    bot: StudyBot = interaction.client  # type: ignore[assignment]
    return bot


async def timezone_autocomplete(
    _interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    """IANA timezone suggestions for any `timezone` option."""
    return [app_commands.Choice(name=z, value=z) for z in autocomplete(current)]
