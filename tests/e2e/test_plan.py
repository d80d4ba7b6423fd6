"""The study plan end to end: enrolment, the kickoff at the due tick, closed DMs, reports."""

from __future__ import annotations

import struct

from sqlalchemy import select

from bot.app import StudyBot
from bot.models import Delivery, Enrolment, Member
from tests.conftest import get, scalars
from tests.e2e.conftest import Clock, World
from tests.emulator import DiscordEmulator

# FIXED_NOW is Wednesday 2026-11-25 14:30 UTC
START = {"timezone": "UTC", "reminder_time": "15:00"}


async def tick(bot: StudyBot, clock: Clock) -> dict[str, int]:
    cog = bot.get_cog("PlanCog")
    assert cog is not None
    return await cog.jobs.tick(clock.now)  # type: ignore[attr-defined, no-any-return]


async def test_start_refuses_bad_input_then_enrols(
    emulator: DiscordEmulator, world: World, bot: StudyBot
) -> None:
    zone = await emulator.slash(
        world.alice, world.channel, "plan start", {"timezone": "Europe/Berlim"}
    )
    assert "Europe/Berlin" in zone.content
    time = await emulator.slash(
        world.alice, world.channel, "plan start", {"timezone": "UTC", "reminder_time": "9pm"}
    )
    assert "HH:MM" in time.content
    past = await emulator.slash(
        world.alice, world.channel, "plan start", {"timezone": "UTC", "exam_date": "2026-11-01"}
    )
    assert "past" in past.content
    garbled = await emulator.slash(
        world.alice, world.channel, "plan start", {"timezone": "UTC", "exam_date": "next friday"}
    )
    assert "2026-12-31" in garbled.content
    assert await get(bot.db, Enrolment, world.alice.id) is None

    ok = await emulator.slash(
        world.alice, world.channel, "plan start", {**START, "exam_date": "2027-01-20"}
    )
    assert ok.ephemeral
    embed = ok.embeds[0]
    assert embed["title"].startswith("Week 1 of 8 — Phase 1")
    assert "first kickoff" in embed["description"]
    assert any(f["name"].startswith("This week:") for f in embed["fields"])
    status = await emulator.slash(world.alice, world.channel, "plan status")
    fields = {f["name"]: f["value"] for f in status.embeds[0]["fields"]}
    assert fields["Practice this week"].startswith("0 of ")
    assert "Wednesday 15:00 (UTC)" in fields["Reminders"]
    row = await get(bot.db, Enrolment, world.alice.id)
    assert row is not None
    assert (row.weeks, row.timezone, row.reminder_time) == (8, "UTC", "15:00")
    emulator.assert_clean()


async def test_kickoff_dm_at_the_due_tick_exactly_once(
    emulator: DiscordEmulator, world: World, bot: StudyBot, clock: Clock
) -> None:
    await emulator.slash(world.alice, world.channel, "plan start", START)
    assert await tick(bot, clock) == {}
    clock.advance(minutes=30)  # 15:00 UTC: the first kickoff (no report: no week behind it)
    sent = await tick(bot, clock)
    assert sent == {"remind": 1}
    assert await tick(bot, clock) == {}  # exactly once
    (kickoff,) = emulator.dms(world.alice)
    assert kickoff.embeds[0]["title"] == "Week 1 of 12 — Phase 1: ML fundamentals review"
    assert kickoff.attachments == []
    button = next(b for b in kickoff.buttons() if b["custom_id"].startswith("plan:q:"))
    started = await emulator.click(world.alice, kickoff, button["custom_id"])
    assert started.ephemeral
    assert started.embeds[0]["title"].startswith("Quiz · question 1 of 10")

    clock.advance(days=7)  # week 2: the kickoff carries the weekly report, in ONE message
    assert await tick(bot, clock) == {"remind": 1}
    assert await tick(bot, clock) == {}
    second = emulator.dms(world.alice)[1:]
    assert len(second) == 1
    titles = [e["title"] for e in second[0].embeds]
    assert titles[0].startswith("Week 2 of 12")
    assert titles[1].startswith("Your progress")
    assert [a.filename for a in second[0].attachments] == ["progress.png"]
    keys = sorted(await scalars(bot.db, select(Delivery.key).where(Delivery.status == "sent")))
    alice = world.alice.id
    assert keys == [f"remind:{alice}:1", f"remind:{alice}:2", f"report:{alice}:2026-W49"]
    emulator.assert_clean()


