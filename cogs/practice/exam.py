"""/exam: a timed mock exam; answers stay hidden until it is submitted or time runs out."""

from __future__ import annotations

import logging
import random
import re
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import StudyBot
from bot.services import deliveries, exam
from bot.services.quiz import Step
from bot.ui import study_bot, user_errors
from cogs.practice import render

log = logging.getLogger(__name__)
TICK_ID = "exam-timeouts"


async def show(interaction: discord.Interaction, step: Step, *, edit: bool = True) -> None:
    bot = study_bot(interaction)
    async with bot.db.read() as session:
        answered, _total, marked = await exam.progress(session, step.session.id)
    embed, view = render.exam_question(bot.content, step, answered, marked)
    if edit:
        await interaction.response.edit_message(embed=embed, view=view)
    else:
        await interaction.response.send_message(embed=embed, view=view, ephemeral=True)


class _ExamItem(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"exam:_never_"):
    """Shared parsing: every exam button carries the session id and maybe a number."""

    def __init__(self, item: discord.ui.Button[Any], sid: int, n: int = 0, extra: str = "") -> None:
        super().__init__(item)
        self.sid, self.n, self.extra = sid, n, extra

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Any:
        assert isinstance(item, discord.ui.Button)
        groups = match.groupdict()
        return cls(item, int(groups["sid"]), int(groups.get("n") or 0), groups.get("extra") or "")


async def act(
    interaction: discord.Interaction,
    action: Callable[..., Awaitable[Step]],
    session_id: int,
    **kwargs: Any,
) -> None:
    """Run one exam action for the clicking member and show the page it leads to."""
    bot = study_bot(interaction)
    async with user_errors(interaction):
        async with bot.db.begin() as session:
            step = await action(
                session,
                bot.content,
                session_id=session_id,
                user_id=interaction.user.id,
                now=bot.now(),
                **kwargs,
            )
        await show(interaction, step)


class ExamPick(_ExamItem, template=r"exam:p:(?P<sid>\d+):(?P<n>\d+):(?P<extra>[A-F])"):
    async def callback(self, interaction: discord.Interaction) -> None:
        await act(interaction, exam.pick_answer, self.sid, position=self.n, choice=self.extra)


class ExamGoto(_ExamItem, template=r"exam:g:(?P<sid>\d+):(?P<n>\d+):(?P<extra>\w+)"):
    async def callback(self, interaction: discord.Interaction) -> None:
        await act(interaction, exam.goto, self.sid, position=self.n)


class ExamMark(_ExamItem, template=r"exam:k:(?P<sid>\d+):(?P<n>\d+)"):
    async def callback(self, interaction: discord.Interaction) -> None:
        await act(interaction, exam.toggle_mark, self.sid, position=self.n)


class ExamSubmit(_ExamItem, template=r"exam:s:(?P<sid>\d+)"):
    async def callback(self, interaction: discord.Interaction) -> None:
        bot = study_bot(interaction)
        async with user_errors(interaction):
            async with bot.db.read() as session:
                back, answered, total, marked = await exam.submission(
                    session, session_id=self.sid, user_id=interaction.user.id, now=bot.now()
                )
            embed, view = render.exam_confirm(self.sid, answered, total, marked, back)
            await interaction.response.edit_message(embed=embed, view=view)


class ExamConfirm(_ExamItem, template=r"exam:c:(?P<sid>\d+)"):
    async def callback(self, interaction: discord.Interaction) -> None:
        bot = study_bot(interaction)
        async with user_errors(interaction):
            async with bot.db.begin() as session:
                res = await exam.grade(
                    session,
                    bot.content,
                    session_id=self.sid,
                    user_id=interaction.user.id,
                    now=bot.now(),
                )
                res.session.result_delivered = True
            embed, view = render.exam_result(bot.content, res)
            await interaction.response.edit_message(embed=embed, view=view)


