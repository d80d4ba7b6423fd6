"""The one base for every button and select, and the one reply path for errors.

A component is a `discord.ui.DynamicItem` whose class owns its custom_id: the class names a
`prefix` and its `fields`, `build(...)` writes the custom_id and the same class parses it
when a click arrives (after a restart too), next to the callback that handles it:

    class QuizNext(Button, prefix="quiz:n", fields=(SESSION, POSITION)):
        async def run(self, interaction: discord.Interaction) -> None:
            ...  # self.values["session"], self.values["position"]

    QuizNext.build("Next question", session=12, position=3)  # a discord.ui.Button
    QuizNext.make_id(session=12, position=3)  # "quiz:n:12:3"

`run` never has to catch anything: a `ServiceError` is answered with its message, an
interaction that arrived too late to answer is logged once, and anything else is logged
with the custom_id, the user and the guild and answered with an apology, so no click ever
ends in Discord's "This interaction failed". Slash commands share the same reply
(`answer_error`, used by the command tree).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Generic, TypeVar

import discord

from bot import logs
from bot.services.errors import ServiceError

log = logging.getLogger(__name__)

CUSTOM_ID_MAX = 100
LABEL_MAX = 80
UNKNOWN_INTERACTION = 10062  # the 3 seconds to acknowledge had passed
INVALID_WEBHOOK_TOKEN = 50027  # the 15 minutes to follow up had passed
APOLOGY = "Something went wrong on our side; it has been logged. Please try again."

ItemT = TypeVar("ItemT", bound=discord.ui.Item[Any])


@dataclass(frozen=True)
class Field:
    """One part of a custom_id: its name, the pattern it matches, and its type."""

    name: str
    pattern: str
    convert: Callable[[str], Any] = str


def number(name: str) -> Field:
    return Field(name, r"\d+", int)


def word(name: str, pattern: str = r"[a-z_]+") -> Field:
    return Field(name, pattern)


LETTER = Field("choice", r"[A-F]")


async def send_ephemeral(interaction: discord.Interaction, message: str) -> None:
    """Answer ephemerally whether or not the interaction was already acknowledged."""
    try:
        if interaction.response.is_done():
            await interaction.followup.send(message, ephemeral=True)
        else:
            await interaction.response.send_message(message, ephemeral=True)
    except discord.HTTPException as exc:
        if too_late(exc):
            log.warning(
                "interaction from user %s expired before we could answer: %s",
                interaction.user.id,
                message[:100],
            )
        else:
            log.warning("could not answer user %s (%s): %s", interaction.user.id, exc, message)


def interaction_age(interaction: discord.Interaction) -> float:
    """Seconds since Discord created the interaction, by the bot's clock (its `now()`, the
    wall clock in production) against the time in the interaction's id."""
    clock = getattr(interaction.client, "now", None)
    now: datetime = clock() if callable(clock) else discord.utils.utcnow()
    return (now - interaction.created_at).total_seconds()


def too_late(error: BaseException) -> bool:
    """Discord no longer takes a response: the 3 seconds to acknowledge (10062 Unknown
    interaction) or the 15 minutes to follow up (50027 Invalid Webhook Token) had passed."""
    return isinstance(error, discord.HTTPException) and error.code in (
        UNKNOWN_INTERACTION,
        INVALID_WEBHOOK_TOKEN,
    )


async def answer_error(interaction: discord.Interaction, error: BaseException, what: str) -> str:
    """Answer `error` (raised while handling `what`) and return the outcome's name."""
    if isinstance(error, ServiceError):
        await send_ephemeral(interaction, str(error))
        return "refused"
    if too_late(error):
        age = interaction_age(interaction)
        log.warning(
            "%s from user %s (guild %s) was answered too late (%.1f s after it was sent); "
            "Discord had closed it",
            what,
            interaction.user.id,
            interaction.guild_id,
            age,
        )
        return "late"
    log.error(
        "%s failed (user %s, guild %s)",
        what,
        interaction.user.id,
        interaction.guild_id,
        exc_info=error,
    )
    await send_ephemeral(interaction, APOLOGY)
    return "error"