async def test_closed_dms_fall_back_to_the_channel(
    emulator: DiscordEmulator, world: World, bot: StudyBot, clock: Clock
) -> None:
    await emulator.slash(world.alice, world.channel, "plan start", START)
    emulator.set_dms_closed(world.alice)
    clock.advance(minutes=30)
    await tick(bot, clock)
    posts = emulator.channel_messages(world.channel)
    assert len(posts) == 1
    assert posts[0].content.startswith(f"<@{world.alice.id}>")
    assert posts[0].embeds[0]["title"].startswith("Week 1 of 12")
    member = await get(bot.db, Member, world.alice.id)
    assert member is not None
    assert member.dms_closed
    assert emulator.invalid_requests_in(600) <= 2
    clock.advance(days=7)  # next week: DMs are known to be closed, so straight to the channel
    assert await tick(bot, clock) == {"remind": 1}
    posts = emulator.channel_messages(world.channel)
    assert posts[-1].embeds[0]["title"].startswith("Week 2 of 12")
    assert len(posts[-1].embeds) == 1  # reports are personal: never posted in a channel
    assert emulator.invalid_requests_in(600) <= 2  # no new DM attempts
    emulator.assert_clean()


async def test_closed_dms_without_a_channel_are_shown_in_status(
    emulator: DiscordEmulator, world: World, bot: StudyBot, clock: Clock
) -> None:
    dm = emulator.dm_channel(world.bob)
    await emulator.slash(world.bob, dm, "plan start", START)
    emulator.set_dms_closed(world.bob)
    clock.advance(minutes=30)
    await tick(bot, clock)
    emulator.set_dms_closed(world.bob, False)
    status = await emulator.slash(world.bob, dm, "plan status")
    fields = {f["name"]: f["value"] for f in status.embeds[0]["fields"]}
    assert "could not be delivered" in fields["Delivery problem"]
    member = await get(bot.db, Member, world.bob.id)
    assert member is not None
    assert not member.dms_closed  # running a command opens DMs again
    emulator.assert_clean()


async def test_reports_off_is_honoured(
    emulator: DiscordEmulator, world: World, bot: StudyBot, clock: Clock
) -> None:
    await emulator.slash(world.alice, world.channel, "plan start", START)
    off = await emulator.slash(world.alice, world.channel, "reports off")
    assert "off" in off.content
    clock.advance(minutes=30)
    sent = await tick(bot, clock)
    assert sent == {"remind": 1}
    assert not any(m.attachments for m in emulator.dms(world.alice))
    emulator.assert_clean()


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


async def test_progress_has_a_chart(emulator: DiscordEmulator, world: World, bot: StudyBot) -> None:
    result = await emulator.slash(world.alice, world.channel, "progress")
    assert result.ephemeral
    message = result.followups[0] if result.followups else result.message
    assert message is not None
    assert message.embeds[0]["title"].startswith("Your progress")
    name, data, _kind = message.attachments[0]
    assert name == "progress.png"
    width, height = png_size(data)
    assert 600 <= width <= 1600
    assert 300 <= height <= 1000
    assert 5_000 < len(data) < 1_000_000
    emulator.assert_clean()


async def test_exam_follow_up_asks_how_it_went_and_ends_the_plan(
    emulator: DiscordEmulator, world: World, bot: StudyBot, clock: Clock
) -> None:
    await emulator.slash(
        world.alice, world.channel, "plan start", {**START, "exam_date": "2026-12-09"}
    )  # two weeks away
    clock.advance(days=15, minutes=30)  # Thursday 2026-12-10 15:00: the day after the exam
    sent = await tick(bot, clock)
    assert sent.get("examdone") == 1
    ask = next(m for m in emulator.dms(world.alice) if "How did it go?" in m.content)
    passed = next(b for b in ask.buttons() if b["custom_id"].endswith(":passed"))
    reply = await emulator.click(world.alice, ask, passed["custom_id"])
    assert "Congratulations" in reply.content
    row = await get(bot.db, Enrolment, world.alice.id)
    assert row is not None
    assert (row.status, row.outcome) == ("finished", "passed")
    assert "examdone" not in await tick(bot, clock)
    emulator.assert_clean()