async def show_result(interaction: discord.Interaction, sid: int, page: int | None) -> None:
    """The graded exam: its result, or page `page` of the wrong answers."""
    bot = study_bot(interaction)
    async with user_errors(interaction):
        async with bot.db.read() as session:
            res = await exam.result(session, bot.content, sid)
        if res.session.user_id != interaction.user.id:
            raise exam.NotYours()
        if page is None:
            embed, view = render.exam_result(bot.content, res)
        else:
            embed, view = render.exam_wrong_page(bot.content, res, page)
        await interaction.response.edit_message(embed=embed, view=view)


class ExamWrong(_ExamItem, template=r"exam:w:(?P<sid>\d+):(?P<n>\d+)"):
    async def callback(self, interaction: discord.Interaction) -> None:
        await show_result(interaction, self.sid, self.n)


class ExamResult(_ExamItem, template=r"exam:r:(?P<sid>\d+)"):
    async def callback(self, interaction: discord.Interaction) -> None:
        await show_result(interaction, self.sid, None)


DYNAMIC_ITEMS = (ExamPick, ExamGoto, ExamMark, ExamSubmit, ExamConfirm, ExamWrong, ExamResult)


class ExamCog(commands.Cog):
    """Timed mock exams, closed by the scheduler when time runs out."""

    def __init__(self, bot: StudyBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.scheduler.add_tick(TICK_ID, self.close_expired, seconds=30)

    async def cog_unload(self) -> None:
        self.bot.scheduler.remove_tick(TICK_ID)

    @app_commands.command(name="exam")
    @app_commands.describe(
        length="Full: 50 questions in 120 minutes; half: 25 in 60",
        blueprint="Weights of the official exam guide or the study guide",
    )
    @app_commands.choices(
        length=[
            app_commands.Choice(name="Full: 50 questions, 120 minutes", value="full"),
            app_commands.Choice(name="Half: 25 questions, 60 minutes", value="half"),
        ],
        blueprint=[
            app_commands.Choice(name="Official exam guide (six sections)", value="official"),
            app_commands.Choice(name="Study guide (five domains)", value="domains"),
        ],
    )
    async def exam_command(
        self,
        interaction: discord.Interaction,
        length: app_commands.Choice[str] | None = None,
        blueprint: app_commands.Choice[str] | None = None,
    ) -> None:
        """Take a timed mock exam graded like the real one."""
        async with self.bot.db.begin() as session:
            step = await exam.start_exam(
                session,
                self.bot.content,
                user_id=interaction.user.id,
                guild_id=interaction.guild_id,
                length=length.value if length else "full",
                scheme=blueprint.value if blueprint else "official",
                now=self.bot.now(),
                rng=random.Random(),
            )
        await show(interaction, step, edit=False)

    async def close_expired(self, now: datetime) -> int:
        """Grade every exam whose time ran out and DM the member the result, once.

        Grading is idempotent and the result's DM is claimed by key, so overlapping ticks
        and several processes grade an exam and send its result exactly once.
        """
        async with self.bot.db.read() as session:
            expired = await exam.expired_exams(session, now)
        closed = 0
        for sid in expired:
            key = f"exam:{sid}"
            async with self.bot.db.begin() as session:
                if not await deliveries.claim(session, key, "exam", now):
                    continue
                res = await exam.grade(
                    session, self.bot.content, session_id=sid, now=now, expired=True
                )
                user_id = res.session.user_id
            embed, view = render.exam_result(self.bot.content, res)
            sent = await self.bot.outbox.dm(user_id, embed=embed, view=view)
            async with self.bot.db.begin() as session:
                graded = await exam.load(session, sid)
                graded.result_delivered = sent.ok
                await deliveries.record_send(session, key, now, ok=sent.ok, detail=sent.detail)
            closed += 1
            log.info(
                "exam %s timed out and was graded (result %s)",
                sid,
                "sent by DM" if sent.ok else sent.detail,
            )
        return closed
