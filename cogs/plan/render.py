"""Embeds for the study plan, its reminders and the progress report, and the drill
buttons they carry (bot.practice_ui's: a click starts a quiz)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import discord

from bot.components import view_of
from bot.content import ContentStore
from bot.practice_ui import Drill
from bot.services.plan import Enrolment, PlanStatus, Position
from bot.services.progress import ProgressReport
from bot.services.timezones import moment_note
from bot.ui import BRAND, DESCRIPTION_MAX, FIELD_VALUE_MAX, GOOD, WARN, truncate

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


def moved_text(
    enrolment: Enrolment, previous: str, pos: Position, kickoff: datetime | None, now: datetime
) -> str:
    """The reply to a change of timezone: the plan kept, and when its next kickoff comes
    (`now`: this week's, still owed, goes out at the next tick)."""
    text = (
        f"Your plan now runs in **{enrolment.timezone}** (it was {previous}). It keeps its "
        f"start date ({enrolment.start_date:%a %d %b %Y}): {pos.label}."
    )
    if kickoff is None or pos.paused:
        return text + " It is paused: `/plan resume` picks it up."
    if kickoff <= now:
        return text + " This week's kickoff has not reached you yet: it comes within a minute."
    note = moment_note(enrolment.reminder_time, kickoff, enrolment.timezone)
    return text + f" Your next kickoff comes {discord.utils.format_dt(kickoff, 'F')}{note}."


def nudge_text(pos: Position, practised: int) -> str:
    return (
        f"Halfway through week {pos.week} of {pos.total}: you have practised {practised} "
        f"of {pos.target} questions. A short `/quiz` today keeps you on track. "
        "(Turn these nudges off with `/reports nudges off`.)"
    )


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f}%"


def recall_label(rep: ProgressReport) -> str:
    """When the recall forecast is for: the exam day, or today."""
    if rep.forecast is None or rep.forecast.exam_day is None:
        return "recall if the exam were today"
    return f"recall on exam day ({rep.forecast.exam_day:%a %d %b})"


def _domain_lines(rep: ProgressReport) -> list[str]:
    lines = []
    for d in rep.domains:
        mark = "⬜" if d.accuracy is None else ("✅" if d.accuracy >= rep.pass_line else "❌")
        if d.accuracy is None:
            text = f"{mark} {d.name}: no answers yet"
        else:
            text = f"{mark} {d.name}: {d.accuracy:.0f}% of {d.answered} ({d.low:.0f}–{d.high:.0f}%)"
        if rep.forecast is not None:
            text += f" · recall {_pct(rep.forecast.domain(d.id).share)}"
        lines.append(text)
    return lines


def _section_lines(rep: ProgressReport) -> list[str]:
    recall = {r.id: r.share for r in rep.forecast.sections} if rep.forecast else {}
    lines = []
    for s in rep.sections:
        acc = "no answers" if s.accuracy is None else f"{s.accuracy:.0f}% of {s.answered}"
        text = f"{s.id}. {s.name} ({s.weight}%): {acc}"
        if s.id in recall:
            text += f" · recall {_pct(recall[s.id])}"
        lines.append(text)
    return lines


def readiness_text(content: ContentStore, rep: ProgressReport) -> str:
    ready = "not enough answers yet" if rep.readiness is None else f"{rep.readiness:.0f}%"
    if rep.readiness_missing:
        names = ", ".join(content.domain_name(d) for d in rep.readiness_missing)
        ready += f" (too few answers in {names})"
    band = rep.band
    if band is None:
        return ready
    ready += f"\nBand (95%): {band.low:.0f}–{band.high:.0f}%. "
    if band.ready:
        return ready + f"✅ Ready: even its lower edge clears the {rep.pass_line}% pass line."
    return ready + (
        f"Not ready yet: its lower edge ({band.low:.0f}%) is below the {rep.pass_line}% "
        "pass line. More answers narrow the band; more right answers raise it."
    )


def study_text(rep: ProgressReport) -> str | None:
    study = rep.study
    if study is None:
        return None
    if not study.current:
        return f"0 days: answer a question today to start one (best {study.best})"
    days = "day" if study.current == 1 else "days"
    today = "today counts" if study.today else "answer today to keep it"
    return f"🔥 {study.current} {days}, {today} (best {study.best})"


def week_text(rep: ProgressReport) -> tuple[str, str]:
    """Which week the report's weekly figures count, and what the one before is called:
    the member's own plan week (from their kickoff, in their timezone), or the UTC ISO
    week when they have no plan."""
    own = rep.own_week
    if own is None:
        return "this week (Mon–Sun UTC)", "last week"
    start = own.start.astimezone(ZoneInfo(own.timezone))
    return f"this plan week (since {start:%a %d %b %H:%M} {own.timezone})", "the week before"


def week_title(rep: ProgressReport) -> str:
    own = rep.own_week
    if own is None:
        return f"{rep.week} (UTC)"
    return f"plan week from {own.start.astimezone(ZoneInfo(own.timezone)):%a %d %b}"


def _description(content: ContentStore, rep: ProgressReport) -> str:
    this, before = week_text(rep)
    change = (
        "" if rep.accuracy_change is None else f" ({rep.accuracy_change:+.0f} points on {before})"
    )
    text = (
        f"**{rep.answered_week}** answers {this}, **{rep.answered_last_week}** {before}, "
        f"**{rep.answered_total}** in all{change}."
    )
    if rep.forecast is not None and rep.forecast.overall is not None:
        text += (
            f"\nPredicted {recall_label(rep)}: **{rep.forecast.overall:.0f}%** of the bank's "
            f"{len(content.questions)} questions (unseen ones count as not known)."
        )
    return truncate(text, DESCRIPTION_MAX)


def report_embed(content: ContentStore, rep: ProgressReport) -> discord.Embed:
    embed = discord.Embed(
        title=f"Your progress · {week_title(rep)}",
        description=_description(content, rep),
        colour=GOOD if rep.ready else WARN,
    )
    embed.add_field(
        name=f"Accuracy by domain, 95% band · {recall_label(rep)} (pass line {rep.pass_line}%)",
        value=truncate("\n".join(_domain_lines(rep)), FIELD_VALUE_MAX),
        inline=False,
    )
    if rep.sections:
        embed.add_field(
            name="By official exam-guide section (weight)",
            value=truncate("\n".join(_section_lines(rep)), FIELD_VALUE_MAX),
            inline=False,
        )
    embed.add_field(
        name="Readiness (weighted like the exam)",
        value=truncate(readiness_text(content, rep), FIELD_VALUE_MAX),
        inline=False,
    )
    if rep.weakest:
        embed.add_field(
            name="Weakest subtopics",
            value=truncate(
                "\n".join(f"{t.name}: {t.accuracy:.0f}% of {t.answered}" for t in rep.weakest),
                FIELD_VALUE_MAX,
            ),
            inline=False,
        )
    study = study_text(rep)
    if study is not None:
        embed.add_field(name="Study streak", value=study)
    if rep.streak:
        embed.add_field(name="Daily-drop streak", value=f"🔥 {rep.streak}")
    if rep.plan:
        embed.add_field(name="Plan", value=rep.plan)
    embed.set_image(url="attachment://progress.png")
    return embed


def drill_view(rep: ProgressReport) -> discord.ui.View | None:
    if not rep.weakest:
        return None
    return view_of(*(Drill.build(f"Drill: {t.name}", scope=t.topic) for t in rep.weakest[:3]))
