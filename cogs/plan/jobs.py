"""The plan's scheduled side: weekly kickoffs, mid-week nudges, DM reports, exam follow-ups.

Each send is claimed by its key first (exactly once per member and week). DMs that are
closed fall back to the member's channel with a mention, where they chose one; otherwise
the failure is recorded and shown in /plan status.
"""

from __future__ import annotations

import asyncio
import io
import logging
from datetime import datetime
from typing import Any

import discord
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app import StudyBot
from bot.charts import render_progress_chart
from bot.models import Delivery, Enrolment
from bot.outbox import Outcome, Sent
from bot.services import deliveries, plan, plan_due, progress
from bot.services.periods import iso_week, shift_week
from cogs.plan import render

log = logging.getLogger(__name__)


class PlanJobs:
    def __init__(self, bot: StudyBot) -> None:
        self.bot = bot

    async def tick(self, now: datetime) -> dict[str, int]:
        """Send everything the plan owes at `now`; returns how many were sent, by kind."""
        async with self.bot.db.read() as session:
            found = await plan_due.due(session, self.bot.content, now, shard_filter=self._owns)
        sent: dict[str, int] = {}
        for kind, dues in found.items():
            for item in dues.stale:
                await self._skip(item, now)
            for item in dues.due:
                if await self.deliver(item, now):
                    sent[kind] = sent.get(kind, 0) + 1
        async with self.bot.db.begin() as session:
            await plan_due.settle(session, found.settled)
        return sent

    def _owns(self, guild_id: int | None) -> bool:
        # members who enrolled from a DM belong to the process holding shard 0
        return self.bot.owns_guild(guild_id) if guild_id else self.bot.owns_guild(0)

    async def _skip(self, item: plan_due.Due, now: datetime) -> None:
        async with self.bot.db.begin() as session:
            if await deliveries.claim(session, item.key, item.kind, now):
                await deliveries.finish(
                    session, item.key, "skipped", now, detail="missed during downtime"
                )
                log.warning("skipped stale %s (due %s)", item.key, item.due_at)

    async def deliver(self, item: plan_due.Due, now: datetime) -> bool:
        async with self.bot.db.begin() as session:
            if not await deliveries.claim(session, item.key, item.kind, now):
                return False
            message = await self._compose(session, item, now)
        result = await self._send(item, message)
        async with self.bot.db.begin() as session:
            if result.outcome is Outcome.RETRY:
                await deliveries.release(session, item.key)  # the next tick tries again
            else:
                await deliveries.record_send(
                    session, item.key, now, ok=result.ok, detail=result.detail
                )
        return result.ok

    async def _compose(
        self, session: AsyncSession, item: plan_due.Due, now: datetime
    ) -> dict[str, Any]:
        content = self.bot.content
        if item.kind == "report":
            rep = await progress.report(session, content, user_id=item.user_id, now=now)
            png = await asyncio.to_thread(render_progress_chart, rep, content)
            message: dict[str, Any] = {
                "embed": render.report_embed(content, rep),
                "file": discord.File(io.BytesIO(png), filename="progress.png"),
            }
            view = render.drill_view(rep)
            if view is not None:
                message["view"] = view
            return message
        if item.kind == "examdone":
            return {
                "content": "Your study plan has reached your exam date. How did it go?",
                "view": render.followup_view(item.user_id),
            }
        enrolment = await session.get(Enrolment, item.user_id)
        assert enrolment is not None
        pos = plan.position(enrolment, plan.local_today(enrolment, now), content)
        practised = (await plan.practice_counts(session, [item.user_id], iso_week(now))).get(
            item.user_id, 0
        )
        if item.kind == "nudge":
            return {"content": render.nudge_text(pos, practised)}
        last = (
            await plan.practice_counts(session, [item.user_id], shift_week(iso_week(now), -1))
        ).get(item.user_id, 0)
        previous = plan.week_target(content, pos.week - 1, pos.total) if pos.week > 1 else None
        rep = await progress.report(session, content, user_id=item.user_id, now=now)
        weak = progress.weak_domains(rep)
        embed = render.kickoff_embed(content, pos, (last, previous) if previous else None, weak)
        return {
            "embed": embed,
            "view": render.quiz_buttons(content, [*weak, *pos.plan_week.domains]),
        }

    async def _send(self, item: plan_due.Due, message: dict[str, Any]) -> Sent:
        outbox = self.bot.outbox
        personal = item.kind in ("report", "nudge")
        if item.deliver == "dm" or personal:
            result = await outbox.dm(item.user_id, **message)
            if result.outcome is not Outcome.CLOSED or personal or item.channel_id is None:
                return result
        if item.channel_id is None:
            return Sent(Outcome.GONE, detail="no channel to deliver to")
        mention = f"<@{item.user_id}>"
        text = f"{mention} {message.pop('content', '')}".strip()
        return await outbox.send(
            item.channel_id,
            content=text,
            allowed_mentions=discord.AllowedMentions(users=True),
            **message,
        )

    async def last_failure(self, session: AsyncSession, user_id: int) -> str | None:
        """The latest reminder that could not be delivered, for /plan status."""
        row = await session.scalar(
            select(Delivery)
            .where(Delivery.key.like(f"remind:{user_id}:%"))
            .order_by(Delivery.claimed_at.desc())
            .limit(1)
        )
        if row is None or row.status != "failed":
            return None
        return (
            f"Your last weekly kickoff could not be delivered ({row.detail}). Open your "
            "DMs to this bot, or run `/plan start deliver:this channel` in a server."
        )
