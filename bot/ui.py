"""What the cogs share: colours, truncation, question embeds, the options every command
reads the same way (domains, timezones), and the one permission check for admin commands."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.content import LETTERS, ContentStore, Question
from bot.services.errors import InvalidInput, clip
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


def drop_when(upcoming: datetime, now: datetime) -> str:
    """When the next daily drop comes: "now" for one due at once (today's has not gone out
    yet, e.g. after a move west), else the moment in the reader's own time."""
    if upcoming <= now:
        return "now (today's has not gone out yet)"
    return discord.utils.format_dt(upcoming, "F")


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


BAR = 12


def answer_bars(question: Question, counts: dict[str, int], answered: int) -> str:
    """How a group answered: a bar per option, the key ticked."""
    lines = []
    for letter in question.letters:
        n = counts.get(letter, 0)
        share = n / answered if answered else 0.0
        fill = round(share * BAR)
        mark = "✅" if letter in question.answer else "▫️"
        lines.append(f"{mark} **{letter}** `{'█' * fill}{'░' * (BAR - fill)}` {n} ({share:.0%})")
    return "\n".join(lines)


def study_bot(interaction: discord.Interaction) -> StudyBot:
    """The bot behind an interaction, typed as ours."""
    bot: StudyBot = interaction.client  # type: ignore[assignment]
    return bot


async def timezone_autocomplete(
    _interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    """IANA timezone suggestions for any `timezone` option."""
    return [app_commands.Choice(name=z, value=z) for z in autocomplete(current)]


# -- the one permission check ------------------------------------------------------------------
ADMIN_PERMISSIONS = discord.Permissions(manage_guild=True)


def is_manager(interaction: discord.Interaction) -> bool:
    """Whether the member may run admin commands here (Manage Server or Administrator)."""
    perms = interaction.permissions
    return bool(perms.manage_guild or perms.administrator)


async def _manager_check(interaction: discord.Interaction) -> bool:
    if interaction.guild_id is None:
        raise app_commands.NoPrivateMessage("This command only works in a server.")
    if not is_manager(interaction):
        raise app_commands.MissingPermissions(["manage_guild"])
    return True


manager_only = app_commands.check(_manager_check)
"""The check of every admin command (beside its group's default_permissions)."""


# -- options read from the content -------------------------------------------------------------
MIXED = "mixed"


def domain_choices(content: ContentStore, *, mixed: bool = False) -> list[app_commands.Choice[str]]:
    """The blueprint's domains as choices (and "mixed, weighted like the exam" first)."""
    choices = [
        app_commands.Choice(name=truncate(d.name, 100), value=d.id)
        for d in content.blueprint.domains
    ]
    if mixed:
        choices.insert(0, app_commands.Choice(name="Mixed, weighted like the exam", value=MIXED))
    return choices


class DomainTransformer(app_commands.Transformer):
    """A domain of the blueprint: offered by autocomplete, checked when used."""

    mixed = False

    async def autocomplete(  # type: ignore[override]
        self, interaction: discord.Interaction, value: str
    ) -> list[app_commands.Choice[str]]:
        choices = domain_choices(study_bot(interaction).content, mixed=self.mixed)
        typed = value.casefold().strip()
        return [c for c in choices if typed in c.name.casefold() or typed in c.value][:25]

    async def transform(self, interaction: discord.Interaction, value: str) -> str:
        content = study_bot(interaction).content
        chosen = value.strip().casefold()
        if chosen == MIXED and self.mixed:
            return MIXED
        for d in content.blueprint.domains:
            if chosen in (d.id, d.name.casefold()):
                return d.id
        ids = ", ".join(d.id for d in content.blueprint.domains)
        raise InvalidInput(f"Unknown domain {clip(value)!r}: pick one from the list ({ids}).")


class ScopeTransformer(DomainTransformer):
    mixed = True


Domain = app_commands.Transform[str, DomainTransformer]
"""A `domain` option: one of the blueprint's domains."""
Scope = app_commands.Transform[str, ScopeTransformer]
"""A quiz scope: "mixed" or one of the blueprint's domains."""
