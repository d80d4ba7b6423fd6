"""Scheduled sends to channels and DMs: paced, with Discord's failures turned into outcomes.

DM channel ids are stored, so a DM costs one request. 50007 (DMs closed) marks the member's
DMs closed until they next use a command; 40003 (opening DMs too fast) slows the sender.

Exactly once as the member sees it: a send with a delivery `key` (bot/services/deliveries.py)
holds the key's lease while it runs and goes out with a nonce derived from the key; Discord
(with `enforce_nonce`, which discord.py sets for any nonce) returns the message already
created with that nonce in the last few minutes instead of creating a second one. A retry
(`since`: an earlier attempt, possibly killed after Discord accepted it, began then) first
looks through the channel's messages since that moment for the bot's own message with the
same content, embed titles and component ids, and returns it instead of sending again; that
covers a retry that comes after the nonce's few minutes, e.g. after a long restart.
"""

from __future__ import annotations

import enum
import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import discord

from bot.db import Database
from bot.leases import Leases
from bot.limiter import Limiter
from bot.services import deliveries, members

log = logging.getLogger(__name__)

DMS_CLOSED = 50007
OPENING_DMS_TOO_FAST = 40003
UNKNOWN_CHANNEL = 10003
MISSING_PERMISSIONS = 50013
MISSING_ACCESS = 50001
NONCE_MAX = 25  # characters Discord accepts in a nonce
SKEW = timedelta(minutes=1)  # look for an earlier attempt from a minute before it began
HISTORY = 100  # messages read (one request) when looking for an earlier attempt


class Outcome(enum.Enum):
    SENT = "sent"
    CLOSED = "dms closed"
    GONE = "channel gone or permission missing"
    RETRY = "try again later"


@dataclass(frozen=True)
class Sent:
    outcome: Outcome
    message: discord.Message | None = None
    detail: str = ""
    recovered: bool = False  # the message of an earlier attempt, found in the channel

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.SENT


