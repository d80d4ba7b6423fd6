"""Embeds and views for quizzes, reviews and mock exams."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import discord

from bot.content import ContentStore, Question
from bot.services.exam import Result
from bot.services.quiz import Answered, Step, Summary
from bot.ui import (
    BAD,
    FIELD_VALUE_MAX,
    GOOD,
    WARN,
    button,
    duration,
    explanation_field,
    percent,
    question_embed,
    truncate,
)

KIND_TITLES = {"quiz": "Quiz", "review": "Review"}


def answer_components(
    question: Question,
    prefix: str,
    *,
    picked: str = "",
) -> list[discord.ui.Item[Any]]:
    """A button per option (single select) or a select with the exact number of picks."""
    if question.multiple:
        select: discord.ui.Select[Any] = discord.ui.Select(
            custom_id=f"{prefix}:m",
            placeholder=f"Pick {question.choose} options, then close the menu",
            min_values=question.choose,
            max_values=question.choose,
            options=[
                discord.SelectOption(
                    label=f"Option {letter}", value=letter, default=letter in picked
                )
                for letter in question.letters
            ],
        )
        return [select]
    return [
        button(
            f"{prefix}:{letter}",
            letter,
            style=discord.ButtonStyle.primary
            if letter in picked
            else discord.ButtonStyle.secondary,
        )
        for letter in question.letters
    ]


def quiz_question(content: ContentStore, step: Step) -> tuple[discord.Embed, discord.ui.View]:
    s = step.session
    title = f"{KIND_TITLES.get(s.kind, 'Quiz')} · question {step.item.position + 1} of {s.size}"
    embed = question_embed(content, step.question, title=title, footer=f"{step.question.id}")
    view = discord.ui.View(timeout=None)
    for item in answer_components(step.question, f"quiz:a:{s.id}:{step.item.position}"):
        view.add_item(item)
    return embed, view


def quiz_feedback(content: ContentStore, done: Answered) -> tuple[discord.Embed, discord.ui.View]:
    s, q, rec = done.session, done.recorded.question, done.recorded
    verdict = "Right!" if rec.correct else f"Not quite: you picked {', '.join(rec.choice)}."
    title = f"{KIND_TITLES.get(s.kind, 'Quiz')} · question {done.item.position + 1} of {s.size}"
    embed = question_embed(
        content, q, title=title, footer=q.id, colour=GOOD if rec.correct else BAD
    )
    embed.add_field(name=verdict, value=f"Score so far: {s.correct}/{s.position}", inline=False)
    explanation_field(embed, q)
    view = discord.ui.View(timeout=None)
    label = "See results" if done.finished else "Next question"
    view.add_item(
        button(f"quiz:n:{s.id}:{done.item.position}", label, style=discord.ButtonStyle.primary)
    )
    view.add_item(button(f"quiz:f:{s.id}:{done.item.position}", "Flag question", emoji="🚩"))
    return embed, view


def quiz_summary(content: ContentStore, summary: Summary, now: datetime) -> discord.Embed:
    s = summary.session
    took = (s.finished_at or now) - s.started_at
    embed = discord.Embed(
        title=f"{KIND_TITLES.get(s.kind, 'Quiz')} finished: {s.correct}/{s.size} "
        f"({percent(s.correct, s.size)})",
        colour=GOOD if s.correct * 100 >= content.blueprint.exam.pass_estimate * s.size else WARN,
    )
    lines = []
    for topic, (right, total) in sorted(
        summary.by_subtopic.items(), key=lambda kv: kv[1][0] / kv[1][1]
    ):
        lines.append(
            f"{'✅' if right == total else '⚠️'} {content.subtopic_name(topic)}: {right}/{total}"
        )
    embed.add_field(
        name="By subtopic", value=truncate("\n".join(lines) or "–", FIELD_VALUE_MAX), inline=False
    )
    embed.add_field(name="Time", value=duration(took))
    if summary.weakest:
        domain = summary.weakest.split(".")[0]
        embed.add_field(
            name="Next step",
            value=f"Drill **{content.subtopic_name(summary.weakest)}** with "
            f"`/quiz domain:{domain}`, and run `/review` tomorrow.",
            inline=False,
        )
    else:
        embed.add_field(
            name="Next step", value="Clean sweep! Try `/exam` for a timed run.", inline=False
        )
    return embed


# -- exams ------------------------------------------------------------------------------------
def exam_question(
    content: ContentStore,
    step: Step,
    answered: int,
    marked: list[int],
) -> tuple[discord.Embed, discord.ui.View]:
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
    view = discord.ui.View(timeout=None)
    prefix = f"exam:p:{s.id}:{item.position}"
    for letter in q.letters:  # toggle buttons, also for multiple select
        chosen = bool(item.choice and letter in item.choice)
        view.add_item(
            button(
                f"{prefix}:{letter}",
                letter,
                style=discord.ButtonStyle.primary if chosen else discord.ButtonStyle.secondary,
            )
        )
    last = s.size - 1
    view.add_item(
        button(
            f"exam:g:{s.id}:{max(item.position - 1, 0)}:prev",
            "◀ Previous",
            disabled=item.position == 0,
        )
    )
    view.add_item(
        button(
            f"exam:k:{s.id}:{item.position}",
            "Unmark" if item.marked else "Mark for review",
            emoji="🔖",
        )
    )
    view.add_item(
        button(
            f"exam:g:{s.id}:{min(item.position + 1, last)}:next",
            "Next ▶",
            disabled=item.position == last,
        )
    )
    view.add_item(button(f"exam:s:{s.id}", "Submit exam", style=discord.ButtonStyle.danger))
    return embed, view


def exam_confirm(
    session_id: int, answered: int, total: int, marked: list[int], back_to: int
) -> tuple[discord.Embed, discord.ui.View]:
    lines = [f"You answered **{answered} of {total}** questions."]
    if answered < total:
        lines.append(f"{total - answered} unanswered questions will count as wrong.")
    if marked:
        lines.append("Marked for review: " + ", ".join(str(p + 1) for p in marked[:20]))
    embed = discord.Embed(title="Submit the exam?", description="\n".join(lines), colour=WARN)
    view = discord.ui.View(timeout=None)
    view.add_item(button(f"exam:c:{session_id}", "Yes, submit", style=discord.ButtonStyle.danger))
    view.add_item(button(f"exam:g:{session_id}:{back_to}:back", "Back to the exam"))
    return embed, view


def exam_result(content: ContentStore, res: Result) -> tuple[discord.Embed, discord.ui.View]:
    verdict = "PASS" if res.passed else "NOT YET"
    embed = discord.Embed(
        title=f"Mock exam: {res.score}/{res.total} ({res.percent:.0f}%) — {verdict}",
        description=(
            f"Pass estimate {res.pass_mark}%."
            + (
                " Time ran out; the exam was graded as it stood."
                if res.session.status == "expired"
                else ""
            )
        ),
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
    view = discord.ui.View(timeout=None)
    if res.wrong:
        view.add_item(
            button(
                f"exam:w:{res.session.id}:0",
                f"Review {len(res.wrong)} wrong answers",
                style=discord.ButtonStyle.primary,
            )
        )
    return embed, view


def exam_wrong_page(
    content: ContentStore,
    res: Result,
    page: int,
) -> tuple[discord.Embed, discord.ui.View]:
    page = max(0, min(page, len(res.wrong) - 1))
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
    sid = res.session.id
    view = discord.ui.View(timeout=None)
    view.add_item(button(f"exam:w:{sid}:{page - 1}", "◀ Previous", disabled=page == 0))
    view.add_item(button(f"exam:w:{sid}:{page + 1}", "Next ▶", disabled=page >= len(res.wrong) - 1))
    view.add_item(button(f"exam:r:{sid}", "Back to the result"))
    return embed, view
