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

from bot import logs
from bot.app import StudyBot
from bot.charts import render_progress_chart
from bot.components import view_of
from bot.enums import DeliveryStatus
from bot.outbox import Outcome, Sent
from bot.services import deliveries, plan_due, plan_sends, progress
from cogs.plan import render
from cogs.plan.views import followup_view

log = logging.getLogger(__name__)


class PlanJobs:
    def __init__(self, bot: StudyBot) -> None:
        self.bot = bot

    async def tick(self, now: datetime) -> dict[str, int]:
        """Send everything the plan owes at `now`; returns how many were sent, by kind."""
        found = await self.bot.db.read(plan_due.due, self.bot.content, now, shard_filter=self._owns)
        sent: dict[str, int] = {}
        guard = self.bot.boundary
        for kind, dues in found.items():
            for item in self.bot.until_stopping(dues.stale):
                async with guard("plan", user=item.user_id, key=item.key):
                    await self._skip(item, now)
            for item in self.bot.until_stopping(dues.due):
                async with guard("plan", user=item.user_id, key=item.key):
                    if await self.deliver(item, now):
                        sent[kind] = sent.get(kind, 0) + 1
        await self.bot.db.write(plan_due.settle, found.settled)
        return sent

    def _owns(self, guild_id: int | None) -> bool:
        # members who enrolled from a DM belong to the process holding shard 0
        return self.bot.owns_guild(guild_id) if guild_id else self.bot.owns_guild(0)

    async def _skip(self, item: plan_due.Due, now: datetime) -> None:
        if await self.bot.db.write(
            deliveries.claim_and_finish, item.key, item.kind, now, DeliveryStatus.SKIPPED
        ):
            log.warning("skipped stale %s (due %s)", item.key, item.due_at)

    async def deliver(self, item: plan_due.Due, now: datetime) -> bool:
        with logs.context(guild=item.guild_id, user=item.user_id, key=item.key):
            return await self._deliver(item, now)

    async def _deliver(self, item: plan_due.Due, now: datetime) -> bool:
        composed = await self.bot.db.write(
            plan_sends.claim_and_compose, self.bot.content, item, now
        )
        if composed is None:
            return False
        message = await self._message(item, composed)
        result = await self._send(item, composed.since, message)
        self.bot.metrics.sends.labels(item.kind, result.outcome.name.lower()).inc()
        log.debug("%s: %s", item.key, result.outcome.value)
        carried = item.report if item.kind == "remind" and composed.report else None
        for key in (item.key, carried):
            if key is not None:
                await self.bot.outbox.record(key, now, result)
        return result.ok

    async def _report(self, rep: progress.ProgressReport) -> dict[str, Any]:
        content = self.bot.content
        png = await asyncio.to_thread(render_progress_chart, rep, content)
        return {
            "embed": render.report_embed(content, rep),
            "file": discord.File(io.BytesIO(png), filename="progress.png"),
            "view": render.drill_view(rep),
        }

    async def _message(self, item: plan_due.Due, composed: plan_sends.Composed) -> dict[str, Any]:
        content = self.bot.content
        if item.kind == "report" and composed.report is not None:
            return await self._report(composed.report)
        if item.kind == "examdone":
            return {
                "content": "Your study plan has reached your exam date. How did it go?",
                "view": followup_view(item.user_id),
            }
        assert composed.position is not None
        if item.kind == "nudge":
            return {"content": render.nudge_text(composed.position, composed.practised)}
        embed = render.kickoff_embed(content, composed.position, composed.last_week, composed.weak)
        domains = [*composed.weak, *composed.position.plan_week.domains]
        buttons = render.quiz_buttons(content, domains)
        if composed.report is None:
            return {"embed": embed, "view": buttons}
        # the week's report rides in the kickoff: one DM, two embeds, the chart
        report = await self._report(composed.report)
        drills = report["view"].children if report["view"] is not None else []
        return {
            "embeds": [embed, report["embed"]],
            "file": report["file"],
            "view": view_of(*buttons.children, *drills),
        }

    async def _send(
        self, item: plan_due.Due, since: datetime | None, message: dict[str, Any]
    ) -> Sent:
        outbox = self.bot.outbox
        personal = item.kind in ("report", "nudge")
        key = item.key  # with `since`, exactly once: see bot/outbox.py
        if item.deliver == "dm" or personal:
            result = await outbox.dm(item.user_id, key=key, since=since, **message)
            if result.outcome is not Outcome.CLOSED or personal or item.channel_id is None:
                return result
        if item.channel_id is None:
            return Sent(Outcome.GONE, detail="no channel to deliver to")
        text = f"<@{item.user_id}> {message.pop('content', '')}".strip()
        return await outbox.send(
            item.channel_id,
            key=key,
            since=since,
            content=text,
            allowed_mentions=discord.AllowedMentions(users=True),
            **message,
        )
