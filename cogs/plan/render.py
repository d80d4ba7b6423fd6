"""Embeds for the study plan, its reminders and the progress report, and the drill
buttons they carry (bot.practice_ui's: a click starts a quiz)."""

from __future__ import annotations

import discord

from bot.components import view_of
from bot.content import ContentStore
from bot.practice_ui import Drill
from bot.services.plan import PlanStatus, Position
from bot.services.progress import ProgressReport
from bot.ui import BRAND, FIELD_VALUE_MAX, GOOD, WARN, truncate

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def bullets(items: tuple[str, ...] | list[str]) -> str:
    return truncate("\n".join(f"• {i}" for i in items) or "–", FIELD_VALUE_MAX)


def week_fields(embed: discord.Embed, content: ContentStore, pos: Position) -> None:
    week = pos.plan_week
    embed.add_field(name=f"This week: {week.title}", value=bullets(week.goals), inline=False)
    embed.add_field(name="Topics", value=bullets(week.topics), inline=False)
    domains = ", ".join(content.domain_name(d) for d in week.domains)
    embed.add_field(
        name="Practise",
        value=truncate(f"{pos.target} questions in {domains}", FIELD_VALUE_MAX),
        inline=False,
    )
    if week.milestones:
        embed.add_field(name="Hands-on", value=bullets(week.milestones), inline=False)


def quiz_buttons(
    content: ContentStore,
    domains: tuple[str, ...] | list[str],
) -> discord.ui.View:
    buttons = [
        Drill.build(
            f"Quiz: {content.domain_name(domain)}",
            style=discord.ButtonStyle.primary,
            scope=domain,
        )
        for domain in list(dict.fromkeys(domains))[:4]
    ]
    return view_of(*buttons, Drill.build("Mixed quiz", scope="mixed"))


def status_embed(content: ContentStore, st: PlanStatus, failed: str | None) -> discord.Embed:
    pos = st.position
    embed = discord.Embed(title=pos.label, colour=WARN if pos.paused else BRAND)
    if not pos.finished:
        week_fields(embed, content, pos)
        embed.add_field(name="Practice this week", value=f"{st.practised} of {pos.target}")
    e = st.enrolment
    if st.next_reminder is not None:
        embed.add_field(name="Next kickoff", value=discord.utils.format_dt(st.next_reminder, "F"))
    embed.add_field(
        name="Reminders",
        value=f"{WEEKDAYS[e.reminder_day]} {e.reminder_time} "
        f"({e.timezone}) by {'DM' if e.deliver == 'dm' else 'channel'}",
    )
    if e.exam_date:
        embed.add_field(name="Exam", value=f"{e.exam_date:%a %d %b %Y}")
    if failed:
        embed.add_field(
            name="Delivery problem", value=truncate(failed, FIELD_VALUE_MAX), inline=False
        )
    return embed


def kickoff_embed(
    content: ContentStore, pos: Position, last_week: tuple[int, int] | None, weak: list[str]
) -> discord.Embed:
    embed = discord.Embed(title=pos.label, colour=BRAND, description="A new study week starts now.")
    week_fields(embed, content, pos)
    if last_week is not None:
        done, target = last_week
        embed.add_field(
            name="Last week",
            value=f"{done} of {target} questions practised" + (" ✅" if done >= target else ""),
            inline=False,
        )
    if weak:
        names = ", ".join(content.domain_name(d) for d in weak)
        embed.add_field(
            name="Watch out",
            value=f"You are below the pass line in {names}: drill it with the buttons below.",
            inline=False,
        )
    if pos.week >= pos.total:
        embed.add_field(
            name="Last week of the plan",
            value="Take a full mock exam with `/exam` and review what you miss.",
            inline=False,
        )
    return embed


def nudge_text(pos: Position, practised: int) -> str:
    return (
        f"Halfway through week {pos.week} of {pos.total}: you have practised {practised} "
        f"of {pos.target} questions. A short `/quiz` today keeps you on track. "
        "(Turn these nudges off with `/reports nudges off`.)"
    )


def report_embed(content: ContentStore, rep: ProgressReport) -> discord.Embed:
    colour = GOOD if rep.readiness is not None and rep.readiness >= rep.pass_line else WARN
    embed = discord.Embed(title=f"Your progress · {rep.week}", colour=colour)
    change = (
        "" if rep.accuracy_change is None else f" ({rep.accuracy_change:+.0f} points on last week)"
    )
    embed.description = (
        f"**{rep.answered_week}** answers this week, **{rep.answered_total}** in all{change}."
    )
    lines = []
    for d in rep.domains:
        acc = "–" if d.accuracy is None else f"{d.accuracy:.0f}%"
        mark = "⬜" if d.accuracy is None else ("✅" if d.accuracy >= rep.pass_line else "❌")
        lines.append(f"{mark} {d.name}: {acc} of {d.answered}")
    embed.add_field(
        name=f"Accuracy by domain (pass line {rep.pass_line}%)",
        value=truncate("\n".join(lines), FIELD_VALUE_MAX),
        inline=False,
    )
    ready = "not enough answers yet" if rep.readiness is None else f"{rep.readiness:.0f}%"
    if rep.readiness_missing:
        ready += (
            " (too few answers in "
            + ", ".join(content.domain_name(d) for d in rep.readiness_missing)
            + ")"
        )
    embed.add_field(
        name="Readiness (weighted like the exam)", value=truncate(ready, 1024), inline=False
    )
    if rep.weakest:
        embed.add_field(
            name="Weakest subtopics",
            value=truncate(
                "\n".join(f"{t.name}: {t.accuracy:.0f}% of {t.answered}" for t in rep.weakest), 1024
            ),
            inline=False,
        )
    if rep.streak:
        embed.add_field(name="Daily streak", value=f"🔥 {rep.streak}")
    if rep.plan:
        embed.add_field(name="Plan", value=rep.plan)
    embed.set_image(url="attachment://progress.png")
    return embed


def drill_view(rep: ProgressReport) -> discord.ui.View | None:
    if not rep.weakest:
        return None
    return view_of(*(Drill.build(f"Drill: {t.name}", scope=t.topic) for t in rep.weakest[:3]))
