"""The live quiz's embeds: a question with its timer, its reveal, and the scoreboard.
Their buttons are cogs/groupquiz/views.py's."""

from __future__ import annotations

from datetime import datetime

import discord

from bot.content import ContentStore
from bot.enums import LiveStatus
from bot.services.live_quiz import LiveQuiz, LiveQuizItem, Reveal, Scoreboard
from bot.ui import (
    BRAND,
    DESCRIPTION_MAX,
    FIELD_VALUE_MAX,
    GOOD,
    WARN,
    answer_bars,
    explanation_field,
    question_embed,
    truncate,
)

MEDALS = ("🥇", "🥈", "🥉")
BOARD_ROWS = 20  # members listed on the scoreboard


def title(quiz: LiveQuiz, position: int) -> str:
    return f"Live quiz · question {position + 1} of {quiz.size}"


def scope_name(content: ContentStore, scope: str) -> str:
    if scope in content.by_domain:
        return content.domain_name(scope)
    return "mixed, weighted like the exam"


def intro(content: ContentStore, quiz: LiveQuiz) -> str:
    return (
        f"**Live quiz!** <@{quiz.started_by}> started {quiz.size} questions "
        f"({scope_name(content, quiz.scope)}), {quiz.seconds} s each. Answer with the buttons "
        "under each question: one answer each, private until the reveal. Everyone who "
        "answers joins; from the second question on, the answer shows as soon as everyone "
        "who joined has answered."
    )


def question(
    content: ContentStore,
    quiz: LiveQuiz,
    item: LiveQuizItem,
    ends: datetime,
    note: str | None = None,
) -> discord.Embed:
    q = content.questions[item.question_id]
    embed = question_embed(content, q, title=title(quiz, item.position), footer=q.id)
    embed.add_field(name="Time", value=f"ends {discord.utils.format_dt(ends, 'R')}")
    if quiz.participants:
        embed.add_field(name="Joined", value=str(quiz.participants))
    if note:
        embed.add_field(name="Note", value=note, inline=False)
    return embed


def seconds(ms: int) -> str:
    return f"{ms / 1000:.1f} s"


def reveal(content: ContentStore, stats: Reveal) -> discord.Embed:
    q = content.questions[stats.item.question_id]
    embed = question_embed(
        content,
        q,
        title=f"{title(stats.quiz, stats.item.position)} · revealed",
        footer=q.id,
        colour=GOOD,
    )
    share = f"{100 * stats.right / stats.answered:.0f}% right" if stats.answered else "no answers"
    embed.add_field(
        name=f"How the group answered ({stats.answered}, {share})",
        value=truncate(answer_bars(q, stats.counts, stats.answered), FIELD_VALUE_MAX),
        inline=False,
    )
    explanation_field(embed, q)
    firsts = " · ".join(f"<@{user}> ({seconds(ms)})" for user, ms in stats.first_right)
    embed.add_field(name="Right first", value=firsts or "Nobody got this one.", inline=False)
    if not stats.last and stats.quiz.status == LiveStatus.RUNNING:
        embed.set_footer(text=f"{q.id} · the next question follows in a moment")
    return embed


def scoreboard(content: ContentStore, board: Scoreboard) -> discord.Embed:
    quiz = board.quiz
    status = quiz.status
    headings: dict[str, str] = {
        LiveStatus.FINISHED: "Live quiz over: the scoreboard",
        LiveStatus.STOPPED: "Live quiz stopped: the scoreboard so far",
    }
    heading = headings.get(status, "Live quiz ended: the scoreboard so far")
    lines = []
    for rank, s in enumerate(board.standings[:BOARD_ROWS]):
        medal = MEDALS[rank] if rank < len(MEDALS) else f"**{rank + 1}.**"
        lines.append(
            f"{medal} <@{s.user_id}> — **{s.right}**/{board.asked} right · {seconds(s.total_ms)}"
        )
    more = len(board.standings) - BOARD_ROWS
    if more > 0:
        lines.append(f"… and {more} more")
    text = "\n".join(lines) or "Nobody answered."
    if quiz.end_note and status != LiveStatus.FINISHED:
        text = f"*Ended early: {quiz.end_note}.*\n\n{text}"
    embed = discord.Embed(title=heading, description=truncate(text, DESCRIPTION_MAX), colour=BRAND)
    drills = drill_topics(board)
    if drills:
        drill_lines = [
            f"**{content.subtopic_name(topic)}** — "
            + " ".join(f"<@{u}>" for u in users[:10])
            + (f" +{len(users) - 10}" if len(users) > 10 else "")
            for topic, users in drills
        ]
        embed.add_field(
            name="Drill your weakest topic (buttons below)",
            value=truncate("\n".join(drill_lines), FIELD_VALUE_MAX),
            inline=False,
        )
    embed.set_footer(text="Ranked by right answers, then by total answer time.")
    if status != LiveStatus.FINISHED:
        embed.colour = WARN
    return embed


def drill_topics(board: Scoreboard, limit: int = 25) -> list[tuple[str, list[int]]]:
    """Each member's weakest subtopic, grouped: (topic, members), most members first."""
    topics: dict[str, list[int]] = {}
    for s in board.standings:
        if s.weakest:
            topics.setdefault(s.weakest, []).append(s.user_id)
    return sorted(topics.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:limit]
