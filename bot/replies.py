"""Answering an interaction within Discord's 3-second deadline, however slow the work.

Discord closes an interaction that is not acknowledged within 3 seconds of its creation:
the member sees "The application did not respond" and every later response fails with
10062 Unknown interaction. A handler's work is mostly a database call, which is quick
until it is not (SQLite's one writer behind a long write or a lock, PostgreSQL behind a
row lock or an exhausted pool). A `Reply` waits for the work only until the interaction
is DEFER_AFTER old, then acknowledges it (defers) and answers with the follow-up when the
work is done:

    reply = Reply(interaction, edit=True)  # the answer edits the clicked message
    done = await reply.after(bot.db.write(quiz.answer, …))
    await reply.edit(embed=…, view=…)  # the response, or after a defer an edit

Quick work costs one request, as before; only slow work costs the extra acknowledgement.

When even the acknowledgement comes too late, `after` still returns the work's result and
`send`/`edit` raise Discord's error, so a caller that started something the member will
never see can undo it (`send_started`) before the error is logged, once, by the
component's or the command tree's handler (`bot.components.answer_error`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import discord

from bot.components import interaction_age, too_late

T = TypeVar("T")

# Seconds after an interaction's creation (by its snowflake, or by our own clock from when
# the handler began, whichever says less time is left) by which it is acknowledged: well
# inside the 3 s, leaving the acknowledgement's own round trip room on a busy loop.
DEFER_AFTER = 1.0


class Reply:
    """One interaction's answer: a new ephemeral message (`send`), or an edit of the clicked
    message (`edit`, for a component made with `edit=True`). See the module docstring."""

    def __init__(
        self, interaction: discord.Interaction, *, edit: bool = False, ephemeral: bool = True
    ) -> None:
        self.interaction = interaction
        self.edits = edit
        self.ephemeral = ephemeral
        self.failed: discord.HTTPException | None = None  # the acknowledgement's error
        self._began = time.monotonic()

    def time_left(self) -> float:
        """Seconds until the interaction should be acknowledged (negative: overdue)."""
        age = interaction_age(self.interaction)
        ours = time.monotonic() - self._began
        return DEFER_AFTER - max(age, ours)

    async def after(self, work: Awaitable[T]) -> T:
        """The result of `work`; the interaction is acknowledged first if the work is not
        done in time."""
        task = asyncio.ensure_future(work)
        left = self.time_left()
        if left > 0:
            await asyncio.wait({task}, timeout=left)
        if not task.done():
            await self.acknowledge()
        return await task

    async def acknowledge(self) -> None:
        """Defer: a "thinking…" message for a new reply, a silent acknowledgement for an
        edit. A failure is kept and raised by the answer that follows."""
        response = self.interaction.response
        if response.is_done() or self.failed is not None:
            return
        try:
            if self.edits:
                await response.defer()
            else:
                await response.defer(ephemeral=self.ephemeral, thinking=True)
        except discord.HTTPException as error:
            self.failed = error

    async def send(self, content: str | None = None, **fields: Any) -> None:
        """A new message: the response, or after a defer the follow-up that replaces the
        "thinking…" message."""
        if self.failed is not None:
            raise self.failed
        given = {k: v for k, v in fields.items() if v is not None}
        if content is not None:
            given["content"] = content
        if self.interaction.response.is_done():
            await self.interaction.followup.send(ephemeral=self.ephemeral, **given)
        else:
            await self.interaction.response.send_message(ephemeral=self.ephemeral, **given)

    async def send_started(
        self, undo: Callable[[], Awaitable[object]], content: str | None = None, **fields: Any
    ) -> None:
        """`send` the first screen of something the work started (a quiz, an exam); when
        Discord had already closed the interaction the member never saw it, so `undo()` it
        rather than leave it running, then raise as `send` does."""
        try:
            await self.send(content, **fields)
        except discord.HTTPException as error:
            if too_late(error):
                await undo()
            raise

    async def edit(self, **fields: Any) -> None:
        """Edit the clicked message: the response, or after a defer an edit of it."""
        if self.failed is not None:
            raise self.failed
        if self.interaction.response.is_done():
            await self.interaction.edit_original_response(**fields)
        else:
            await self.interaction.response.edit_message(**fields)
