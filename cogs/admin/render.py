"""The admin embeds of the group features: the radar, the mock-exam day's Start message,
its group result and its split-question threads."""

from __future__ import annotations

import statistics
from datetime import datetime

import discord

from bot.content import ContentStore
from bot.services.exam import LENGTHS, Result
from bot.services.guild_time import Changed
from bot.services.mock_day import GroupResult, MockDay, Split
from bot.services.weak_spots import Radar
from bot.ui import (
    BRAND,
    FIELD_VALUE_MAX,
    GOOD,
    WARN,
    answer_bars,
    drop_when,
    explanation_field,
    question_embed,
    truncate,
)

NAME_WIDTH = 34
SCHEME_NAMES = {"official": "official exam guide", "domains": "study guide"}


def timezone_text(changed: Changed, next_drop: datetime | None, now: datetime) -> str:
    """The reply to /studyadmin timezone."""
    zone = changed.timezone
    if changed.timezone == changed.previous:
        text = f"This server's timezone is already **{zone}**: nothing changed."
    else:
        text = (
            f"This server's timezone is now **{zone}** (it was {changed.previous}). "
            f"Leaderboard weeks run Monday to Sunday in {zone} and months follow it too: "
            "the weekly and monthly totals were recounted from the answers in it."
        )
    settings = changed.daily
    if settings is None:
        return text + (
            " The Monday summary goes to the daily drops' channel once they are set up "
            "(`/daily setup`)."
        )
    text += (
        f" The daily drops come at {settings.post_time} {zone}, and the Monday summary at "
        "that time on Mondays."
    )
    if next_drop is not None:
        text += f" The next drop: {drop_when(next_drop, now)}."
    return text


def table(rows: list[tuple[str, str, str]], header: tuple[str, str, str]) -> str:
    """A fixed-width table in a code block (names cut to NAME_WIDTH)."""
    lines = [f"{header[0]:<{NAME_WIDTH}} {header[1]:>6} {header[2]:>7}"]
    lines += [f"{truncate(a, NAME_WIDTH):<{NAME_WIDTH}} {b:>6} {c:>7}" for a, b, c in rows]
    return "```\n" + "\n".join(lines) + "\n```"


# -- the radar ----------------------------------------------------------------------------------
def radar_embed(radar: Radar) -> discord.Embed:
    rows = [
        (
            f"{s.section} {s.name}",
            "–" if s.accuracy is None else f"{s.accuracy:.0f}%",
            str(s.answered),
        )
        for s in radar.sections
    ]
    weak = [s for s in radar.sections if s.accuracy is not None and s.accuracy < radar.pass_line]
    embed = discord.Embed(
        title="The group's weak spots: accuracy per exam-guide section",
        description=f"Every answer in this server over the last 30 days "
        f"({radar.answered} in all), against the {radar.pass_line}% pass estimate.",
        colour=WARN if weak else GOOD,
    )
    embed.add_field(
        name="By section", value=table(rows, ("Section", "Right", "Answers")), inline=False
    )
    if weak:
        worst = min(weak, key=lambda s: s.accuracy or 0.0)
        embed.add_field(
            name="Weakest",
            value=f"**{worst.section} {worst.name}**: try `/groupquiz start`, or "
            "`/daily setup mode:weak-spots` to draw most drops from the weak sections.",
            inline=False,
        )
    embed.set_image(url="attachment://radar.png")
    return embed


# -- the mock-exam day ----------------------------------------------------------------------------
def start_embed(day: MockDay, *, started: int | None = None) -> discord.Embed:
    size, minutes = LENGTHS[day.length]
    closes = discord.utils.format_dt(day.closes_at, "t")
    if started is None:
        embed = discord.Embed(
            title="Mock exam day: start now",
            description=(
                f"Click **Start** before {closes} "
                f"({discord.utils.format_dt(day.closes_at, 'R')}): everyone gets the same "
                f"{size} questions ({SCHEME_NAMES[day.scheme]} weights), in an order of "
                f"their own, with {minutes} minutes from their click, like `/exam`. Your "
                "breakdown comes by DM; the group's result comes here once the window has "
                "closed and every exam has ended."
            ),
            colour=BRAND,
        )
    else:
        embed = discord.Embed(
            title="Mock exam day: the start window has closed",
            description=f"{started} member{'s' * (started != 1)} started. The group's result "
            "comes here when every exam has ended.",
            colour=BRAND,
        )
    return embed


def result_embed(content: ContentStore, res: GroupResult) -> discord.Embed:
    day = res.day
    size, _minutes = LENGTHS[day.length]
    taken = len(res.scores)
    median = statistics.median(s.percent for s in res.scores)
    embed = discord.Embed(
        title="Mock exam day: the group's result",
        description=(
            f"{taken} member{'s' * (taken != 1)} took the {size}-question mock exam. "
            f"**{res.passed} of {taken} passed ({100 * res.passed / taken:.0f}%)** against "
            f"the {res.pass_mark}% estimate; the median score was {median:.0f}%."
        ),
        colour=GOOD if res.passed * 2 >= taken else WARN,
    )
    names = (
        {s.id: s.name for s in content.blueprint.official_sections}
        if day.scheme == "official"
        else {d.id: d.name for d in content.blueprint.domains}
    )
    rows = [
        (
            f"{bucket} {names[bucket]}" if day.scheme == "official" else names[bucket],
            f"{right}/{total}",
            f"{100 * right / total:.0f}%",
        )
        for bucket, (right, total) in sorted(res.by_bucket.items())
        if bucket in names
    ]
    label = "By section" if day.scheme == "official" else "By domain"
    embed.add_field(
        name=f"{label}, the whole group",
        value=truncate(table(rows, ("", "Right", "Share")), FIELD_VALUE_MAX),
        inline=False,
    )
    if res.splits:
        embed.add_field(
            name="Where the group split",
            value=f"The {len(res.splits)} questions the group divided on most follow, each "
            "with a thread: the key and the explanation are inside.",
            inline=False,
        )
    embed.set_image(url="attachment://scores.png")
    return embed


def split_intro(number: int, count: int, split: Split) -> str:
    share = 100 * split.right / split.answered
    return (
        f"**Split question {number} of {count}**: {split.right} of {split.answered} got it "
        f"right ({share:.0f}%). The question, the key and the explanation are in the thread "
        "below; discuss there, no spoilers here."
    )


def split_embed(content: ContentStore, number: int, split: Split) -> discord.Embed:
    q = content.questions[split.question_id]
    embed = question_embed(content, q, title=f"Split question {number}", footer=q.id)
    embed.add_field(
        name=f"How the group answered ({split.answered})",
        value=truncate(answer_bars(q, split.picks, split.answered), FIELD_VALUE_MAX),
        inline=False,
    )
    explanation_field(embed, q)
    return embed


def group_field(embed: discord.Embed, res: GroupResult, own: Result) -> discord.Embed:
    """A member's result with where they stand in the group."""
    taken = len(res.scores)
    median = statistics.median(s.percent for s in res.scores)
    embed.add_field(
        name="The group",
        value=f"You placed {res.rank(own.session.user_id)} of {taken}; the median was "
        f"{median:.0f}%, and {res.passed} of {taken} passed.",
        inline=False,
    )
    return embed