async def test_resources_for_a_domain_and_for_the_plan_week(
    emulator: DiscordEmulator, world: World, bot: StudyBot
) -> None:
    serving = await emulator.slash(world.alice, world.channel, "resources", {"domain": "serving"})
    assert serving.embeds[0]["title"] == "Resources · Serving and scaling models"
    assert (
        "https://cloud.google.com/vertex-ai/docs/model-monitoring/overview"
        in serving.embeds[0]["description"]
    )
    before = await emulator.slash(world.alice, world.channel, "resources")
    assert "certification" in before.embeds[0]["description"]
    await emulator.slash(world.alice, world.channel, "plan start", START)
    week = await emulator.slash(world.alice, world.channel, "resources")
    assert week.embeds[0]["title"].startswith("Resources · Week 1 of 12")
    assert "bigquery/docs/e2e-journey" in week.embeds[0]["description"]
    emulator.assert_clean()


async def test_pause_resume_and_stop(
    emulator: DiscordEmulator, world: World, bot: StudyBot, clock: Clock
) -> None:
    await emulator.slash(world.alice, world.channel, "plan start", START)
    paused = await emulator.slash(world.alice, world.channel, "plan pause")
    assert "paused" in paused.content
    clock.advance(days=10)
    assert await tick(bot, clock) == {}  # no reminders while paused
    resumed = await emulator.slash(world.alice, world.channel, "plan resume")
    assert "Week 1 of 12" in resumed.content  # the plan waited
    stopped = await emulator.slash(world.alice, world.channel, "plan stop")
    assert "left the plan" in stopped.content
    status = await emulator.slash(world.alice, world.channel, "plan status")
    assert "not enrolled" in status.content
    emulator.assert_clean()


async def test_opening_dms_too_fast_slows_down_and_retries(
    emulator: DiscordEmulator, world: World, bot: StudyBot, clock: Clock
) -> None:
    await emulator.slash(world.alice, world.channel, "plan start", START)
    await emulator.slash(world.alice, world.channel, "reports off")
    emulator.set_dm_open_rate_limited(True)
    clock.advance(minutes=30)
    assert await tick(bot, clock) == {}  # 40003: not sent, not lost
    kept = await get(bot.db, Delivery, f"remind:{world.alice.id}:1")
    assert (kept.status, kept.lease_until) == ("claimed", clock.now)  # free for the next tick
    emulator.set_dm_open_rate_limited(False)
    clock.advance(minutes=1)
    assert await tick(bot, clock) == {"remind": 1}
    assert len(emulator.dms(world.alice)) == 1
    emulator.assert_clean()


async def test_report_drill_buttons_start_a_quiz_on_the_weakest_subtopic(
    emulator: DiscordEmulator, world: World, bot: StudyBot
) -> None:
    from bot.services.answers import record_answer

    content = bot.content
    weak = content.by_subtopic["serving.monitoring"][:4]
    for qid in weak:  # four wrong answers in one subtopic
        q = content.questions[qid]
        wrong = next(x for x in q.letters if x not in q.answer)
        await bot.db.write(
            record_answer,
            content,
            user_id=world.alice.id,
            guild_id=None,
            question_id=qid,
            choice=wrong,
            source="quiz",
            now=bot.now(),
        )
    result = await emulator.slash(world.alice, world.channel, "progress")
    message = result.followups[0] if result.followups else result.message
    assert message is not None
    drill = next(b for b in message.buttons() if b["custom_id"] == "plan:q:serving.monitoring")
    assert "Monitoring" in drill["label"]
    quiz = await emulator.click(world.alice, message, drill["custom_id"])
    assert quiz.ephemeral
    footer = quiz.embeds[0]["footer"]["text"]
    shown = content.questions[footer.rsplit("· ", 1)[-1]]
    assert (shown.domain, shown.subtopic) == ("serving", "monitoring")
    emulator.assert_clean()
