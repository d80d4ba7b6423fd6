"""/plan, /reports, /progress and /resources: the 12-week plan in each member's own week."""

from __future__ import annotations

import asyncio
import io
from datetime import date, datetime

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import StudyBot
from bot.charts import render_progress_chart
from bot.scheduler import job
from bot.services import members, plan, plan_timezone, progress
from bot.services.errors import InvalidInput
from bot.services.timezones import moment_note as timezone_note
from bot.ui import BRAND, DESCRIPTION_MAX, Domain, clip, timezone_autocomplete, truncate
from cogs.plan import render
from cogs.plan.jobs import PlanJobs

DAY_CHOICES = [app_commands.Choice(name=d, value=i) for i, d in enumerate(render.WEEKDAYS)]
DELIVER_CHOICES = [
    app_commands.Choice(name="DM", value="dm"),
    app_commands.Choice(name="this channel", value="channel"),
]
ON_OFF = [app_commands.Choice(name="on", value=1), app_commands.Choice(name="off", value=0)]


def parse_date(text: str | None, field: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(
            f"{field} must be a date like 2026-12-31 (year-month-day), not {clip(text)!r}."
        ) from None


async def progress_message(
    bot: StudyBot, user_id: int
) -> tuple[discord.Embed, discord.File, discord.ui.View | None]:
    rep = await bot.db.read(progress.report, bot.content, user_id=user_id, now=bot.now())
    png = await asyncio.to_thread(render_progress_chart, rep, bot.content)
    file = discord.File(io.BytesIO(png), filename="progress.png")
    return render.report_embed(bot.content, rep), file, render.drill_view(rep)


class PlanCog(commands.Cog):
    """The study plan, reminders and progress reports."""

    plan_group = app_commands.Group(name="plan", description="Your 12-week study plan")
    reports_group = app_commands.Group(
        name="reports", description="Weekly progress reports and nudges by DM"
    )

    def __init__(self, bot: StudyBot) -> None:
        self.bot = bot
        self.jobs = PlanJobs(bot)

    @job("plan", every=60)
    async def tick(self, now: datetime) -> None:
        """Kickoffs, nudges, reports and exam follow-ups due now."""
        await self.jobs.tick(now)

    # -- /plan -----------------------------------------------------------------------------------
    @plan_group.command(name="start")
    @app_commands.describe(
        timezone="Your IANA timezone, e.g. Europe/Berlin",
        start_date="YYYY-MM-DD (today)",
        exam_date="YYYY-MM-DD: fit the plan to your exam",
        reminder_time="HH:MM (09:00)",
        reminder_day="The day of your weekly kickoff (the start date's weekday)",
        deliver="Reminders by DM, or in this channel",
    )
    @app_commands.autocomplete(timezone=timezone_autocomplete)
    @app_commands.choices(reminder_day=DAY_CHOICES, deliver=DELIVER_CHOICES)  # type: ignore[misc]
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
        if deliver is not None and deliver.value == "channel" and interaction.guild_id:
            perms = interaction.app_permissions
            if not (perms.view_channel and perms.send_messages and perms.embed_links):
                raise InvalidInput(
                    "I can't post reminders in this channel (I need View Channel, Send "
                    "Messages and Embed Links here): run /plan start in another channel, or "
                    "choose DM."
                )
        joined = await self.bot.db.write(
            plan_timezone.start,
            self.bot.content,
            user_id=interaction.user.id,
            guild_id=interaction.guild_id,
            channel_id=interaction.channel_id if interaction.guild_id else None,
            timezone=timezone,
            start_date=parse_date(start_date, "start_date"),
            exam_date=parse_date(exam_date, "exam_date"),
            reminder_time=reminder_time,
            reminder_day=reminder_day.value if reminder_day else None,
            deliver=deliver.value if deliver else None,
            now=self.bot.now(),
        )
        if joined.moved_from is not None:  # only the timezone changed: the plan is kept
            moved = render.moved_text(
                joined.enrolment,
                joined.moved_from,
                joined.position,
                joined.first_kickoff,
                self.bot.now(),
            )
            await interaction.response.send_message(moved, ephemeral=True)
            return
        first = joined.first_kickoff
        embed = discord.Embed(
            title=joined.position.label,
            colour=BRAND,
            description=f"You're in! Your first kickoff comes "
            f"{discord.utils.format_dt(first, 'F')} ({discord.utils.format_dt(first, 'R')})"
            f"{timezone_note(joined.enrolment.reminder_time, first, joined.enrolment.timezone)}."
            + (f"\n{joined.note}" if joined.note else ""),
        )
        render.week_fields(embed, self.bot.content, joined.position)
        await interaction.response.send_message(
            embed=embed,
            view=render.quiz_buttons(self.bot.content, joined.position.plan_week.domains),
            ephemeral=True,
        )

    @plan_group.command(name="timezone")
    @app_commands.describe(timezone="Your IANA timezone, e.g. America/Los_Angeles")
    @app_commands.autocomplete(timezone=timezone_autocomplete)
    async def timezone(self, interaction: discord.Interaction, timezone: str) -> None:
        """Move your plan to another timezone: same week, same start date."""
        moved = await self.bot.db.write(
            plan_timezone.change_timezone,
            self.bot.content,
            user_id=interaction.user.id,
            timezone=timezone,
            now=self.bot.now(),
        )
        now = self.bot.now()
        kickoff = now if moved.kickoff_now else moved.next_kickoff
        text = render.moved_text(moved.enrolment, moved.previous, moved.position, kickoff, now)
        await interaction.response.send_message(text, ephemeral=True)

    @plan_group.command(name="status")
    async def status(self, interaction: discord.Interaction) -> None:
        """Your week, goals, practice against the target and next reminder."""
        st, failed = await self.bot.db.read(
            plan.status_and_failure,
            self.bot.content,
            user_id=interaction.user.id,
            now=self.bot.now(),
        )
        await interaction.response.send_message(
            embed=render.status_embed(self.bot.content, st, failed), ephemeral=True
        )

    @plan_group.command(name="pause")
    async def pause(self, interaction: discord.Interaction) -> None:
        """Pause the plan (reminders stop; the plan waits for you)."""
        await self.bot.db.write(plan.pause, user_id=interaction.user.id, now=self.bot.now())
        await interaction.response.send_message(
            "Your plan is paused; `/plan resume` picks it up where you left it.", ephemeral=True
        )

    @plan_group.command(name="resume")
    async def resume(self, interaction: discord.Interaction) -> None:
        """Resume the plan where you left it."""
        label = await self.bot.db.write(
            plan.resume_label, self.bot.content, user_id=interaction.user.id, now=self.bot.now()
        )
        await interaction.response.send_message(f"Welcome back! {label}.", ephemeral=True)

    @plan_group.command(name="stop")
    async def stop(self, interaction: discord.Interaction) -> None:
        """Leave the plan."""
        await self.bot.db.write(plan.stop, user_id=interaction.user.id, now=self.bot.now())
        await interaction.response.send_message(
            "You left the plan. Your answers and progress stay; `/plan start` any time.",
            ephemeral=True,
        )

    # -- /reports --------------------------------------------------------------------------------
    @reports_group.command(name="on")
    async def reports_on(self, interaction: discord.Interaction) -> None:
        """Get a weekly progress report by DM."""
        await self.preference(interaction, reports_enabled=True)

    @reports_group.command(name="off")
    async def reports_off(self, interaction: discord.Interaction) -> None:
        """Stop the weekly progress reports."""
        await self.preference(interaction, reports_enabled=False)

    @reports_group.command(name="nudges")
    @app_commands.describe(state="on or off")
    @app_commands.choices(state=ON_OFF)
    async def nudges(
        self, interaction: discord.Interaction, state: app_commands.Choice[int]
    ) -> None:
        """Mid-week nudges when you are behind your weekly target."""
        await self.preference(interaction, nudges_enabled=bool(state.value))

    async def preference(self, interaction: discord.Interaction, **values: bool) -> None:
        await self.bot.db.write(
            members.set_preferences, interaction.user.id, now=self.bot.now(), **values
        )
        ((what, on),) = values.items()
        name = "Weekly progress reports" if what == "reports_enabled" else "Mid-week nudges"
        await interaction.response.send_message(
            f"{name} are {'on' if on else 'off'}.", ephemeral=True
        )

    # -- /progress and /resources ----------------------------------------------------------------
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
    async def resources(
        self, interaction: discord.Interaction, domain: Domain | None = None
    ) -> None:
        """Official documentation for a domain, or for your current plan week."""
        content = self.bot.content
        if domain is not None:
            domains, title = [domain], content.domain_name(domain)
        else:
            week = await self.bot.db.read(
                plan.current_week, content, user_id=interaction.user.id, now=self.bot.now()
            )
            if week is None:
                domains, title = [], "Getting started"
            else:
                domains, title = list(week[1].domains), f"{week[0]}: {week[1].title}"
        lines = (
            [f"[{r.title}]({r.url})" for r in content.resources.general]
            if not domains
            else [f"[{r.title}]({r.url})" for d in domains for r in content.resources.domains[d]]
        )
        embed = discord.Embed(
            title=truncate(f"Resources · {title}", 256),
            description=truncate("\n".join(lines), DESCRIPTION_MAX),
            colour=BRAND,
        )
        await interaction.response.send_message(embed=embed, ephemeral=True)
