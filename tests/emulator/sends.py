"""Creating a channel message exactly once: Discord's nonce rule, and the hooks tests use to
make a send die half-way.

Discord's rule (Create Message, `enforce_nonce`): "If true and nonce is present, it will be
checked for uniqueness in the past few minutes. If another message was created by the same
author with the same nonce, that message will be returned and no new message will be
created." The nonce is an integer or a string of at most 25 characters; it is echoed in the
create response and in MESSAGE_CREATE, and not stored with the message (a fetch or a
history read does not show it). discord.py sends `enforce_nonce` with every nonce, and a
random nonce when the caller gives none. A repeated nonce whose message was deleted since
answers 404 Unknown Message (discord.py documents NotFound for it).
"""

# ruff: noqa: ASYNC109  -- `timeout=` parameters are this test API's documented interface

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from .models import Message

NONCE_MAX = 25
NONCE_WINDOW = 300.0  # seconds: "the past few minutes"


class NonceBook:
    """The nonces of the last `window` seconds, per channel (the author is the bot)."""

    def __init__(self, clock: Callable[[], datetime], window: float = NONCE_WINDOW) -> None:
        self.clock, self.window = clock, window
        self._seen: dict[tuple[int, str], tuple[int, datetime]] = {}

    def earlier(self, channel_id: int, nonce: str) -> int | None:
        """The id of the message created with `nonce` in the channel within the window."""
        found = self._seen.get((channel_id, nonce))
        if found is None:
            return None
        message_id, at = found
        if self.clock() - at > timedelta(seconds=self.window):
            del self._seen[(channel_id, nonce)]
            return None
        return message_id

    def remember(self, channel_id: int, nonce: str, message_id: int) -> None:
        self._seen[(channel_id, nonce)] = (message_id, self.clock())


def nonce_problem(nonce: Any) -> str | None:
    """Why Discord refuses this nonce (None: it accepts it)."""
    if isinstance(nonce, bool) or not isinstance(nonce, int | str):
        return "Nonce must be a string or integer."
    if isinstance(nonce, str) and len(nonce) > NONCE_MAX:
        return f"Must be {NONCE_MAX} or fewer in length."
    return None


@dataclass(eq=False)
class SendHold:
    """One message-create request in a channel, caught for a test (`hold_sends`).

    `created=False`: held when it arrives, before anything happens — `drop()` loses it (the
    bot died before its request got through), `release()` lets it go on. `created=True`:
    the message is created, then the response is held — `drop()` loses the response (the
    bot died before it heard back), `release()` answers.
    """

    channel_id: int
    created: bool
    reached: asyncio.Event = field(default_factory=asyncio.Event)
    message: Message | None = None  # the message created (created=True), once reached
    nonce: str | None = None
    _decided: asyncio.Event = field(default_factory=asyncio.Event)
    dropped: bool = False

    async def wait(self, timeout: float = 5.0) -> SendHold:
        """Until the request arrived (and, with created=True, its message exists)."""
        await asyncio.wait_for(self.reached.wait(), timeout)
        return self

    def release(self) -> None:
        self._decided.set()

    def drop(self) -> None:
        self.dropped = True
        self._decided.set()

    async def hold(self) -> bool:
        """(The emulator's side.) Signal the test and wait; True when released."""
        self.reached.set()
        await self._decided.wait()
        return not self.dropped
