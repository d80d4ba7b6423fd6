"""One guild's broken setup never stops the others: end to end, at the same minute."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from bot.app import StudyBot
from bot.models import GuildSettings
from tests.conftest import execute, get
from tests.e2e.conftest import Clock, World
from tests.emulator import DiscordEmulator

MONDAY = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # 09:00 in Berlin


async def test_a_poisoned_guild_leaves_every_other_send_of_that_minute_alone(
    emulator: DiscordEmulator, world: World, bot: StudyBot, clock: Clock
) -> None:
    clock.now = MONDAY - timedelta(days=1)
    setup = {"time": "09:00", "timezone": "Europe/Berlin"}
    # a healthy guild (the world's), and two whose settings go bad after setup
    guilds = [(world.guild, world.channel, world.admin)]
    for name in ("bad zone", "bad domains"):
        guild = emulator.add_guild(name)
        channel = emulator.add_channel(guild, "study")
        admin = emulator.add_member(guild, f"{name} admin", permissions=["manage_guild"])
        guilds.append((guild, channel, admin))
    for _guild, channel, admin in guilds:
        done = await emulator.slash(admin, channel, "daily setup", {"channel": channel, **setup})
        assert "Daily drops are set" in done.content
    (_, healthy_channel, _), (zone, zone_channel, zone_admin), (dom, _, dom_admin) = guilds
    await execute(
        bot.db,
        update(GuildSettings)
        .where(GuildSettings.guild_id == zone.id)
        .values(timezone="Mars/Olympus_Mons"),
    )
    await execute(
        bot.db,
        update(GuildSettings).where(GuildSettings.guild_id == dom.id).values(domains="astrology"),
    )
    # alice's plan: started last Monday, so her week-2 kickoff is Monday 09:00 Berlin
    await emulator.slash(
        world.alice,
        world.channel,
        "plan start",
        {"timezone": "Europe/Berlin", "start_date": "2026-11-23", "reminder_time": "09:00"},
    )
    # points last week, so that the Monday summary has a top five
    clock.now = MONDAY - timedelta(days=2)
    start = await emulator.slash(world.bob, world.channel, "quiz", {"questions": 5})
    assert start.message is not None

    clock.now = MONDAY
    for job in ("daily", "weekly-summary", "plan"):
        await bot.scheduler.tick(job)(clock.now)

    posts = emulator.channel_messages(healthy_channel)
    titles = [m.embeds[0]["title"] for m in posts if m.embeds]
    assert any(t.startswith("Question of the day") for t in titles)
    assert any(t.startswith("Last week's leaderboard") for t in titles)
    assert emulator.dms(world.alice), "alice's kickoff still went out"
    assert emulator.channel_messages(zone_channel) == []

    for guild, admin, why in ((zone, zone_admin, "Mars/Olympus_Mons"), (dom, dom_admin, "domains")):
        settings = await get(bot.db, GuildSettings, guild.id)
        assert settings is not None
        assert settings.paused, guild.name
        assert why in (settings.pause_reason or "")
        (dm,) = emulator.dms(admin)  # told once, by DM
        assert "paused the daily question drops" in dm.content
    status = await emulator.slash(zone_admin, zone_channel, "daily status")
    fields = {f["name"]: f["value"] for f in status.embeds[0]["fields"]}
    assert status.embeds[0]["title"] == "Daily drops: paused"
    assert "Mars/Olympus_Mons" in fields["Why paused"]

    # the next minute: nobody is paused twice or told twice
    clock.advance(minutes=1)
    await bot.scheduler.tick("daily")(clock.now)
    assert len(emulator.dms(zone_admin)) == 1
    emulator.assert_clean()
