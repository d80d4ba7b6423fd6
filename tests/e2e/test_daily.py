"""Daily drops and the leaderboard end to end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from bot.content import ContentStore, Question
from bot.models import DailyAnswer, DailyDrop, Delivery, GuildSettings
from tests.conftest import get, scalar, scalars
from tests.e2e.conftest import Clock, Runner, World
from tests.emulator import DiscordEmulator, Message


def drop_question(content: ContentStore, message: Message) -> Question:
    footer = message.embeds[0]["footer"]["text"]
    return content.questions[footer.rsplit("· ", 1)[-1].strip()]


def wrong(q: Question) -> str:
    other = next(x for x in q.letters if x not in q.answer)
    return "".join(sorted((*q.answer[: q.choose - 1], other)))


async def answer(
    emu: DiscordEmulator, user: object, message: Message, q: Question, choice: str
) -> object:
    if q.multiple:
        return await emu.select(
            user,
            message,
            message.selects()[0]["custom_id"],  # type: ignore[arg-type]
            sorted(choice),
        )
    button = next(b for b in message.buttons() if b["custom_id"].endswith(f":{choice}"))
    return await emu.click(user, message, button["custom_id"])  # type: ignore[arg-type]


async def setup_daily(emu: DiscordEmulator, world: World, **options: object) -> object:
    args = {"channel": world.channel, "time": "09:00", "timezone": "Europe/Berlin", **options}
    return await emu.slash(world.admin, world.channel, "daily setup", args)  # type: ignore[arg-type]


async def test_setup_refuses_bad_input_then_accepts(
    emulator: DiscordEmulator, world: World, runner: Runner
) -> None:
    bot = await runner.start()
    choices = await emulator.autocomplete(
        world.admin, world.channel, "daily setup", {"timezone": "berl"}, focused="timezone"
    )
    assert "Europe/Berlin" in [c["value"] for c in choices]
    bad_zone = await setup_daily(emulator, world, timezone="Berlin/Europe")
    assert "Europe/Berlin" in bad_zone.content  # type: ignore[attr-defined]
    bad_time = await setup_daily(emulator, world, time="9pm")
    assert "HH:MM" in bad_time.content  # type: ignore[attr-defined]
    locked = emulator.add_channel(world.guild, "locked", deny=["EMBED_LINKS"])
    no_perm = await setup_daily(emulator, world, channel=locked)
    assert "Embed Links" in no_perm.content  # type: ignore[attr-defined]
    assert await scalar(bot.db, select(func.count()).select_from(GuildSettings)) == 0
    good = await setup_daily(emulator, world, reveal_after=6)
    assert good.ephemeral  # type: ignore[attr-defined]
    assert "09:00" in good.content  # type: ignore[attr-defined]
    status = await emulator.slash(world.admin, world.channel, "daily status")
    assert status.embeds[0]["title"] == "Daily drops: active"
    settings = await get(bot.db, GuildSettings, world.guild.id)
    assert settings is not None
    assert (settings.timezone, settings.post_time, settings.reveal_after_hours) == (
        "Europe/Berlin",
        "09:00",
        6,
    )
    emulator.assert_clean()


async def test_drop_answers_reveal_and_leaderboard(
    emulator: DiscordEmulator,
    world: World,
    runner: Runner,
    content: ContentStore,
    clock: Clock,
) -> None:
    await runner.start()
    await setup_daily(emulator, world)
    posted = await emulator.slash(world.admin, world.channel, "daily now")
    assert any("Posted today's drop" in m.content for m in posted.followups)
    again = await emulator.slash(world.admin, world.channel, "daily now")
    assert any("already posted" in m.content for m in again.followups)
    drops = emulator.channel_messages(world.channel)
    assert len(drops) == 1
    drop = drops[0]
    assert drop.embeds[0]["title"].startswith("Question of the day")
    q = drop_question(content, drop)

    # a restart between the drop and the answers: the buttons keep working
    bot = await runner.restart()
    first = await answer(emulator, world.alice, drop, q, q.key)
    assert first.ephemeral  # type: ignore[attr-defined]
    assert f"you picked **{', '.join(q.answer)}**" in first.content  # type: ignore[attr-defined]
    await answer(emulator, world.bob, drop, q, wrong(q))
    twice = await answer(emulator, world.bob, drop, q, q.key)  # a retry: the first reply again
    assert f"you picked **{', '.join(wrong(q))}**" in twice.content  # type: ignore[attr-defined]
    await answer(emulator, world.carol, drop, q, q.key)

    cog = bot.get_cog("DailyCog")
    assert cog is not None
    await cog.jobs.refresh_counters(clock.now)  # type: ignore[attr-defined]
    fields = {f["name"]: f["value"] for f in emulator.get_message(drop.id).embeds[0]["fields"]}
    assert fields["Answers so far"] == "3"

    await cog.jobs.tick(clock.advance(hours=12))  # type: ignore[attr-defined]
    revealed = emulator.get_message(drop.id)
    embed = revealed.embeds[0]
    assert embed["title"].endswith("revealed")
    names = [f["name"] for f in embed["fields"]]
    assert "How the group answered (3, 67% right)" in names
    assert any(n.startswith("Answer:") for n in names)
    firsts = next(f["value"] for f in embed["fields"] if f["name"] == "First right answers")
    assert firsts == f"<@{world.alice.id}> <@{world.carol.id}>"
    components = revealed.buttons() + revealed.selects()
    assert components
    assert all(c.get("disabled") for c in components)
    assert revealed.thread is not None

    board = await emulator.slash(world.bob, world.channel, "leaderboard")
    assert not board.ephemeral
    lines = board.embeds[0]["description"].splitlines()
    assert lines[0].startswith(f"🥇 <@{world.alice.id}> — **10** pts")
    assert lines[1].startswith(f"🥈 <@{world.carol.id}> — **10** pts")
    assert lines[2].startswith(f"🥉 <@{world.bob.id}> — **2** pts")
    rows = list(await scalars(bot.db, select(DailyAnswer)))
    stored = await scalar(bot.db, select(DailyDrop))
    assert len(rows) == 3
    assert stored is not None
    assert (stored.status, stored.answers) == ("revealed", 3)
    emulator.assert_clean()


async def test_deleted_channel_fails_then_pauses_and_tells_the_admin(
    emulator: DiscordEmulator, world: World, runner: Runner, clock: Clock
) -> None:
    bot = await runner.start()
    await setup_daily(emulator, world, time="16:00")  # 15:00 UTC, half an hour from now
    emulator.delete_channel(world.channel)
    cog = bot.get_cog("DailyCog")
    assert cog is not None
    for minutes in (30, 31, 32):
        await cog.jobs.tick(clock.now + timedelta(minutes=minutes))  # type: ignore[attr-defined]
    settings = await get(bot.db, GuildSettings, world.guild.id)
    drop = await scalar(bot.db, select(DailyDrop))
    assert settings is not None
    assert settings.paused
    assert drop is not None
    assert (drop.status, drop.attempts) == ("failed", 3)
    dms = emulator.dms(world.admin)
    assert len(dms) == 1
    assert "paused the daily question drops" in dms[0].content
    await cog.jobs.tick(clock.now + timedelta(minutes=33))  # type: ignore[attr-defined]
    assert emulator.invalid_requests_in(600) <= 3
    emulator.assert_clean()


async def test_monday_brings_last_weeks_top_five(
    emulator: DiscordEmulator,
    world: World,
    runner: Runner,
    content: ContentStore,
    clock: Clock,
    sqlite_db_url: str,
) -> None:
    from bot.db import Database
    from bot.services.answers import record_answer

    db = Database.from_url(sqlite_db_url)
    for user, n in ((world.alice.id, 3), (world.bob.id, 1)):  # points last week (W48)
        for q in list(content.questions.values())[:n]:
            await db.write(
                record_answer,
                content,
                user_id=user,
                guild_id=world.guild.id,
                question_id=q.id,
                choice=q.key,
                source="quiz",
                now=clock.now,
            )
    await db.close()
    bot = await runner.start()
    await setup_daily(emulator, world)  # 09:00 Europe/Berlin
    clock.now = clock.now.replace(day=30, hour=8, minute=0)  # Monday 2026-11-30, 09:00 local
    for job in ("daily", "weekly-summary", "daily", "weekly-summary"):
        await bot.scheduler.tick(job)(clock.now)
    posts = emulator.channel_messages(world.channel)
    assert len(posts) == 2  # the drop and the summary, once each
    summary = posts[1].embeds[0]
    assert summary["title"] == "Last week's leaderboard (2026-W48)"
    assert summary["description"].splitlines()[0] == f"**1.** <@{world.alice.id}> — 3 pts"
    emulator.assert_clean()


async def test_after_downtime_today_goes_out_and_yesterday_is_skipped(
    emulator: DiscordEmulator, world: World, runner: Runner, clock: Clock, caplog: object
) -> None:
    bot = await runner.start()
    await setup_daily(emulator, world, time="16:00")  # 15:00 UTC; the clock says 14:30
    clock.advance(days=1, hours=2)  # down until 16:30 UTC the next day
    cog = bot.get_cog("DailyCog")
    assert cog is not None
    await cog.jobs.tick(clock.now)  # type: ignore[attr-defined]
    posts = emulator.channel_messages(world.channel)
    assert len(posts) == 1
    assert "Thu 26 Nov" in posts[0].embeds[0]["title"]  # today's, not yesterday's
    skipped = await get(bot.db, Delivery, f"daily:{world.guild.id}:2026-11-25:Europe/Berlin")
    assert skipped is not None
    assert skipped.status == "skipped"
    assert "skipped the stale drop" in caplog.text  # type: ignore[attr-defined]
    emulator.assert_clean()


async def test_admin_controls_reveal_pause_and_resume(
    emulator: DiscordEmulator,
    world: World,
    runner: Runner,
    content: ContentStore,
    clock: Clock,
) -> None:
    bot = await runner.start()
    await setup_daily(emulator, world)
    nothing = await emulator.slash(world.admin, world.channel, "daily reveal")
    assert "no open drop" in nothing.content
    await emulator.slash(world.admin, world.channel, "daily now")
    drop = emulator.channel_messages(world.channel)[0]
    q = drop_question(content, drop)
    await answer(emulator, world.alice, drop, q, q.key)
    revealed = await emulator.slash(world.admin, world.channel, "daily reveal")
    assert any(m.content == "Revealed." for m in revealed.followups)
    assert emulator.get_message(drop.id).embeds[0]["title"].endswith("revealed")

    paused = await emulator.slash(world.admin, world.channel, "daily pause")
    assert "paused" in paused.content
    status = await emulator.slash(world.admin, world.channel, "daily status")
    assert status.embeds[0]["title"] == "Daily drops: paused"
    cog = bot.get_cog("DailyCog")
    assert cog is not None
    await cog.jobs.tick(clock.advance(days=1))  # type: ignore[attr-defined]
    assert len(emulator.channel_messages(world.channel)) == 1  # nothing while paused
    refused = await emulator.slash(world.admin, world.channel, "daily now")
    assert "paused" in refused.content
    resumed = await emulator.slash(world.admin, world.channel, "daily resume")
    # resumed after today's 09:00: the reply says tomorrow, and the scheduler keeps to it
    tomorrow = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
    assert f"<t:{int(tomorrow.timestamp())}:F>" in resumed.content
    await cog.jobs.tick(clock.now)  # type: ignore[attr-defined]
    assert len(emulator.channel_messages(world.channel)) == 1
    await cog.jobs.tick(tomorrow)  # type: ignore[attr-defined]
    assert len(emulator.channel_messages(world.channel)) == 2
    emulator.assert_clean()
