"""/plan, /progress, /reports and /resources: the 12-week plan in each member's own week."""

from __future__ import annotations

import asyncio
import io
import random
import re
from datetime import date
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import StudyBot
from bot.charts import render_progress_chart
from bot.services import members, plan, progress, quiz
from bot.services.errors import InvalidInput
from bot.ui import (
    BRAND,
    DESCRIPTION_MAX,
    send_ephemeral,
    study_bot,
    timezone_autocomplete,
    truncate,
    user_errors,
)
from cogs.plan import render
from cogs.practice.quiz import DOMAIN_CHOICES, show_step

DAY_CHOICES = [app_commands.Choice(name=d, value=i) for i, d in enumerate(render.WEEKDAYS)]


def parse_date(text: str | None, field: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(
            f"{field} must be a date like 2026-12-31 (year-month-day), not {text!r}."
        ) from None


async def progress_message(
    bot: StudyBot, user_id: int
) -> tuple[discord.Embed, discord.File, discord.ui.View | None]:
    async with bot.db.read() as session:
        rep = await progress.report(session, bot.content, user_id=user_id, now=bot.now())
    png = await asyncio.to_thread(render_progress_chart, rep, bot.content)
    file = discord.File(io.BytesIO(png), filename="progress.png")
    return render.report_embed(bot.content, rep), file, render.drill_view(rep)


class PlanQuiz(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"plan:q:(?P<scope>[a-z_]+(\.[a-z_]+)?)",
):
    """A kickoff or report button: start a quiz for whoever clicks it."""

    def __init__(self, item: discord.ui.Button[Any], scope: str) -> None:
        super().__init__(item)
        self.scope = scope

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> PlanQuiz:
        assert isinstance(item, discord.ui.Button)
        return cls(item, match["scope"])

    async def callback(self, interaction: discord.Interaction) -> None:
        bot = study_bot(interaction)
        async with user_errors(interaction):
            async with bot.db.write() as db:
                step, _ = await quiz.start_quiz(
                    db,
                    bot.content,
                    user_id=interaction.user.id,
                    guild_id=interaction.guild_id,
                    scope=self.scope,
                    size=10,
                    now=bot.now(),
                    rng=random.Random(),
                )
            await show_step(interaction, step, edit=False)


class PlanOutcome(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"plan:x:(?P<user>\d+):(?P<outcome>passed|failed|not_taken)",
):
    """The answer to 'how did the exam go?'; the plan ends."""

    def __init__(self, item: discord.ui.Button[Any], user: int, outcome: str) -> None:
        super().__init__(item)
        self.user, self.outcome = user, outcome

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> PlanOutcome:
        assert isinstance(item, discord.ui.Button)
        return cls(item, int(match["user"]), match["outcome"])

    async def callback(self, interaction: discord.Interaction) -> None:
        bot = study_bot(interaction)
        if interaction.user.id != self.user:
            await send_ephemeral(interaction, "This question was for someone else.")
            return
        async with user_errors(interaction):
            async with bot.db.begin() as session:
                await plan.record_outcome(
                    session, user_id=self.user, outcome=self.outcome, now=bot.now()
                )
            reply = {
                "passed": "Congratulations, and thank you for studying with us! 🎉",
                "failed": "That's hard. Your history stays here: `/plan start` again "
                "with a new exam date when you are ready.",
                "not_taken": "Good luck when you do! `/plan start` with the new date "
                "re-fits the plan.",
            }[self.outcome]
            await interaction.response.edit_message(content=reply, view=None)


DYNAMIC_ITEMS = (PlanQuiz, PlanOutcome)


class PlanGroup(app_commands.Group, name="plan", description="Your 12-week study plan"):
    def __init__(self, cog: PlanCog) -> None:
        super().__init__()
        self.cog = cog

    @app_commands.command(name="start")
    @app_commands.describe(
        timezone="Your IANA timezone, e.g. Europe/Berlin",
        start_date="YYYY-MM-DD (today)",
        exam_date="YYYY-MM-DD: fit the plan to your exam",
        reminder_time="HH:MM (09:00)",
        reminder_day="The day of your weekly kickoff (the start date's weekday)",
        deliver="Reminders by DM, or in this channel",
    )
    @app_commands.autocomplete(timezone=timezone_autocomplete)
    @app_commands.choices(  # type: ignore[misc]  # int and str choices
        reminder_day=DAY_CHOICES,
        deliver=[
            app_commands.Choice(name="DM", value="dm"),
            app_commands.Choice(name="this channel", value="channel"),
        ],
    )
    async def start(
        self,
        interaction: discord.Interaction,
        timezone: str,
        start_date: str | None = None,
        exam_date: str | None = None,
        reminder_time: str | None = None,
        reminder_day: app_commands.Choice[int] | None = None,
        deliver: app_commands.Choice[str] | None = None,
    ) -> None:
        """Join the plan: weekly goals and reminders in your own week and timezone."""
        await self.cog.start(
            interaction,
            timezone,
            start_date,
            exam_date,
            reminder_time,
            reminder_day.value if reminder_day else None,
            deliver.value if deliver else "dm",
        )

    @app_commands.command(name="status")
    async def status(self, interaction: discord.Interaction) -> None:
        """Your week, goals, practice against the target and next reminder."""
        await self.cog.status(interaction)

    @app_commands.command(name="pause")
    async def pause(self, interaction: discord.Interaction) -> None:
        """Pause the plan (reminders stop; the plan waits for you)."""
        await self.cog.change(interaction, "pause")

    @app_commands.command(name="resume")
    async def resume(self, interaction: discord.Interaction) -> None:
        """Resume the plan where you left it."""
        await self.cog.change(interaction, "resume")

    @app_commands.command(name="stop")
    async def stop(self, interaction: discord.Interaction) -> None:
        """Leave the plan."""
        await self.cog.change(interaction, "stop")


class ReportsGroup(
    app_commands.Group, name="reports", description="Weekly progress reports and nudges by DM"
):
    def __init__(self, cog: PlanCog) -> None:
        super().__init__()
        self.cog = cog

    @app_commands.command(name="on")
    async def on(self, interaction: discord.Interaction) -> None:
        """Get a weekly progress report by DM."""
        await self.cog.preference(interaction, reports_enabled=True)

    @app_commands.command(name="off")
    async def off(self, interaction: discord.Interaction) -> None:
        """Stop the weekly progress reports."""
        await self.cog.preference(interaction, reports_enabled=False)

    @app_commands.command(name="nudges")
    @app_commands.describe(state="on or off")
    @app_commands.choices(
        state=[app_commands.Choice(name="on", value=1), app_commands.Choice(name="off", value=0)]
    )
    async def nudges(
        self, interaction: discord.Interaction, state: app_commands.Choice[int]
    ) -> None:
        """Mid-week nudges when you are behind your weekly target."""
        await self.cog.preference(interaction, nudges_enabled=bool(state.value))


class PlanCog(commands.Cog):
    """The study plan, reminders and progress reports."""

    def __init__(self, bot: StudyBot) -> None:
        from cogs.plan.jobs import PlanJobs

        self.bot = bot
        self.jobs = PlanJobs(bot)
        self.plan_group = PlanGroup(self)
        self.reports_group = ReportsGroup(self)

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.plan_group)
        self.bot.tree.add_command(self.reports_group)
        self.bot.scheduler.add_tick("plan", self.jobs.tick, seconds=60)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.plan_group.name)
        self.bot.tree.remove_command(self.reports_group.name)
        self.bot.scheduler.remove_tick("plan")

    async def start(
        self,
        interaction: discord.Interaction,
        timezone: str,
        start_date: str | None,
        exam_date: str | None,
        reminder_time: str | None,
        reminder_day: int | None,
        deliver: str,
    ) -> None:
        start, exam = parse_date(start_date, "start_date"), parse_date(exam_date, "exam_date")
        now = self.bot.now()
        async with self.bot.db.begin() as session:
            row = await plan.enrol(
                session,
                self.bot.content,
                user_id=interaction.user.id,
                guild_id=interaction.guild_id,
                channel_id=interaction.channel_id if interaction.guild_id else None,
                timezone=timezone,
                start_date=start,
                exam_date=exam,
                reminder_time=reminder_time,
                reminder_day=reminder_day,
                deliver=deliver,
                now=now,
            )
            pos = plan.position(row, plan.local_today(row, now), self.bot.content)
            first = plan.next_reminder(row, now)
            await members.get_or_create(session, interaction.user.id, now)
        embed = discord.Embed(
            title=pos.label,
            colour=BRAND,
            description=f"You're in! Your first kickoff comes "
            f"{discord.utils.format_dt(first, 'F')} "
            f"({discord.utils.format_dt(first, 'R')}).",
        )
        render.week_fields(embed, self.bot.content, pos)
        await interaction.response.send_message(
            embed=embed,
            view=render.quiz_buttons(self.bot.content, pos.plan_week.domains),
            ephemeral=True,
        )

    async def status(self, interaction: discord.Interaction) -> None:
        async with self.bot.db.read() as session:
            st = await plan.status(
                session, self.bot.content, user_id=interaction.user.id, now=self.bot.now()
            )
            failed = await self.jobs.last_failure(session, interaction.user.id)
        await interaction.response.send_message(
            embed=render.status_embed(self.bot.content, st, failed), ephemeral=True
        )

    async def change(self, interaction: discord.Interaction, action: str) -> None:
        now = self.bot.now()
        async with self.bot.db.begin() as session:
            fn = {"pause": plan.pause, "resume": plan.resume, "stop": plan.stop}[action]
            row = await fn(session, user_id=interaction.user.id, now=now)
            label = plan.position(row, plan.local_today(row, now), self.bot.content).label
        text = {
            "pause": "Your plan is paused; `/plan resume` picks it up where you left it.",
            "resume": f"Welcome back! {label}.",
            "stop": "You left the plan. Your answers and progress stay; `/plan start` any time.",
        }[action]
        await interaction.response.send_message(text, ephemeral=True)

    async def preference(self, interaction: discord.Interaction, **values: bool) -> None:
        async with self.bot.db.begin() as session:
            await members.upsert_member(session, interaction.user.id, now=self.bot.now(), **values)
        ((what, on),) = values.items()
        name = "Weekly progress reports" if what == "reports_enabled" else "Mid-week nudges"
        await interaction.response.send_message(
            f"{name} are {'on' if on else 'off'}.", ephemeral=True
        )

    @app_commands.command(name="progress")
    async def progress_command(self, interaction: discord.Interaction) -> None:
        """Your progress report now: accuracy per domain, readiness and a chart."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        embed, file, view = await progress_message(self.bot, interaction.user.id)
        if view is not None:
            await interaction.followup.send(embed=embed, file=file, view=view, ephemeral=True)
        else:
            await interaction.followup.send(embed=embed, file=file, ephemeral=True)

    @app_commands.command(name="resources")
    @app_commands.describe(domain="A domain (default: your plan week's domains)")
    @app_commands.choices(domain=[c for c in DOMAIN_CHOICES if c.value != "mixed"])
    async def resources(
        self, interaction: discord.Interaction, domain: app_commands.Choice[str] | None = None
    ) -> None:
        """Official documentation for a domain, or for your current plan week."""
        content = self.bot.content
        if domain is not None:
            domains, title = [domain.value], content.domain_name(domain.value)
        else:
            async with self.bot.db.read() as session:
                try:
                    st = await plan.status(
                        session, content, user_id=interaction.user.id, now=self.bot.now()
                    )
                except plan.NotFound:
                    st = None
            if st is None:
                domains, title = [], "Getting started"
            else:
                domains = list(st.position.plan_week.domains)
                title = f"{st.position.label}: {st.position.plan_week.title}"
        lines = (
            [f"[{r.title}]({r.url})" for r in content.resources.general]
            if not domains
            else [f"[{r.title}]({r.url})" for d in domains for r in content.resources.domains[d]]
        )
        embed = discord.Embed(
            title=f"Resources · {title}"[:256],
            description=truncate("\n".join(lines), DESCRIPTION_MAX),
            colour=BRAND,
        )
        await interaction.response.send_message(embed=embed, ephemeral=True)


async def setup(bot: StudyBot) -> None:
    bot.add_dynamic_items(*DYNAMIC_ITEMS)
    await bot.add_cog(PlanCog(bot))


async def teardown(bot: StudyBot) -> None:
    bot.remove_dynamic_items(*DYNAMIC_ITEMS)
