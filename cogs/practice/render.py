"""The mock exam's embeds: a question page, the submit confirmation, the result and the
wrong-answer pages. Their buttons are built in cogs/practice/exam.py, next to the
components that own them."""

from __future__ import annotations

import discord

from bot.content import ContentStore
from bot.enums import SessionStatus
from bot.services.exam import Result
from bot.services.quiz import Step
from bot.ui import (
    BAD,
    FIELD_VALUE_MAX,
    GOOD,
    WARN,
    explanation_field,
    percent,
    question_embed,
    truncate,
)


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
