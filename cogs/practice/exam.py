"""/exam: a timed mock exam; answers stay hidden until it is submitted or time runs out."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from datetime import datetime
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import StudyBot
from bot.components import LETTER, Button, Field, number, view_of
from bot.enums import DeliveryKind
from bot.scheduler import job
from bot.services import deliveries, exam
from bot.services.quiz import SessionOver, Step
from bot.ui import study_bot
from cogs.practice import render

log = logging.getLogger(__name__)
SESSION, PAGE, POSITION = number("session"), number("page"), number("position")
TAG = Field("tag", r"prev|next|back")  # keeps two buttons to one position apart


# -- views ------------------------------------------------------------------------------------
def question_view(step: Step) -> discord.ui.View:
    s, item, q = step.session, step.item, step.question
    ids: dict[str, Any] = {"session": s.id, "position": item.position}
    picks = [
        ExamPick.build(
            letter,
            style=discord.ButtonStyle.primary
            if item.choice and letter in item.choice
            else discord.ButtonStyle.secondary,
            choice=letter,
            **ids,
        )
        for letter in q.letters  # toggle buttons, also for multiple select
    ]
    last = s.size - 1
    return view_of(
        *picks,
        ExamGoto.build(
            "◀ Previous",
            disabled=item.position == 0,
            session=s.id,
            position=max(item.position - 1, 0),
            tag="prev",
        ),
        ExamMark.build("Unmark" if item.marked else "Mark for review", emoji="🔖", **ids),
        ExamGoto.build(
            "Next ▶",
            disabled=item.position == last,
            session=s.id,
            position=min(item.position + 1, last),
            tag="next",
        ),
        ExamSubmit.build("Submit exam", style=discord.ButtonStyle.danger, session=s.id),
    )


def confirm_view(session_id: int, back_to: int) -> discord.ui.View:
    return view_of(
        ExamConfirm.build("Yes, submit", style=discord.ButtonStyle.danger, session=session_id),
        ExamGoto.build("Back to the exam", session=session_id, position=back_to, tag="back"),
    )


def result_view(res: exam.Result) -> discord.ui.View:
    if not res.wrong:
        return discord.ui.View(timeout=None)
    label = f"Review {len(res.wrong)} wrong answers"
    return view_of(
        ExamWrong.build(label, style=discord.ButtonStyle.primary, session=res.session.id, page=0)
    )


def wrong_view(res: exam.Result, page: int) -> discord.ui.View:
    sid, last = res.session.id, len(res.wrong) - 1
    return view_of(
        ExamWrong.build("◀ Previous", disabled=page == 0, session=sid, page=max(page - 1, 0)),
        ExamWrong.build("Next ▶", disabled=page >= last, session=sid, page=min(page + 1, last)),
        ExamResult.build("Back to the result", session=sid),
    )


async def show(interaction: discord.Interaction, step: Step, *, edit: bool = True) -> None:
    bot = study_bot(interaction)
    answered, _total, marked = await bot.db.read(exam.progress, step.session.id)
    embed = render.exam_question(bot.content, step, answered, marked)
    if edit:
        await interaction.response.edit_message(embed=embed, view=question_view(step))
    else:
        await interaction.response.send_message(
            embed=embed, view=question_view(step), ephemeral=True
        )


async def show_result(interaction: discord.Interaction, res: exam.Result, page: int | None) -> None:
    """The graded exam: its result, or page `page` of the wrong answers."""
    content = study_bot(interaction).content
    if page is None or not res.wrong:
        embed, view = render.exam_result(content, res), result_view(res)
    else:
        page = max(0, min(page, len(res.wrong) - 1))
        embed, view = render.exam_wrong_page(content, res, page), wrong_view(res, page)
    await interaction.response.edit_message(embed=embed, view=view)


# -- components -------------------------------------------------------------------------------
async def act(
    interaction: discord.Interaction, action: Callable[..., Step], session_id: int, **kw: Any
) -> None:
    """Run one exam action for the clicking member and show the page it leads to; on an
    exam that is over (time ran out, or submitted), its result."""
    bot = study_bot(interaction)
    try:
        step = await bot.db.write(
            action,
            bot.content,
            session_id=session_id,
            user_id=interaction.user.id,
            now=bot.now(),
            **kw,
        )
    except SessionOver:
        await show_outcome(interaction, session_id)
        return
    await show(interaction, step)


async def show_outcome(interaction: discord.Interaction, session_id: int) -> None:
    bot = study_bot(interaction)
    res = await bot.db.write(
        exam.outcome, bot.content, session_id=session_id, user_id=interaction.user.id, now=bot.now()
    )
    await show_result(interaction, res, None)


class ExamPick(Button, prefix="exam:p", fields=(SESSION, POSITION, LETTER)):
    async def run(self, interaction: discord.Interaction) -> None:
        v = self.values
        await act(
            interaction, exam.pick_answer, v["session"], position=v["position"], choice=v["choice"]
        )


class ExamGoto(Button, prefix="exam:g", fields=(SESSION, POSITION, TAG)):
    async def run(self, interaction: discord.Interaction) -> None:
        await act(interaction, exam.goto, self.values["session"], position=self.values["position"])


class ExamMark(Button, prefix="exam:k", fields=(SESSION, POSITION)):
    async def run(self, interaction: discord.Interaction) -> None:
        v = self.values
        await act(interaction, exam.toggle_mark, v["session"], position=v["position"])


class ExamSubmit(Button, prefix="exam:s", fields=(SESSION,)):
    async def run(self, interaction: discord.Interaction) -> None:
        bot = study_bot(interaction)
        sid = self.values["session"]
        try:
            back, answered, total, marked = await bot.db.read(
                exam.submission, session_id=sid, user_id=interaction.user.id, now=bot.now()
            )
        except SessionOver:  # submitted already, or time ran out: the result
            await show_outcome(interaction, sid)
            return
        await interaction.response.edit_message(
            embed=render.exam_confirm(answered, total, marked), view=confirm_view(sid, back)
        )


class ExamConfirm(Button, prefix="exam:c", fields=(SESSION,)):
    """Submit: grade the exam (once; a repeated click shows the same result)."""

    async def run(self, interaction: discord.Interaction) -> None:
        bot = study_bot(interaction)
        res = await bot.db.write(
            exam.grade,
            bot.content,
            session_id=self.values["session"],
            user_id=interaction.user.id,
            now=bot.now(),
            delivered=True,
        )
        await show_result(interaction, res, None)


async def _own_result(interaction: discord.Interaction, session_id: int) -> exam.Result:
    bot = study_bot(interaction)
    res = await bot.db.read(exam.result, bot.content, session_id)
    if res.session.user_id != interaction.user.id:
        raise exam.NotYours()
    return res


class ExamWrong(Button, prefix="exam:w", fields=(SESSION, PAGE)):
    async def run(self, interaction: discord.Interaction) -> None:
        res = await _own_result(interaction, self.values["session"])
        await show_result(interaction, res, self.values["page"])


class ExamResult(Button, prefix="exam:r", fields=(SESSION,)):
    async def run(self, interaction: discord.Interaction) -> None:
        await show_result(interaction, await _own_result(interaction, self.values["session"]), None)


COMPONENTS = (ExamPick, ExamGoto, ExamMark, ExamSubmit, ExamConfirm, ExamWrong, ExamResult)


# -- the command and the timeout job ------------------------------------------------------------
class ExamCog(commands.Cog):
    """Timed mock exams, closed by the scheduler when time runs out."""

    def __init__(self, bot: StudyBot) -> None:
        self.bot = bot

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
        step, closed = await self.bot.db.write(
            exam.start_exam,
            self.bot.content,
            user_id=interaction.user.id,
            guild_id=interaction.guild_id,
            length=length.value if length else "full",
            scheme=blueprint.value if blueprint else "official",
            now=self.bot.now(),
            rng=random.Random(),
        )
        answered, _total, marked = await self.bot.db.read(exam.progress, step.session.id)
        note = (
            "Your previous mock exam was still running: it is closed now (not graded)."
            if closed
            else None
        )
        await interaction.response.send_message(
            note,
            embed=render.exam_question(self.bot.content, step, answered, marked),
            view=question_view(step),
            ephemeral=True,
        )

    @job("exam-timeouts", every=30)
    async def close_expired(self, now: datetime) -> int:
        """Grade every exam whose time ran out and DM the member the result, once.

        Grading is idempotent and the result's DM is claimed by key, so overlapping ticks
        and several processes grade an exam and send its result exactly once.
        """
        expired = await self.bot.db.read(exam.expired_exams, now)
        closed = 0
        for sid in self.bot.until_stopping(expired):
            async with self.bot.boundary("exam-timeouts", exam=sid):
                closed += await self._close(sid, now)
        return closed

    async def _close(self, sid: int, now: datetime) -> int:
        res = await self.bot.db.write(_claim_and_grade, self.bot.content, sid, now)
        if res is None:
            return 0
        embed = render.exam_result(self.bot.content, res)
        sent = await self.bot.outbox.dm(res.session.user_id, embed=embed, view=result_view(res))
        self.bot.metrics.sends.labels("exam", sent.outcome.name.lower()).inc()
        await self.bot.db.write(_record_result, sid, now, sent.ok, sent.detail)
        log.info(
            "exam %s timed out and was graded (result %s)",
            sid,
            "sent by DM" if sent.ok else sent.detail,
        )
        return 1


def _claim_and_grade(session: Any, content: Any, sid: int, now: datetime) -> exam.Result | None:
    if not deliveries.claim(session, f"exam:{sid}", DeliveryKind.EXAM, now):
        return None
    return exam.grade(session, content, session_id=sid, now=now, expired=True)


def _record_result(session: Any, sid: int, now: datetime, ok: bool, detail: str | None) -> None:
    exam.mark_delivered(session, sid, ok)
    deliveries.record_send(session, f"exam:{sid}", now, ok=ok, detail=detail)
