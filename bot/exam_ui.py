"""The mock exam's screens, shared by /exam and the group mock-exam day: a question page,
the submit confirmation, the result and the wrong-answer pages, with the components that
own their buttons (registered by the practice cog's setup)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import discord

from bot.components import LETTER, Button, Field, number, view_of
from bot.content import ContentStore
from bot.enums import SessionStatus
from bot.replies import Reply
from bot.services import exam, practice_store
from bot.services.exam import Result
from bot.services.quiz import SessionOver, Step
from bot.ui import (
    BAD,
    FIELD_VALUE_MAX,
    GOOD,
    WARN,
    explanation_field,
    percent,
    question_embed,
    study_bot,
    truncate,
)

if TYPE_CHECKING:
    from bot.app import StudyBot


# The options /exam and /studyadmin mockexam schedule share.
LENGTH_HELP = "Full: 50 questions in 120 minutes; half: 25 in 60"
BLUEPRINT_HELP = "Weights of the official exam guide or the study guide"
LENGTHS = [
    discord.app_commands.Choice(name="Full: 50 questions, 120 minutes", value="full"),
    discord.app_commands.Choice(name="Half: 25 questions, 60 minutes", value="half"),
]
BLUEPRINTS = [
    discord.app_commands.Choice(name="Official exam guide (six sections)", value="official"),
    discord.app_commands.Choice(name="Study guide (five domains)", value="domains"),
]

log = logging.getLogger(__name__)
Screen = tuple[discord.Embed, discord.ui.View]
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


async def question_page(bot: StudyBot, step: Step) -> tuple[discord.Embed, discord.ui.View]:
    """The exam's page at `step`, with how many questions are answered and marked."""
    answered, _total, marked = await bot.db.read(exam.progress, step.session.id)
    return exam_question(bot.content, step, answered, marked), question_view(step)


async def show_new(
    reply: Reply, step: Step, note: str | None = None, *, discard_unseen: bool = False
) -> None:
    """An exam's page as a new message. With `discard_unseen`, an exam just started that
    the member never saw (Discord had closed the interaction) is discarded rather than
    left running, to be graded 0 when its time runs out."""
    bot = study_bot(reply.interaction)
    embed, view = await reply.after(question_page(bot, step))
    if not discard_unseen:
        await reply.send(note, embed=embed, view=view)
        return
    await reply.send_started(
        lambda: bot.db.write(practice_store.discard_unseen, step.session.id),
        note,
        embed=embed,
        view=view,
    )


def result_screen(
    content: ContentStore, res: exam.Result, page: int | None
) -> tuple[discord.Embed, discord.ui.View]:
    """The graded exam: its result, or page `page` of the wrong answers."""
    if page is None or not res.wrong:
        return exam_result(content, res), result_view(res)
    page = max(0, min(page, len(res.wrong) - 1))
    return exam_wrong_page(content, res, page), wrong_view(res, page)


async def show(interaction: discord.Interaction, screen: Awaitable[Screen]) -> None:
    """Put the screen that `screen` works out in place of the clicked message."""
    reply = Reply(interaction, edit=True)
    embed, view = await reply.after(screen)
    await reply.edit(embed=embed, view=view)


# -- components -------------------------------------------------------------------------------
async def act(
    interaction: discord.Interaction, action: Callable[..., Step], session_id: int, **kw: Any
) -> Screen:
    """Run one exam action for the clicking member: the page it leads to; on an exam that
    is over (time ran out, or submitted), its result."""
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
        return await outcome(interaction, session_id)
    return await question_page(bot, step)


async def outcome(interaction: discord.Interaction, session_id: int) -> Screen:
    bot = study_bot(interaction)
    res = await bot.db.write(
        exam.outcome, bot.content, session_id=session_id, user_id=interaction.user.id, now=bot.now()
    )
    return result_screen(bot.content, res, None)


class ExamPick(Button, prefix="exam:p", fields=(SESSION, POSITION, LETTER)):
    async def run(self, interaction: discord.Interaction) -> None:
        v = self.values
        picked = act(
            interaction, exam.pick_answer, v["session"], position=v["position"], choice=v["choice"]
        )
        await show(interaction, picked)


class ExamGoto(Button, prefix="exam:g", fields=(SESSION, POSITION, TAG)):
    async def run(self, interaction: discord.Interaction) -> None:
        v = self.values
        await show(interaction, act(interaction, exam.goto, v["session"], position=v["position"]))


class ExamMark(Button, prefix="exam:k", fields=(SESSION, POSITION)):
    async def run(self, interaction: discord.Interaction) -> None:
        v = self.values
        marked = act(interaction, exam.toggle_mark, v["session"], position=v["position"])
        await show(interaction, marked)


