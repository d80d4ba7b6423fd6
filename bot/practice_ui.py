"""The practice UI that several cogs show: a quiz or review question, its feedback, the
summary, and the buttons that start a quiz (a report's "drill this").

Its components are registered by the bot itself (`COMPONENTS`), so any cog can put a
quiz on screen without importing another cog.
"""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any

import discord

from bot.components import LETTER, Button, Field, Select, number, view_of
from bot.content import ContentStore, Question
from bot.enums import SessionKind
from bot.replies import Reply
from bot.services import practice_store, quiz
from bot.ui import (
    BAD,
    FIELD_VALUE_MAX,
    GOOD,
    WARN,
    duration,
    explanation_field,
    percent,
    question_embed,
    study_bot,
    truncate,
)

KIND_TITLES: dict[str, str] = {SessionKind.QUIZ: "Quiz", SessionKind.REVIEW: "Review"}
SESSION, POSITION = number("session"), number("position")
MULTI = Field("multi", "m")  # the select of a multiple-select question
SCOPE = Field("scope", r"[a-z0-9_]+(?:\.[a-z0-9_]+)?")


def answer_components(
    question: Question,
    single: type[Button],
    multi: type[Select],
    *,
    picked: str = "",
    disabled: bool = False,
    **ids: Any,
) -> list[discord.ui.Item[Any]]:
    """A button per option (single select), or a select taking exactly `choose` options;
    `disabled` once the question is closed."""
    if question.multiple:
        options = [
            discord.SelectOption(label=f"Option {letter}", value=letter, default=letter in picked)
            for letter in question.letters
        ]
        select = multi.build(
            options,
            placeholder=f"Pick {question.choose} options, then close the menu",
            min_values=question.choose,
            max_values=question.choose,
            disabled=disabled,
            multi="m",
            **ids,
        )
        return [select]
    return [
        single.build(
            letter,
            style=discord.ButtonStyle.primary
            if letter in picked
            else discord.ButtonStyle.secondary,
            disabled=disabled,
            choice=letter,
            **ids,
        )
        for letter in question.letters
    ]


# -- messages ---------------------------------------------------------------------------------
def _title(session: Any, position: int) -> str:
    kind = KIND_TITLES.get(session.kind, "Quiz")
    return f"{kind} · question {position + 1} of {session.size}"


def question_message(content: ContentStore, step: quiz.Step) -> tuple[discord.Embed, Any]:
    s, position = step.session, step.item.position
    embed = question_embed(
        content, step.question, title=_title(s, position), footer=step.question.id
    )
    ids: dict[str, Any] = {"session": s.id, "position": position}
    return embed, view_of(*answer_components(step.question, QuizAnswer, QuizMultiAnswer, **ids))


def feedback_message(content: ContentStore, done: quiz.Answered) -> tuple[discord.Embed, Any]:
    s, q, rec = done.session, done.recorded.question, done.recorded
    verdict = "Right!" if rec.correct else f"Not quite: you picked {', '.join(rec.choice)}."
    embed = question_embed(
        content,
        q,
        title=_title(s, done.item.position),
        footer=q.id,
        colour=GOOD if rec.correct else BAD,
    )
    embed.add_field(name=verdict, value=f"Score so far: {s.correct}/{s.position}", inline=False)
    explanation_field(embed, q)
    ids: dict[str, Any] = {"session": s.id, "position": done.item.position}
    label = "See results" if done.finished else "Next question"
    return embed, view_of(
        QuizNext.build(label, style=discord.ButtonStyle.primary, **ids),
        QuizFlag.build("Flag question", emoji="🚩", **ids),
    )


def summary_embed(content: ContentStore, summary: quiz.Summary, now: datetime) -> discord.Embed:
    s = summary.session
    took = (s.finished_at or now) - s.started_at
    passed = s.correct * 100 >= content.blueprint.exam.pass_estimate * s.size
    embed = discord.Embed(
        title=f"{KIND_TITLES.get(s.kind, 'Quiz')} finished: {s.correct}/{s.size} "
        f"({percent(s.correct, s.size)})",
        colour=GOOD if passed else WARN,
    )
    lines = [
        f"{'✅' if right == total else '⚠️'} {content.subtopic_name(topic)}: {right}/{total}"
        for topic, (right, total) in sorted(
            summary.by_subtopic.items(), key=lambda kv: kv[1][0] / kv[1][1]
        )
    ]
    embed.add_field(
        name="By subtopic", value=truncate("\n".join(lines) or "–", FIELD_VALUE_MAX), inline=False
    )
    embed.add_field(name="Time", value=duration(took))
    if summary.weakest:
        embed.add_field(
            name="Next step",
            value=f"Drill **{content.subtopic_name(summary.weakest)}** with the button below, "
            "and run `/review` tomorrow.",
            inline=False,
        )
    else:
        embed.add_field(
            name="Next step", value="Clean sweep! Try `/exam` for a timed run.", inline=False
        )
    return embed


