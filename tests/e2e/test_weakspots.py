"""The group's weak spots end to end: /studyadmin radar, and daily drops in weak-spots
mode whose reveal says why the topic was picked."""

from __future__ import annotations

import random
from datetime import timedelta

from bot.content import ContentStore
from bot.db import Database
from bot.enums import AnswerSource
from bot.services.answers import record_answer
from tests.e2e.conftest import Clock, Runner, World
from tests.emulator import DiscordEmulator


async def seed(url: str, content: ContentStore, world: World, clock: Clock) -> None:
    """Section 3 mostly wrong, section 4 mostly right, in the last few days."""
    db = Database.from_url(url)
    for section, right in (("3", 2), ("4", 8)):
        for i, qid in enumerate(content.by_section[section][:10]):
            q = content.questions[qid]
            choice = q.key if i < right else next(x for x in q.letters if x not in q.answer)
            await db.write(
                record_answer,
                content,
                user_id=world.alice.id,
                guild_id=world.guild.id,
                question_id=qid,
                choice=choice,
                source=AnswerSource.QUIZ,
                now=clock.now - timedelta(days=2),
            )
    await db.close()


async def test_radar_shows_accuracy_per_section_with_counts(
    emulator: DiscordEmulator,
    world: World,
    runner: Runner,
    content: ContentStore,
    clock: Clock,
    sqlite_db_url: str,
) -> None:
    await seed(sqlite_db_url, content, world, clock)
    await runner.start()
    shown = await emulator.slash(world.admin, world.channel, "studyadmin radar")
    (reply,) = shown.followups
    assert reply.ephemeral
    embed = reply.embeds[0]
    assert embed["title"] == "The group's weak spots: accuracy per exam-guide section"
    assert "(20 in all)" in embed["description"]
    table = next(f["value"] for f in embed["fields"] if f["name"] == "By section")
    rows = table.strip("`\n").splitlines()
    assert rows[0].split() == ["Section", "Right", "Answers"]
    assert rows[3].startswith("3 Scaling prototypes into ML")
    assert rows[3].split()[-2:] == ["20%", "10"]
    assert rows[4].split()[-2:] == ["80%", "10"]
    assert rows[1].split()[-2:] == ["–", "0"]
    weakest = next(f["value"] for f in embed["fields"] if f["name"] == "Weakest")
    assert weakest.startswith("**3 Scaling prototypes into ML models**")
    (chart,) = reply.attachments
    assert chart.filename == "radar.png"
    assert chart.data.startswith(b"\x89PNG")
    assert embed["image"]["url"] == "attachment://radar.png"
    emulator.assert_clean()


async def test_weak_spot_drops_say_why_the_topic_was_picked(
    emulator: DiscordEmulator,
    world: World,
    runner: Runner,
    content: ContentStore,
    clock: Clock,
    sqlite_db_url: str,
) -> None:
    await seed(sqlite_db_url, content, world, clock)
    bot = await runner.start()
    options = {
        "channel": world.channel,
        "time": "09:00",
        "timezone": "Europe/Berlin",
        "mode": "weak-spots",
    }
    done = await emulator.slash(world.admin, world.channel, "daily setup", options)  # type: ignore[arg-type]
    assert "mode weak-spots" in done.content
    status = await emulator.slash(world.admin, world.channel, "daily status")
    assert {f["name"]: f["value"] for f in status.embeds[0]["fields"]}["Mode"] == "weak-spots"
    cog = bot.get_cog("DailyCog")
    assert cog is not None
    cog.jobs.rng = random.Random(7)  # type: ignore[attr-defined]  # repeatable draws
    sections = []
    clock.now = clock.now.replace(day=26, hour=8, minute=0)  # set up after 09:00: from tomorrow
    for _day in range(4):
        await bot.scheduler.tick("daily")(clock.now)
        drop = emulator.channel_messages(world.channel)[-1]
        qid = drop.embeds[0]["footer"]["text"].rsplit("· ", 1)[-1].strip()
        assert not any(f["name"] == "Why this topic" for f in drop.embeds[0]["fields"])
        await bot.scheduler.tick("daily")(clock.advance(hours=12))  # the reveal
        revealed = emulator.get_message(drop.id).embeds[0]
        why = {f["name"]: f["value"] for f in revealed["fields"]}["Why this topic"]
        section = content.questions[qid].section.split(".")[0]
        assert content.section_name(section) in why
        sections.append(section)
        clock.advance(hours=12)
    assert sections.count("3") >= 2  # mostly the weakest section
    emulator.assert_clean()
