"""/exam: a timed mock exam; answers stay hidden until it is submitted or time runs out.

Its screens and buttons are `bot.exam_ui`'s: the group mock-exam day shows them too."""

from __future__ import annotations

import logging
import random
from datetime import datetime

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import StudyBot
from bot.exam_ui import (
    BLUEPRINT_HELP,
    BLUEPRINTS,
    LENGTH_HELP,
    LENGTHS,
    exam_result,
    result_view,
    show_new,
)
from bot.outbox import Outcome
from bot.replies import Reply
from bot.scheduler import job
from bot.services import exam

log = logging.getLogger(__name__)


# -- the command and the timeout job ------------------------------------------------------------
class ExamCog(commands.Cog):
    """Timed mock exams, closed by the scheduler when time runs out."""

    def __init__(self, bot: StudyBot) -> None:
        self.bot = bot

    @app_commands.command(name="exam")
    @app_commands.describe(
        length=LENGTH_HELP,
        blueprint=BLUEPRINT_HELP,
    )
    @app_commands.choices(length=LENGTHS, blueprint=BLUEPRINTS)
    async def exam_command(
        self,
        interaction: discord.Interaction,
        length: app_commands.Choice[str] | None = None,
        blueprint: app_commands.Choice[str] | None = None,
    ) -> None:
        """Take a timed mock exam graded like the real one."""
        reply = Reply(interaction)
        step, closed = await reply.after(
            self.bot.db.write(
                exam.start_exam,
                self.bot.content,
                user_id=interaction.user.id,
                guild_id=interaction.guild_id,
                length=length.value if length else "full",
                scheme=blueprint.value if blueprint else "official",
                now=self.bot.now(),
                rng=random.Random(),
            )
        )
        note = (
            "Your previous mock exam was still running: it is closed now (not graded)."
            if closed
            else None
        )
        await show_new(reply, step, note, discard_unseen=True)

    @job("exam-timeouts", every=30)
    async def close_expired(self, now: datetime) -> int:
        """Grade every exam whose time ran out and DM the member the result, once.

        Grading is idempotent and the result's DM is claimed by key, so overlapping ticks
        and several processes grade an exam and send its result exactly once; a DM whose
        sender died (its claim's lease lapsed) is sent by the next tick, without doubling
        one that reached Discord.
        """
        due = await self.bot.db.read(exam.timeouts, now)
        closed = 0
        for sid in self.bot.until_stopping(due):
            async with self.bot.boundary("exam-timeouts", exam=sid):
                closed += await self._close(sid, now)
        return closed

    async def _close(self, sid: int, now: datetime) -> int:
        timed_out = await self.bot.db.write(exam.claim_timeout, self.bot.content, sid, now)
        if timed_out is None:
            return 0
        res, claim = timed_out.result, timed_out.claim
        sent = await self.bot.outbox.dm(
            res.session.user_id,
            key=claim.key,
            since=claim.since,
            embed=exam_result(self.bot.content, res),
            view=result_view(res),
        )
        self.bot.metrics.sends.labels("exam", sent.outcome.name.lower()).inc()
        await self.bot.db.write(
            exam.result_sent,
            sid,
            now,
            ok=sent.ok,
            retry=sent.outcome is Outcome.RETRY,
            detail=sent.detail,
            message_id=sent.message.id if sent.message else None,
        )
        log.info(
            "exam %s timed out and was graded (result %s)",
            sid,
            "sent by DM" if sent.ok else sent.detail,
        )
        return 1