def summary_view(content: ContentStore, summary: quiz.Summary) -> discord.ui.View | None:
    if not summary.weakest:
        return None
    name = content.subtopic_name(summary.weakest)
    return view_of(
        Drill.build(f"Drill {name}", style=discord.ButtonStyle.primary, scope=summary.weakest)
    )


async def show_step(reply: Reply, step: quiz.Step) -> None:
    """The question `step` is at, in place of the clicked message."""
    embed, view = question_message(study_bot(reply.interaction).content, step)
    await reply.edit(embed=embed, view=view)


async def show_started(reply: Reply, step: quiz.Step, note: str | None = None) -> None:
    """The first question of a quiz or review just started, as a new message; if Discord
    had closed the interaction, the member never saw it: the session is discarded rather
    than left active."""
    bot = study_bot(reply.interaction)
    embed, view = question_message(bot.content, step)
    await reply.send_started(
        lambda: bot.db.write(practice_store.discard_unseen, step.session.id),
        note,
        embed=embed,
        view=view,
    )


# -- components -------------------------------------------------------------------------------
async def _submit(
    interaction: discord.Interaction, session_id: int, position: int, choice: str
) -> None:
    bot = study_bot(interaction)
    reply = Reply(interaction, edit=True)
    done = await reply.after(
        bot.db.write(
            quiz.answer,
            bot.content,
            session_id=session_id,
            position=position,
            user_id=interaction.user.id,
            choice=choice,
            now=bot.now(),
        )
    )
    embed, view = feedback_message(bot.content, done)
    await reply.edit(embed=embed, view=view)


class QuizAnswer(Button, prefix="quiz:a", fields=(SESSION, POSITION, LETTER)):
    """An option of a single-select question."""

    async def run(self, interaction: discord.Interaction) -> None:
        v = self.values
        await _submit(interaction, v["session"], v["position"], v["choice"])


class QuizMultiAnswer(Select, prefix="quiz:a", fields=(SESSION, POSITION, MULTI)):
    """The options of a multiple-select question."""

    async def run(self, interaction: discord.Interaction) -> None:
        await _submit(interaction, self.values["session"], self.values["position"], self.picked)


class QuizNext(Button, prefix="quiz:n", fields=(SESSION, POSITION)):
    """The next question, or the summary after the last."""

    async def run(self, interaction: discord.Interaction) -> None:
        bot = study_bot(interaction)
        reply = Reply(interaction, edit=True)
        shown = await reply.after(
            bot.db.write(
                quiz.advance,
                bot.content,
                session_id=self.values["session"],
                user_id=interaction.user.id,
                now=bot.now(),
            )
        )
        if isinstance(shown, quiz.Summary):
            embed = summary_embed(bot.content, shown, bot.now())
            await reply.edit(embed=embed, view=summary_view(bot.content, shown))
        else:
            await show_step(reply, shown)


class QuizFlag(Button, prefix="quiz:f", fields=(SESSION, POSITION)):
    """Report the question as wrong or unclear (only on one's own quiz)."""

    async def run(self, interaction: discord.Interaction) -> None:
        bot = study_bot(interaction)
        reply = Reply(interaction)
        question_id, new = await reply.after(
            bot.db.write(
                quiz.flag,
                bot.content,
                session_id=self.values["session"],
                position=self.values["position"],
                user_id=interaction.user.id,
                guild_id=interaction.guild_id,
                now=bot.now(),
            )
        )
        await reply.send(
            f"Thanks: question `{question_id}` is flagged for the admins."
            if new
            else f"You already flagged `{question_id}`; thanks."
        )


class Drill(Button, prefix="plan:q", fields=(SCOPE,)):
    """Start a 10-question quiz on a domain or subtopic for whoever clicks (reports,
    kickoffs and quiz summaries carry these)."""

    async def run(self, interaction: discord.Interaction) -> None:
        bot = study_bot(interaction)
        reply = Reply(interaction)
        step, _ = await reply.after(
            bot.db.write(
                quiz.start_quiz,
                bot.content,
                user_id=interaction.user.id,
                guild_id=interaction.guild_id,
                scope=self.values["scope"],
                size=10,
                now=bot.now(),
                rng=random.Random(),
            )
        )
        await show_started(reply, step)


COMPONENTS = (QuizAnswer, QuizMultiAnswer, QuizNext, QuizFlag, Drill)
