"""The scheduled side of daily drops: post, retry, reveal, refresh counters, weekly summary."""

from __future__ import annotations

import logging
import random
from datetime import datetime

import discord

from bot.app import StudyBot
from bot.outbox import Outcome
from bot.prepared import Runner
from bot.services import daily, deliveries, drop_answers, leaderboard
from bot.services.periods import iso_week, shift_week
from cogs.daily import render

log = logging.getLogger(__name__)


class DailyJobs:
    def __init__(self, bot: StudyBot) -> None:
        self.bot = bot
        self.rng = random.Random()

    async def tick(self, now: datetime) -> None:
        """Everything due at `now`: drops (new and retried), reveals, Monday summaries."""
        owns = self.bot.owns_guild
        async with self.bot.db.read() as session:
            due = await daily.due_drops(session, now, owns)
            missed = await daily.missed_drops(session, now, owns)
            retries = await daily.failed_drops(session, now, owns)
            reveals = await drop_answers.due_reveals(session, now, owns)
        for item in missed:
            await self.skip(item, now)
        for item in due:
            await self.post_due(item, now)
        for drop in retries:
            async with self.bot.db.begin() as session:
                claimed = await daily.claim_retry(session, drop, now)
            if claimed:
                await self.post(drop.id, now)
        for drop_id in reveals:
            await self.reveal(drop_id, now)

    async def skip(self, item: daily.DueDrop, now: datetime) -> None:
        async with self.bot.db.begin() as session:
            if await deliveries.claim(session, item.key, "daily", now):
                await deliveries.finish(
                    session, item.key, "skipped", now, detail="missed during downtime"
                )
                log.warning("skipped the stale drop %s (due %s)", item.key, item.due_at)

    async def post_due(self, item: daily.DueDrop, now: datetime) -> int | None:
        """Post the drop for `item` unless the day is over or another process has it."""
        async with self.bot.db.read() as session:
            settings = await daily.get_settings(session, item.guild_id)
        if daily.local_day(settings, now) != item.day:  # its local day is over
            await self.skip(item, now)
            return None
        async with self.bot.db.begin() as session:
            drop = await daily.create_drop(session, self.bot.content, item, now, self.rng)
            if drop is None:
                return None
            drop_id = drop.id
            summary_due = item.day.weekday() == 0
        await self.post(drop_id, now)
        if summary_due:
            await self.weekly_summary(item.guild_id, now)
        return drop_id

    async def post(self, drop_id: int, now: datetime) -> bool:
        async with self.bot.db.read() as session:
            drop = await session.get(daily.DailyDrop, drop_id)
            assert drop is not None
            settings = await daily.get_settings(session, drop.guild_id)
        embed, view = render.drop_message(self.bot.content, drop)
        ping = f"<@&{settings.role_id}>" if settings.role_id else None
        sent = await self.bot.outbox.send(
            settings.channel_id,
            content=ping,
            embed=embed,
            view=view,
            allowed_mentions=discord.AllowedMentions(roles=True),
        )
        async with self.bot.db.begin() as session:
            if sent.ok and sent.message is not None:
                await daily.posted(session, drop_id, sent.message.id, now)
                return True
            paused = await daily.post_failed(session, drop_id, sent.detail, now)
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
        async with self.bot.db.begin() as session:
            if not await drop_answers.claim_reveal(session, drop_id, now):
                return False
            stats = await drop_answers.reveal_stats(session, drop_id)
        embed, view = render.reveal_message(self.bot.content, stats)
        drop = stats.drop
        assert drop.message_id is not None
        message = self.drop_message(drop)
        error, thread_id = None, None
        try:
            async with self.bot.limiter:
                await message.edit(embed=embed, view=view)
        except discord.HTTPException as exc:
            error = f"{exc.status} {exc.code}: {exc.text}"
            log.warning("reveal of drop %s failed: %s", drop_id, error)
        if error is None:
            thread_id = await self._open_thread(message, drop)
        async with self.bot.db.begin() as session:
            await drop_answers.revealed(session, drop_id, now, thread_id=thread_id, error=error)
        return error is None

    def drop_message(self, drop: daily.DailyDrop) -> discord.PartialMessage:
        assert drop.message_id is not None
        channel = self.bot.get_partial_messageable(drop.channel_id, guild_id=drop.guild_id)
        return channel.get_partial_message(drop.message_id)

    async def _open_thread(
        self, message: discord.PartialMessage, drop: daily.DailyDrop
    ) -> int | None:
        try:
            async with self.bot.limiter:
                thread = await message.create_thread(
                    name=f"Discuss: {drop.question_id} ({drop.local_date:%d %b})",
                    auto_archive_duration=1440,
                )
        except (discord.HTTPException, ValueError) as exc:
            log.info("no discussion thread for drop %s (%s)", drop.id, exc)
            return None
        return thread.id

    async def refresh_counters(self, now: datetime) -> None:
        """Show how many answered, at most once per refresh interval per drop."""
        async with self.bot.db.read() as session:
            drops = await drop_answers.counters_to_refresh(session, self.bot.owns_guild)
        for drop in drops:
            embed, view = render.drop_message(self.bot.content, drop, answered=drop.answers)
            assert drop.message_id is not None
            message = self.drop_message(drop)
            try:
                async with self.bot.limiter:
                    await message.edit(embed=embed, view=view)
            except discord.HTTPException as exc:
                log.info("could not refresh drop %s: %s", drop.id, exc.code)
            async with self.bot.db.begin() as session:
                row = await session.get(daily.DailyDrop, drop.id)
                if row is not None:
                    row.shown_answers = drop.answers

    async def weekly_summary(self, guild_id: int, now: datetime) -> bool:
        """Last week's top 5 and biggest improver, once per guild and week."""
        week = shift_week(iso_week(now), -1)
        key = f"summary:{guild_id}:{week}"
        async with self.bot.db.begin() as session:
            if not await deliveries.claim(session, key, "summary", now):
                return False
            settings = await daily.get_settings(session, guild_id)
            summary = await leaderboard.weekly_summary(
                await Runner.of(session), guild_id=guild_id, week=week
            )
        sent = await self.bot.outbox.send(
            settings.channel_id,
            embed=render.summary_embed(summary),
            allowed_mentions=discord.AllowedMentions.none(),
        )
        async with self.bot.db.begin() as session:
            await deliveries.record_send(session, key, now, ok=sent.ok, detail=sent.detail)
        return sent.outcome is Outcome.SENT