class Component(discord.ui.DynamicItem[ItemT], Generic[ItemT], template=r"(?!)"):
    """Base of every interactive component (see the module docstring)."""

    prefix: ClassVar[str]
    fields: ClassVar[tuple[Field, ...]]

    def __init_subclass__(
        cls, *, prefix: str | None = None, fields: tuple[Field, ...] = (), **kwargs: Any
    ) -> None:
        if prefix is None:  # an intermediate base (Button, Select): matches nothing
            super().__init_subclass__(template=kwargs.pop("template", r"(?!)"), **kwargs)
            return
        cls.prefix, cls.fields = prefix, fields
        parts = "".join(f":(?P<{f.name}>{f.pattern})" for f in fields)
        super().__init_subclass__(template=f"^{re.escape(prefix)}{parts}$", **kwargs)

    def __init__(self, item: ItemT, **values: Any) -> None:
        super().__init__(item)
        self.values = values

    @classmethod
    def make_id(cls, **values: Any) -> str:
        """The custom_id for these values; checked against the class's own template."""
        custom_id = cls.prefix + "".join(f":{values[f.name]}" for f in cls.fields)
        if len(custom_id) > CUSTOM_ID_MAX or not cls.__discord_ui_compiled_template__.match(
            custom_id
        ):
            raise ValueError(f"{custom_id!r} does not fit {cls.__name__}")
        return custom_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Any:
        values = {f.name: f.convert(match[f.name]) for f in cls.fields}
        return cls(item, **values)  # type: ignore[arg-type]

    async def callback(self, interaction: discord.Interaction) -> None:
        bot: Any = interaction.client
        tracked = hasattr(bot, "interaction_started")  # our bot (metrics, clean shutdown)
        logs.bind(guild=interaction.guild_id, user=interaction.user.id, custom_id=self.custom_id)
        if tracked and bot.stopping:
            await send_ephemeral(interaction, "The bot is restarting; try again in a minute.")
            return
        if tracked:
            bot.interaction_started(interaction, "component", self.prefix)
        outcome = "ok"
        try:
            await self.run(interaction)
        except Exception as error:
            outcome = await answer_error(interaction, error, f"component {self.custom_id!r}")
        finally:
            if tracked:
                bot.interaction_finished(interaction, outcome)

    async def run(self, interaction: discord.Interaction) -> None:
        raise NotImplementedError  # every concrete component defines it


class Button(Component[discord.ui.Button[Any]]):
    """A button whose custom_id its class owns."""

    @classmethod
    def build(
        cls,
        label: str,
        *,
        style: discord.ButtonStyle = discord.ButtonStyle.secondary,
        disabled: bool = False,
        emoji: str | None = None,
        **values: Any,
    ) -> discord.ui.Button[Any]:
        text = label if len(label) <= LABEL_MAX else label[: LABEL_MAX - 1] + "…"
        return discord.ui.Button(
            custom_id=cls.make_id(**values),
            label=text,
            style=style,
            disabled=disabled,
            emoji=emoji,
        )


class Select(Component[discord.ui.Select[Any]]):
    """A select menu whose custom_id its class owns."""

    @classmethod
    def build(
        cls,
        options: list[discord.SelectOption],
        *,
        placeholder: str,
        min_values: int = 1,
        max_values: int = 1,
        disabled: bool = False,
        **values: Any,
    ) -> discord.ui.Select[Any]:
        return discord.ui.Select(
            custom_id=cls.make_id(**values),
            placeholder=placeholder[:150],
            min_values=min_values,
            max_values=max_values,
            options=options,
            disabled=disabled,
        )

    @property
    def picked(self) -> str:
        """The picked values, joined (letters of a multiple-select answer)."""
        return "".join(self.item.values)


def view_of(*items: discord.ui.Item[Any]) -> discord.ui.View:
    """The components to send with a message, as a view that is stopped at once.

    The components' classes (registered with `add_dynamic_items`) handle every click, so
    discord.py needs to keep nothing per message. It would otherwise store each live view
    it sends (for 15 minutes with a timer task when ephemeral, for ever otherwise) and
    dispatch every click a second time, to the stored view, on the event loop. A stopped
    view's components are sent all the same."""
    view = discord.ui.View(timeout=None)
    for item in items:
        view.add_item(item)
    view.stop()
    return view
