"""The scheduled side of daily drops: post, retry, reveal, refresh counters, weekly summary."""

from __future__ import annotations

import logging
import random
from datetime import datetime

import discord

from bot import logs
from bot.app import StudyBot
from bot.services import daily, drop_answers, drop_days
from bot.services.errors import NotFound
from bot.ui import CONTENT_MAX, truncate
from cogs.daily import render
from cogs.daily.views import drop_view

log = logging.getLogger(__name__)
THREAD_EXISTS = 160004  # "A thread has already been created for this message"


class DailyJobs:
    def __init__(self, bot: StudyBot) -> None:
        self.bot = bot
        self.rng = random.Random()

    async def tick(self, now: datetime) -> None:
        """Everything due at `now`: drops (new and retried) and reveals."""
        work = await self.bot.db.read(daily.due_work, now, self.bot.owns_guild)
        guard = self.bot.boundary
        for broken in self.bot.until_stopping(work.broken):
            async with guard("daily", guild=broken.guild_id):
                await self.pause(broken.guild_id, broken.reason, now)
        for item in self.bot.until_stopping(work.missed):
            async with guard("daily", guild=item.guild_id, key=item.key):
                await self.skip(item, now)
        for item in self.bot.until_stopping(work.due):
            async with guard("daily", guild=item.guild_id, key=item.key):
                await self.post_due(item, now)
        for drop in self.bot.until_stopping(work.retries):
            async with guard("daily", guild=drop.guild_id, drop=drop.id):
                claimed = await self.bot.db.write(daily.claim_retry, drop, now)
                if claimed is not None:
                    await self.post(drop.id, now, since=claimed.since)
        for drop_id in self.bot.until_stopping(work.reveals):
            async with guard("daily", drop=drop_id):
                await self.reveal(drop_id, now)

    async def pause(self, guild_id: int, reason: str, now: datetime) -> None:
        """Pause a guild whose drops cannot work and tell the admin who set them up, once."""
        settings = await self.bot.db.write(daily.pause_broken, guild_id, reason, now)
        if settings is None:
            return
        log.warning("paused the daily drops of guild %s: %s", guild_id, reason)
        await self.bot.outbox.dm(
            settings.setup_by,
            content=truncate(
                f"I paused the daily question drops in your server: {settings.pause_reason}",
                CONTENT_MAX,
            ),
        )

    async def skip(self, item: daily.DueDrop, now: datetime) -> None:
        if await self.bot.db.write(daily.skip, item, now):
            log.warning("skipped the stale drop %s (due %s)", item.key, item.due_at)

    async def post_due(self, item: daily.DueDrop, now: datetime) -> int | None:
        """Post the drop for `item` unless the day is over or another process has it."""
        settings = await self.bot.db.read(daily.get_settings, item.guild_id)
        if daily.local_day(settings, now) != item.day:  # its local day is over
            await self.skip(item, now)
            return None
        try:
            drop = await self.bot.db.write(daily.create_drop, self.bot.content, item, now, self.rng)
        except NotFound as error:  # no questions to choose from: it can never work
            await self.pause(item.guild_id, str(error), now)
            return None
        if drop is None:
            return None
        await self.post(drop.id, now)
        return drop.id

    async def post(self, drop_id: int, now: datetime, since: datetime | None = None) -> bool:
        """Post a claimed drop; `since`: a retry, whose earlier attempt began then."""
        drop, settings = await self.bot.db.read(daily.drop_and_settings, drop_id)
        with logs.context(guild=drop.guild_id, key=drop_days.key_of(drop)):
            return await self._post(drop, settings, now, since)

    async def _post(
        self,
        drop: daily.DailyDrop,
        settings: daily.GuildSettings,
        now: datetime,
        since: datetime | None,
    ) -> bool:
        drop_id = drop.id
        content = self.bot.content
        ping = f"<@&{settings.role_id}>" if settings.role_id else None
        sent = await self.bot.outbox.send(
            settings.channel_id,
            key=drop_days.key_of(drop),
            since=since,
            content=ping,
            embed=render.drop_embed(content, drop),
            view=drop_view(content, drop),
            allowed_mentions=discord.AllowedMentions(roles=True),
        )
        self.bot.metrics.sends.labels("daily", sent.outcome.name.lower()).inc()
        if sent.ok and sent.message is not None:
            await self.bot.db.write(
                daily.posted, drop_id, sent.message.id, now, settings.channel_id
            )
            return True
        paused = await self.bot.db.write(daily.post_failed, drop_id, sent.detail, now)
        log.warning("drop %s failed to post: %s", drop_id, sent.detail)
        if paused is not None:
            await self.bot.outbox.dm(
                paused.setup_by,
                content=f"I paused the daily question drops in your server: "
                f"{paused.pause_reason}. Fix the channel or my permissions, then run "
                "`/daily resume` (or `/daily setup` with another channel).",
            )
        return False

    async def reveal(self, drop_id: int, now: datetime) -> bool:
        stats = await self.bot.db.write(drop_answers.claim_reveal, drop_id, now)
        if stats is None:
            return False
        content, drop = self.bot.content, stats.drop
        message = self.drop_message(drop)
        error, thread_id = None, None
        try:
            async with self.bot.limiter:
                await message.edit(
                    embed=render.reveal_embed(content, stats),
                    view=drop_view(content, drop, closed=True),
                )
        except discord.HTTPException as exc:
            error = f"{exc.status} {exc.code}: {exc.text}"
            log.warning("reveal of drop %s failed: %s", drop_id, error)
        self.bot.metrics.sends.labels("reveal", "failed" if error else "sent").inc()
        if error is None:  # the edit is the same on a retry; the thread may exist already
            thread_id = self._thread_of(drop) if stats.since else None
            thread_id = thread_id or await self._open_thread(message, drop)
        await self.bot.db.write(drop_answers.revealed, drop_id, now, thread_id, error)
        return error is None

    def drop_message(self, drop: daily.DailyDrop) -> discord.PartialMessage:
        assert drop.message_id is not None
        channel = self.bot.get_partial_messageable(drop.channel_id, guild_id=drop.guild_id)
        return channel.get_partial_message(drop.message_id)

    def _thread_of(self, drop: daily.DailyDrop) -> int | None:
        """The drop's discussion thread, if an earlier attempt of its reveal opened it (a
        thread started from a message has the message's id)."""
        guild = self.bot.get_guild(drop.guild_id)
        thread = guild.get_thread(drop.message_id) if guild and drop.message_id else None
        return thread.id if thread is not None else None

    async def _open_thread(
        self, message: discord.PartialMessage, drop: daily.DailyDrop
    ) -> int | None:
        try:
            async with self.bot.limiter:
                thread = await message.create_thread(
                    name=f"Discuss: {drop.question_id} ({drop.local_date:%d %b})",
                    auto_archive_duration=1440,
                )
        except discord.HTTPException as exc:
            if exc.code == THREAD_EXISTS:  # an earlier attempt opened it: the message's id
                return message.id
            log.info("no discussion thread for drop %s (%s)", drop.id, exc)
            return None
        except ValueError as exc:
            log.info("no discussion thread for drop %s (%s)", drop.id, exc)
            return None
        return thread.id

    async def refresh_counters(self, now: datetime) -> None:
        """Show how many answered, at most once per refresh interval per drop."""
        drops = await self.bot.db.read(drop_answers.counters_to_refresh, self.bot.owns_guild)
        for drop in self.bot.until_stopping(drops):
            async with self.bot.boundary("daily-counters", guild=drop.guild_id, drop=drop.id):
                await self._refresh(drop)

    async def _refresh(self, drop: daily.DailyDrop) -> None:
        content = self.bot.content
        try:
            async with self.bot.limiter:
                await self.drop_message(drop).edit(
                    embed=render.drop_embed(content, drop, answered=drop.answers),
                    view=drop_view(content, drop),
                )
        except discord.HTTPException as exc:
            log.info("could not refresh drop %s: %s", drop.id, exc.code)
        await self.bot.db.write(drop_answers.counter_shown, drop.id, drop.answers)

    async def weekly_summaries(self, now: datetime) -> int:
        """Last week's top 5 and biggest improver in each daily channel, once per week."""
        due = await self.bot.db.read(daily.due_summaries, now, self.bot.owns_guild)
        sent_count = 0
        for guild_id, week in self.bot.until_stopping(due):
            async with self.bot.boundary("weekly-summary", guild=guild_id, week=week):
                sent_count += await self._summary(guild_id, week, now)
        return sent_count

    async def _summary(self, guild_id: int, week: str, now: datetime) -> int:
        claimed = await self.bot.db.write(daily.claim_summary, guild_id, week, now)
        if claimed is None:
            return 0
        key = claimed.claim.key
        sent = await self.bot.outbox.send(
            claimed.channel_id,
            key=key,
            since=claimed.claim.since,
            embed=render.summary_embed(claimed.summary),
            allowed_mentions=discord.AllowedMentions.none(),
        )
        self.bot.metrics.sends.labels("summary", sent.outcome.name.lower()).inc()
        await self.bot.outbox.record(key, now, sent)
        return int(sent.ok)