class Outbox:
    def __init__(
        self,
        client: discord.Client,
        db: Database,
        limiter: Limiter,
        clock: Any,
        leases: Leases | None = None,
    ) -> None:
        self.client = client
        self.db = db
        self.limiter = limiter
        self.clock = clock
        self.leases = leases or Leases(db)
        # members whose DMs are closed: kept in memory so that a command costs no query
        self.closed: set[int] = set()

    async def load(self) -> None:
        self.closed = set(await self.db.read(members.dms_closed))

    async def send(
        self,
        channel_id: int,
        *,
        key: str | None = None,
        since: datetime | None = None,
        **kwargs: Any,
    ) -> Sent:
        """Send to a channel; with `key`, exactly once (see the module's docstring)."""
        channel = self.client.get_partial_messageable(channel_id)
        try:
            message, recovered = await self._deliver(channel, key, since, kwargs)
        except (discord.NotFound, discord.Forbidden) as exc:
            return Sent(Outcome.GONE, detail=f"{exc.status} {exc.code}: {exc.text}")
        except discord.HTTPException as exc:
            return Sent(Outcome.RETRY, detail=f"{exc.status} {exc.code}: {exc.text}")
        return Sent(Outcome.SENT, message, recovered=recovered)

    async def _deliver(
        self,
        channel: discord.PartialMessageable,
        key: str | None,
        since: datetime | None,
        kwargs: dict[str, Any],
    ) -> tuple[discord.Message, bool]:
        with self.leases.hold(key):
            if since is not None:
                earlier = await self.find_earlier(channel, since, kwargs)
                if earlier is not None:
                    log.info("%s reached Discord before (message %s)", key, earlier.id)
                    return earlier, True
            if key is not None:
                kwargs = {**kwargs, "nonce": nonce_for(key)}
            async with self.limiter:
                return await channel.send(**kwargs), False

    async def find_earlier(
        self, channel: discord.PartialMessageable, since: datetime, kwargs: dict[str, Any]
    ) -> discord.Message | None:
        """The bot's own message in `channel` since `since` that matches the one `kwargs`
        would send (same content, embed titles and component ids), if any."""
        me = self.client.user
        if me is None:
            return None
        wanted = outgoing_identity(kwargs)
        after = discord.Object(id=discord.utils.time_snowflake(since - SKEW))
        try:
            async with self.limiter:
                async for message in channel.history(limit=HISTORY, after=after):
                    if (
                        message.author.id == me.id
                        and message.interaction_metadata is None
                        and message_identity(message) == wanted
                    ):
                        return message
        except discord.HTTPException as exc:  # the send that follows meets the same fate
            log.info("could not read channel %s's messages: %s", channel.id, exc.code)
        return None

    async def dm(
        self,
        user_id: int,
        *,
        key: str | None = None,
        since: datetime | None = None,
        **kwargs: Any,
    ) -> Sent:
        """DM a member, unless their DMs are known to be closed; with `key`, exactly once."""
        if user_id in self.closed:
            return Sent(Outcome.CLOSED, detail="DMs closed")
        channel_id = await self.db.read(members.dm_channel, user_id)
        try:
            if channel_id is None:
                async with self.limiter:
                    dm = await self.client.create_dm(discord.Object(id=user_id))
                channel_id = dm.id
                await self._remember(user_id, dm_channel_id=channel_id)
            channel = self.client.get_partial_messageable(
                channel_id, type=discord.ChannelType.private
            )
            message, recovered = await self._deliver(channel, key, since, kwargs)
        except discord.HTTPException as exc:
            return await self._dm_failed(user_id, exc)
        return Sent(Outcome.SENT, message, recovered=recovered)

    async def record(self, key: str, now: datetime, sent: Sent) -> None:
        """Record in `key`'s delivery row how its send went: retried by the next tick when
        Discord said "not now", else sent (with the message) or failed."""
        await self.db.write(
            deliveries.record_outcome,
            key,
            now,
            retry=sent.outcome is Outcome.RETRY,
            ok=sent.ok,
            detail=sent.detail,
            message_id=sent.message.id if sent.message else None,
        )

    async def _dm_failed(self, user_id: int, exc: discord.HTTPException) -> Sent:
        detail = f"{exc.status} {exc.code}: {exc.text}"
        if exc.code == DMS_CLOSED:
            self.closed.add(user_id)
            await self._remember(user_id, dms_closed=True)
            log.info("DMs closed for user %s; no more DMs until they use a command", user_id)
            return Sent(Outcome.CLOSED, detail=detail)
        if exc.code == OPENING_DMS_TOO_FAST:
            self.limiter.slow_down(5.0)
            log.warning("Discord says we open DMs too fast; slowing down")
            return Sent(Outcome.RETRY, detail=detail)
        if exc.code == UNKNOWN_CHANNEL:
            await self._remember(user_id, dm_channel_id=None)
        return Sent(Outcome.RETRY, detail=detail)

    async def _remember(self, user_id: int, **values: Any) -> None:
        await self.db.write(members.upsert_member, user_id, now=self.clock(), **values)

    async def reopen_dms(self, user_id: int) -> None:
        """The member used a command again: DMs may be tried once more."""
        if user_id in self.closed:
            self.closed.discard(user_id)
            await self.db.write(members.reopen_dms, user_id)


# -- exactly once: the nonce, and what makes two messages the same --------------------------------
Identity = tuple[str, tuple[str, ...], frozenset[str]]


def nonce_for(key: str) -> str:
    """The nonce of a delivery key's message: the same for every attempt, 25 characters."""
    return hashlib.sha256(key.encode()).hexdigest()[:NONCE_MAX]


def outgoing_identity(kwargs: dict[str, Any]) -> Identity:
    """What identifies the message `channel.send(**kwargs)` would create."""
    embeds = kwargs.get("embeds") or ([kwargs["embed"]] if kwargs.get("embed") else [])
    view: discord.ui.View | None = kwargs.get("view")
    items = view.walk_children() if view is not None else ()
    ids = (str(getattr(item, "custom_id", "") or "") for item in items)
    return _identity(kwargs.get("content"), (e.title for e in embeds), ids)


def message_identity(message: discord.Message) -> Identity:
    ids = []
    for component in message.components:
        for child in getattr(component, "children", [component]):
            custom_id = getattr(child, "custom_id", None)
            if custom_id:
                ids.append(custom_id)
    return _identity(message.content, (e.title for e in message.embeds), ids)


def _identity(content: str | None, titles: Iterable[str | None], ids: Iterable[str]) -> Identity:
    return (
        (content or "").strip(),
        tuple((t or "").strip() for t in titles),
        frozenset(i for i in ids if i),
    )
