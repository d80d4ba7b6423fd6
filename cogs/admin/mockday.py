"""The mock-exam day's scheduled side: open the start window with a Start button, close
it after an hour, and once every started exam has ended post the group's result (a score
chart, the share passing, a per-section table, a thread per split question) and DM each
member their breakdown. Each step is claimed in the database first; sends go through the
outbox and the app-wide limiter."""

from __future__ import annotations

import asyncio
import io
import logging
from datetime import datetime

import discord

from bot.app import StudyBot
from bot.charts import render_score_chart
from bot.enums import DeliveryKind
from bot.exam_ui import exam_result, result_view
from bot.services import deliveries, exam, mock_day
from bot.services.mock_day import GroupResult, MockDay
from cogs.admin import render
from cogs.admin.views import start_view

log = logging.getLogger(__name__)


class MockJobs:
    def __init__(self, bot: StudyBot) -> None:
        self.bot = bot

    async def tick(self, now: datetime) -> None:
        work = await self.bot.db.read(mock_day.due, now, self.bot.owns_guild)
        for day_id in work.missed:
            day = await self.bot.db.write(mock_day.skip_missed, day_id, now)
            if day is not None:
                log.warning("mock-exam day %s was missed: %s", day.id, day.detail)
                await self.tell_admin(day, "it was missed: the bot was offline for its hour")
        for day_id in work.opens:
            await self.open(day_id, now)
        for day_id in work.closes:
            await self.close(day_id, now)
        for day_id in work.results:
            await self.report(day_id, now)
        for key in work.dms:  # a member's DM whose sender died
            async with self.bot.boundary("mockexam", key=key):
                await self.retry_dm(key, now)

    async def tell_admin(self, day: MockDay, what: str) -> None:
        await self.bot.outbox.dm(
            day.scheduled_by,
            content=f"About the mock-exam day you planned for "
            f"{discord.utils.format_dt(day.starts_at, 'F')}: {what}.",
        )

    async def open(self, day_id: int, now: datetime) -> None:
        day = await self.bot.db.write(mock_day.claim_open, day_id, now)
        if day is None:
            return
        sent = await self.bot.outbox.send(
            day.channel_id, embed=render.start_embed(day), view=start_view(day.id)
        )
        if sent.ok and sent.message is not None:
            await self.bot.db.write(mock_day.opened, day.id, sent.message.id)
            return
        await self.bot.db.write(mock_day.failed, day.id, sent.detail)
        log.warning("mock-exam day %s: the Start button was not posted: %s", day.id, sent.detail)
        await self.tell_admin(day, f"I could not post in <#{day.channel_id}> ({sent.detail})")

    async def close(self, day_id: int, now: datetime) -> None:
        closed = await self.bot.db.write(mock_day.claim_close, day_id, now)
        if closed is None:
            return
        day, started = closed
        if day.message_id is None:
            return
        message = self.bot.get_partial_messageable(
            day.channel_id, guild_id=day.guild_id
        ).get_partial_message(day.message_id)
        try:
            async with self.bot.limiter:
                await message.edit(
                    embed=render.start_embed(day, started=started),
                    view=start_view(day.id, closed=True),
                )
        except discord.HTTPException as exc:
            log.info("mock-exam day %s: could not close the Start message: %s", day.id, exc)

    async def report(self, day_id: int, now: datetime) -> None:
        res = await self.bot.db.write(mock_day.claim_result, self.bot.content, day_id, now)
        if res is None:
            return
        if not res.scores:
            await self.bot.outbox.send(
                res.day.channel_id, content="The mock-exam day is over: nobody took the exam."
            )
            return
        png = await asyncio.to_thread(
            render_score_chart,
            [s.percent for s in res.scores],
            res.pass_mark,
            "Mock exam day: scores of the group",
        )
        sent = await self.bot.outbox.send(
            res.day.channel_id,
            embed=render.result_embed(self.bot.content, res),
            file=discord.File(io.BytesIO(png), filename="scores.png"),
        )
        if not sent.ok:
            log.warning("mock-exam day %s: result not posted: %s", day_id, sent.detail)
        else:
            for number, split in enumerate(res.splits, 1):
                await self.split_thread(res, number, split)
        for score in res.scores:
            await self.dm(res, score.user_id, score.session_id, now)

    async def split_thread(self, res: GroupResult, number: int, split: mock_day.Split) -> None:
        intro = await self.bot.outbox.send(
            res.day.channel_id, content=render.split_intro(number, len(res.splits), split)
        )
        if not intro.ok or intro.message is None:
            return
        channel = self.bot.get_partial_messageable(res.day.channel_id, guild_id=res.day.guild_id)
        try:
            async with self.bot.limiter:
                thread = await channel.get_partial_message(intro.message.id).create_thread(
                    name=f"Split question {number}: {split.question_id}",
                    auto_archive_duration=1440,
                )
            async with self.bot.limiter:
                await thread.send(embed=render.split_embed(self.bot.content, number, split))
        except (discord.HTTPException, ValueError) as exc:
            log.info("mock-exam day %s: no thread for %s: %s", res.day.id, split.question_id, exc)

    async def dm(
        self,
        res: GroupResult,
        user_id: int,
        session_id: int,
        now: datetime,
        claim: deliveries.Claim | None = None,
    ) -> None:
        key = mock_day.dm_key(res.day.id, user_id)
        claim = claim or await self.bot.db.write(deliveries.claim, key, DeliveryKind.MOCK, now)
        if claim is None:
            return
        own = await self.bot.db.read(exam.result, self.bot.content, session_id)
        embed = render.group_field(exam_result(self.bot.content, own), res, own)
        sent = await self.bot.outbox.dm(
            user_id, key=key, since=claim.since, embed=embed, view=result_view(own)
        )
        await self.bot.outbox.record(key, now, sent)

    async def retry_dm(self, key: str, now: datetime) -> None:
        """Send a member's DM whose sender died, unless it reached Discord."""
        claim = await self.bot.db.write(deliveries.claim, key, DeliveryKind.MOCK, now)
        if claim is None:
            return
        _, day_id, user_id = key.split(":")
        res = await self.bot.db.read(mock_day.group_result, self.bot.content, int(day_id))
        score = next(s for s in res.scores if s.user_id == int(user_id))
        await self.dm(res, score.user_id, score.session_id, now, claim)