class ExamSubmit(Button, prefix="exam:s", fields=(SESSION,)):
    async def run(self, interaction: discord.Interaction) -> None:
        await show(interaction, self._confirm(interaction, self.values["session"]))

    @staticmethod
    async def _confirm(interaction: discord.Interaction, sid: int) -> Screen:
        bot = study_bot(interaction)
        try:
            back, answered, total, marked = await bot.db.read(
                exam.submission, session_id=sid, user_id=interaction.user.id, now=bot.now()
            )
        except SessionOver:  # submitted already, or time ran out: the result
            return await outcome(interaction, sid)
        return exam_confirm(answered, total, marked), confirm_view(sid, back)


class ExamConfirm(Button, prefix="exam:c", fields=(SESSION,)):
    """Submit: grade the exam (once; a repeated click shows the same result)."""

    async def run(self, interaction: discord.Interaction) -> None:
        await show(interaction, self._grade(interaction, self.values["session"]))

    @staticmethod
    async def _grade(interaction: discord.Interaction, sid: int) -> Screen:
        bot = study_bot(interaction)
        res = await bot.db.write(
            exam.grade,
            bot.content,
            session_id=sid,
            user_id=interaction.user.id,
            now=bot.now(),
            delivered=True,
        )
        return result_screen(bot.content, res, None)


async def _own_result(
    interaction: discord.Interaction, session_id: int, page: int | None
) -> Screen:
    bot = study_bot(interaction)
    res = await bot.db.read(exam.result, bot.content, session_id)
    if res.session.user_id != interaction.user.id:
        raise exam.NotYours()
    return result_screen(bot.content, res, page)


class ExamWrong(Button, prefix="exam:w", fields=(SESSION, PAGE)):
    async def run(self, interaction: discord.Interaction) -> None:
        page = _own_result(interaction, self.values["session"], self.values["page"])
        await show(interaction, page)


class ExamResult(Button, prefix="exam:r", fields=(SESSION,)):
    async def run(self, interaction: discord.Interaction) -> None:
        await show(interaction, _own_result(interaction, self.values["session"], None))


COMPONENTS = (ExamPick, ExamGoto, ExamMark, ExamSubmit, ExamConfirm, ExamWrong, ExamResult)


# -- embeds ---------------------------------------------------------------------------------
def exam_question(
    content: ContentStore, step: Step, answered: int, marked: list[int]
) -> discord.Embed:
    s, item, q = step.session, step.item, step.question
    title = f"Mock exam · question {item.position + 1} of {s.size}"
    footer = f"{answered}/{s.size} answered"
    if marked:
        footer += " · marked: " + ", ".join(str(p + 1) for p in marked[:15])
    embed = question_embed(content, q, title=title, footer=footer)
    if s.deadline_at is not None:
        embed.add_field(name="Time", value=f"Ends {discord.utils.format_dt(s.deadline_at, 'R')}")
    if item.choice:
        embed.add_field(name="Your pick", value=", ".join(item.choice))
    return embed


def exam_confirm(answered: int, total: int, marked: list[int]) -> discord.Embed:
    lines = [f"You answered **{answered} of {total}** questions."]
    if answered < total:
        lines.append(f"{total - answered} unanswered questions will count as wrong.")
    if marked:
        lines.append("Marked for review: " + ", ".join(str(p + 1) for p in marked[:20]))
    return discord.Embed(title="Submit the exam?", description="\n".join(lines), colour=WARN)


def exam_result(content: ContentStore, res: Result) -> discord.Embed:
    verdict = "PASS" if res.passed else "NOT YET"
    timed_out = res.session.status == SessionStatus.EXPIRED
    embed = discord.Embed(
        title=f"Mock exam: {res.score}/{res.total} ({res.percent:.0f}%) — {verdict}",
        description=f"Pass estimate {res.pass_mark}%."
        + (" Time ran out; the exam was graded as it stood." if timed_out else ""),
        colour=GOOD if res.passed else BAD,
    )
    lines = []
    for d in content.blueprint.domains:
        if d.id not in res.by_bucket:
            continue
        right, total = res.by_bucket[d.id]
        ok = right * 100 >= res.pass_mark * total
        lines.append(f"{'✅' if ok else '❌'} {d.name}: {right}/{total} ({percent(right, total)})")
    embed.add_field(
        name=f"By domain (target {res.pass_mark}%)",
        value=truncate("\n".join(lines), FIELD_VALUE_MAX),
        inline=False,
    )
    return embed


def exam_wrong_page(content: ContentStore, res: Result, page: int) -> discord.Embed:
    item, q = res.wrong[page]
    embed = question_embed(
        content,
        q,
        title=f"Wrong answer {page + 1} of {len(res.wrong)} (question {item.position + 1})",
        footer=q.id,
        colour=BAD,
    )
    picked = ", ".join(item.choice) if item.choice else "nothing"
    embed.add_field(name="You picked", value=picked, inline=False)
    explanation_field(embed, q)
    return embed
