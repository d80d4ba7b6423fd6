"""Scheduled sends to channels and DMs: paced, with Discord's failures turned into outcomes.

DM channel ids are stored, so a DM costs one request. 50007 (DMs closed) marks the member's
DMs closed until they next use a command; 40003 (opening DMs too fast) slows the sender.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from typing import Any

import discord

from bot.db import Database
from bot.limiter import Limiter
from bot.services import members

log = logging.getLogger(__name__)

DMS_CLOSED = 50007
OPENING_DMS_TOO_FAST = 40003
UNKNOWN_CHANNEL = 10003
MISSING_PERMISSIONS = 50013
MISSING_ACCESS = 50001


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

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.SENT


class Outbox:
    def __init__(self, client: discord.Client, db: Database, limiter: Limiter, clock: Any) -> None:
        self.client = client
        self.db = db
        self.limiter = limiter
        self.clock = clock
        # members whose DMs are closed: kept in memory so that a command costs no query
        self.closed: set[int] = set()

    async def load(self) -> None:
        self.closed = set(await self.db.read(members.dms_closed))

    async def send(self, channel_id: int, **kwargs: Any) -> Sent:
        channel = self.client.get_partial_messageable(channel_id)
        try:
            async with self.limiter:
                message = await channel.send(**kwargs)
        except (discord.NotFound, discord.Forbidden) as exc:
            return Sent(Outcome.GONE, detail=f"{exc.status} {exc.code}: {exc.text}")
        except discord.HTTPException as exc:
            return Sent(Outcome.RETRY, detail=f"{exc.status} {exc.code}: {exc.text}")
        return Sent(Outcome.SENT, message)

    async def dm(self, user_id: int, **kwargs: Any) -> Sent:
        """DM a member, unless their DMs are known to be closed."""
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
            async with self.limiter:
                message = await channel.send(**kwargs)
        except discord.HTTPException as exc:
            return await self._dm_failed(user_id, exc)
        return Sent(Outcome.SENT, message)

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
