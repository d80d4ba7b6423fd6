"""The guild's calendar and the member's week end to end: /studyadmin timezone, the
leaderboard's week in a server in Auckland, /daily setup setting the server's timezone,
/plan timezone (and /plan start with only a new timezone) on a kickoff Monday, and the
report a kickoff carries counting the kickoff's own week."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.app import StudyBot
from bot.content import ContentStore
from bot.models import Guild
from tests.conftest import get
from tests.e2e.conftest import Clock, World
from tests.e2e.test_quiz import shown_question
from tests.emulator import DiscordEmulator, EmulatorError, Message, User


def ts(moment: datetime) -> str:
    return f"<t:{int(moment.timestamp())}:F>"


async def right_answer(
    emu: DiscordEmulator, world: World, user: User, content: ContentStore
) -> None:
    """`user` starts a quiz in the study channel and answers its first question right."""
    start = await emu.slash(user, world.channel, "quiz", {"questions": 5})
    message: Message | None = start.message
    assert message is not None
    q = shown_question(content, message)
    if q.multiple:
        menu = message.selects()[0]["custom_id"]
        await emu.select(user, message, menu, sorted(q.answer))
    else:
        button = next(b for b in message.buttons() if b["custom_id"].endswith(f":{q.key}"))
        await emu.click(user, message, button["custom_id"])


def board_lines(message: Message) -> tuple[str, str, str]:
    embed = message.embeds[0]
    return embed["title"], embed["description"], embed["footer"]["text"]


async def test_the_leaderboard_week_of_a_server_in_auckland(
    emulator: DiscordEmulator, world: World, bot: StudyBot, clock: Clock, content: ContentStore
) -> None:
    clock.now = datetime(2026, 11, 29, 20, 30, tzinfo=UTC)  # Sunday in UTC, Monday in Auckland
    await right_answer(emulator, world, world.bob, content)  # before the server has a timezone
    before = await emulator.slash(world.alice, world.channel, "leaderboard")
    title, lines, footer = board_lines(before)
    assert title == "Leaderboard · Week 2026-W48"
    assert f"<@{world.bob.id}> — **1** pts" in lines
    assert footer.endswith("Weeks run Monday to Sunday in UTC.")

    with pytest.raises(EmulatorError, match="needs permissions"):  # Discord hides it
        await emulator.slash(world.alice, world.channel, "studyadmin timezone", {"timezone": "x"})
    refused = await emulator.slash(
        world.admin, world.channel, "studyadmin timezone", {"timezone": "Auckland"}
    )
    assert "Pacific/Auckland" in refused.content  # the suggestion
    moved = await emulator.slash(
        world.admin, world.channel, "studyadmin timezone", {"timezone": "Pacific/Auckland"}
    )
    assert moved.ephemeral
    assert "now **Pacific/Auckland** (it was UTC)" in moved.content
    assert "`/daily setup`" in moved.content  # no drops yet: where the summary will go

    clock.now = datetime(2026, 11, 29, 21, 0, tzinfo=UTC)  # Monday 10:00 in Auckland
    await right_answer(emulator, world, world.alice, content)
    week = await emulator.slash(world.carol, world.channel, "leaderboard")
    title, lines, footer = board_lines(week)
    assert title == "Leaderboard · Week 2026-W49"  # Auckland's week, begun on Monday there
    assert f"<@{world.alice.id}> — **1** pts" in lines
    assert f"<@{world.bob.id}> — **1** pts" in lines  # recounted in Auckland's week
    assert footer.endswith("Weeks run Monday to Sunday in Pacific/Auckland.")
    last = await emulator.slash(world.carol, world.channel, "leaderboard", {"weeks_ago": 1})
    title, lines, _ = board_lines(last)
    assert title == "Leaderboard · Week 2026-W48"
    assert lines.startswith("No points yet")
    row = await get(bot.db, Guild, world.guild.id)
    assert row is not None
    assert row.timezone == "Pacific/Auckland"
    emulator.assert_clean()


async def test_daily_setup_and_studyadmin_share_one_timezone(
    emulator: DiscordEmulator, world: World, bot: StudyBot, clock: Clock
) -> None:
    setup = await emulator.slash(
        world.admin,
        world.channel,
        "daily setup",
        {"channel": world.channel, "time": "09:00", "timezone": "Europe/Berlin"},
    )
    assert "Leaderboard weeks run Monday to Sunday in Europe/Berlin" in setup.content
    row = await get(bot.db, Guild, world.guild.id)
    assert row is not None
    assert row.timezone == "Europe/Berlin"
    moved = await emulator.slash(
        world.admin, world.channel, "studyadmin timezone", {"timezone": "America/Los_Angeles"}
    )
    # Wednesday 06:30 in Los Angeles: today's drop at 09:00 there is still to come
    assert "The daily drops come at 09:00 America/Los_Angeles" in moved.content
    assert ts(datetime(2026, 11, 25, 17, 0, tzinfo=UTC)) in moved.content
    status = await emulator.slash(world.admin, world.channel, "daily status")
    fields = {f["name"]: f["value"] for f in status.embeds[0]["fields"]}
    assert fields["Time"] == "09:00 America/Los_Angeles"
    emulator.assert_clean()


async def tick(bot: StudyBot, now: datetime) -> dict[str, int]:
    cog = bot.get_cog("PlanCog")
    assert cog is not None
    return await cog.jobs.tick(now)  # type: ignore[attr-defined, no-any-return]


async def test_plan_timezone_on_a_kickoff_monday_both_ways(
    emulator: DiscordEmulator, world: World, bot: StudyBot, clock: Clock
) -> None:
    """Tokyo to Los Angeles after Monday's kickoff went out: none again at 09:00 in Los
    Angeles, and week 2 at 09:00 there. Then back to Tokyo with /plan start after week 2's
    went out: none again, the plan still in week 2."""
    alice = world.alice
    clock.now = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)  # Sunday 21:00 in Tokyo
    start = {"timezone": "Asia/Tokyo", "start_date": "2026-11-30"}
    await emulator.slash(alice, world.channel, "plan start", start)
    assert await tick(bot, datetime(2026, 11, 30, 0, 0, tzinfo=UTC)) == {"remind": 1}

    clock.now = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # Monday 01:00 in Los Angeles
    moved = await emulator.slash(
        alice, world.channel, "plan timezone", {"timezone": "America/Los_Angeles"}
    )
    assert moved.ephemeral
    assert "now runs in **America/Los_Angeles** (it was Asia/Tokyo)" in moved.content
    assert "Week 1 of 12" in moved.content
    assert ts(datetime(2026, 12, 7, 17, 0, tzinfo=UTC)) in moved.content  # week 2's
    assert await tick(bot, datetime(2026, 11, 30, 17, 0, tzinfo=UTC)) == {}
    status = await emulator.slash(alice, world.channel, "plan status")
    fields = {f["name"]: f["value"] for f in status.embeds[0]["fields"]}
    assert "Monday 09:00 (America/Los_Angeles)" in fields["Reminders"]
    assert await tick(bot, datetime(2026, 12, 7, 17, 0, tzinfo=UTC)) == {"remind": 1}

    clock.now = datetime(2026, 12, 7, 18, 0, tzinfo=UTC)  # Tuesday 03:00 in Tokyo
    back = await emulator.slash(alice, world.channel, "plan start", {"timezone": "Asia/Tokyo"})
    assert "now runs in **Asia/Tokyo** (it was America/Los_Angeles)" in back.content
    assert "Week 2 of 12" in back.content
    assert ts(datetime(2026, 12, 14, 0, 0, tzinfo=UTC)) in back.content  # week 3's
    assert await tick(bot, clock.now) == {}
    titles = [m.embeds[0]["title"].split(" —")[0] for m in emulator.dms(alice)]
    assert titles == ["Week 1 of 12", "Week 2 of 12"]  # one kickoff each
    same = await emulator.slash(alice, world.channel, "plan timezone", {"timezone": "Asia/Tokyo"})
    assert "already runs in Asia/Tokyo" in same.content
    emulator.assert_clean()


async def test_the_kickoff_report_counts_the_kickoffs_own_week(
    emulator: DiscordEmulator, world: World, bot: StudyBot, clock: Clock, content: ContentStore
) -> None:
    """A member in Los Angeles: Sunday evening there is Monday in UTC, a new ISO week. The
    report riding in Monday's kickoff counts the week the kickoff's "last week" counts."""
    alice = world.alice
    clock.now = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
    start = {"timezone": "America/Los_Angeles", "start_date": "2026-11-30"}
    await emulator.slash(alice, world.channel, "plan start", start)
    assert await tick(bot, datetime(2026, 11, 30, 17, 0, tzinfo=UTC)) == {"remind": 1}
    clock.now = datetime(2026, 12, 2, 20, 0, tzinfo=UTC)  # Wednesday
    await right_answer(emulator, world, alice, content)
    clock.now = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)  # Sunday 18:00 there, ISO W50 in UTC
    await right_answer(emulator, world, alice, content)

    assert await tick(bot, datetime(2026, 12, 7, 17, 0, tzinfo=UTC)) == {"remind": 1}
    kickoff, report = emulator.dms(alice)[-1].embeds
    assert kickoff["title"].startswith("Week 2 of 12")
    fields = {f["name"]: f["value"] for f in kickoff["fields"]}
    assert fields["Last week"] == "2 of 40 questions practised"
    done = fields["Last week"].split(" of ")[0]  # the report counts that same week
    assert report["title"] == "Your progress · plan week from Mon 07 Dec"
    assert report["description"].startswith(
        "**0** answers this plan week (since Mon 07 Dec 09:00 America/Los_Angeles), "
        f"**{done}** the week before, **2** in all"
    )
    emulator.assert_clean()
