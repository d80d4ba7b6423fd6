"""A group mock-exam day end to end, on a moved clock: scheduled, opened with a Start
button, taken by three members (one times out, one comes too late), closed, and
reported with a chart, a per-section table, split-question threads and a DM each."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from bot.app import StudyBot
from bot.content import ContentStore, Question
from bot.models import MockDay, MockEntry, SessionItem
from tests.conftest import scalar, scalars
from tests.e2e.conftest import Clock, Runner, World
from tests.emulator import DiscordEmulator, Message, User

STARTS = datetime(2026, 11, 26, 17, 0, tzinfo=UTC)  # 18:00 in Berlin


def shown(content: ContentStore, message: Message) -> Question:
    description = message.embeds[0]["description"]
    (question,) = [q for q in content.questions.values() if description.startswith(q.stem + "\n")]
    return question


async def click(
    emu: DiscordEmulator, user: User, message: Message, prefix: str, suffix: str = ""
) -> Message:
    button = next(
        b
        for b in message.buttons()
        if b["custom_id"].startswith(prefix) and b["custom_id"].endswith(suffix)
    )
    result = await emu.click(user, message, button["custom_id"])
    assert result.type == 7, result.content
    assert result.message is not None
    return result.message


async def take(
    emu: DiscordEmulator, content: ContentStore, user: User, page: Message, *, right: bool
) -> Message:
    """Answer every question (all right, or all wrong), then submit."""
    for _ in range(25):
        q = shown(content, page)
        picks = q.answer if right else [next(x for x in q.letters if x not in q.answer)]
        for letter in picks:
            page = await click(emu, user, page, "exam:p:", f":{letter}")
        if not page.buttons()[-2].get("disabled"):  # Next
            page = await click(emu, user, page, "exam:g:", ":next")
    confirm = await click(emu, user, page, "exam:s:")
    return await click(emu, user, confirm, "exam:c:")


async def test_mock_exam_day_from_schedule_to_the_group_result(
    emulator: DiscordEmulator,
    world: World,
    runner: Runner,
    content: ContentStore,
    clock: Clock,
) -> None:
    bot: StudyBot = await runner.start()
    bot.scheduler.shutdown()  # the test moves the clock and runs the jobs itself
    plan = {"date": "2026-11-26", "time": "18:00", "timezone": "Europe/Berlin", "length": "half"}
    nowhere = await emulator.slash(world.admin, world.channel, "studyadmin mockexam schedule", plan)
    assert "daily drops" in nowhere.content  # no channel given, none set up
    past = await emulator.slash(
        world.admin,
        world.channel,
        "studyadmin mockexam schedule",
        {**plan, "date": "2026-11-24", "channel": world.channel},
    )
    assert "passed" in past.content
    planned = await emulator.slash(
        world.admin,
        world.channel,
        "studyadmin mockexam schedule",
        {**plan, "channel": world.channel},
    )
    assert planned.ephemeral
    assert "Mock exam day planned" in planned.content
    twice = await emulator.slash(
        world.admin,
        world.channel,
        "studyadmin mockexam schedule",
        {**plan, "channel": world.channel},
    )
    assert "already planned" in twice.content

    mock_tick = bot.scheduler.tick("mockexam")
    exam_tick = bot.scheduler.tick("exam-timeouts")
    await mock_tick(STARTS.replace(minute=0, hour=16))
    assert emulator.channel_messages(world.channel) == []  # not yet
    clock.now = STARTS
    await mock_tick(clock.now)
    await mock_tick(clock.now)
    (start,) = emulator.channel_messages(world.channel)
    assert start.embeds[0]["title"] == "Mock exam day: start now"

    pages = {}
    for user in (world.alice, world.bob, world.carol):
        clock.advance(minutes=5)
        begun = await emulator.click(user, start, start.buttons()[0]["custom_id"])
        assert begun.ephemeral
        assert begun.embeds[0]["title"] == "Mock exam · question 1 of 25"
        pages[user.id] = begun.message
    again = await emulator.click(world.carol, start, start.buttons()[0]["custom_id"])
    assert again.content == "Back to your exam."
    sets = {}
    for user in (world.alice, world.bob, world.carol):
        entry = await scalar(bot.db, select(MockEntry).where(MockEntry.user_id == user.id))
        items = await scalars(
            bot.db,
            select(SessionItem.question_id)
            .where(SessionItem.session_id == entry.session_id)
            .order_by(SessionItem.position),
        )
        sets[user.id] = items
    assert len({frozenset(s) for s in sets.values()}) == 1  # the same questions
    assert len({tuple(s) for s in sets.values()}) == 3  # each in an order of its own

    alice = await take(emulator, content, world.alice, pages[world.alice.id], right=True)
    assert alice.embeds[0]["title"] == "Mock exam: 25/25 (100%) — PASS"
    await take(emulator, content, world.bob, pages[world.bob.id], right=False)

    clock.now = STARTS.replace(hour=18, minute=1)  # the window has closed
    late = await emulator.click(world.admin, start, start.buttons()[0]["custom_id"])
    assert "window to start this mock exam has closed" in late.content
    await mock_tick(clock.now)
    closed = emulator.get_message(start.id)
    assert closed.embeds[0]["title"] == "Mock exam day: the start window has closed"
    assert "3 members started" in closed.embeds[0]["description"]
    assert closed.buttons()[0].get("disabled")
    await mock_tick(clock.now)
    assert len(emulator.channel_messages(world.channel)) == 1  # carol's exam is still running

    clock.now = STARTS.replace(hour=18, minute=16)  # carol's 60 minutes are over
    assert await exam_tick(clock.now) == 1
    await mock_tick(clock.now)
    await mock_tick(clock.now)
    posts = emulator.channel_messages(world.channel)
    assert len(posts) == 5  # the Start message, the result, three split questions
    result = posts[1]
    embed = result.embeds[0]
    assert embed["title"] == "Mock exam day: the group's result"
    assert "**1 of 3 passed (33%)**" in embed["description"]
    assert embed["image"]["url"] == "attachment://scores.png"
    (chart,) = result.attachments
    assert chart.filename == "scores.png"
    assert chart.data.startswith(b"\x89PNG")
    table = next(f for f in embed["fields"] if f["name"] == "By section, the whole group")
    assert "Right" in table["value"]
    for number, post in enumerate(posts[2:], 1):
        assert post.content.startswith(f"**Split question {number} of 3**: 1 of 2 got it right")
        assert post.thread is not None
        (inside,) = emulator.channel_messages(post.thread)
        names = [f["name"] for f in inside.embeds[0]["fields"]]
        assert any(n.startswith("Answer:") for n in names)
    spoilers = [
        f
        for p in posts
        for e in p.embeds
        for f in e.get("fields", [])
        if f["name"].startswith("Answer")
    ]
    assert spoilers == []  # the keys are only inside the threads

    for user, expected in ((world.alice, 1), (world.bob, 1), (world.carol, 2)):
        dms = emulator.dms(user)
        assert len(dms) == expected  # carol also got the timeout's result
        group = {f["name"]: f["value"] for f in dms[-1].embeds[0]["fields"]}
        assert "The group" in group
    assert (
        "You placed 1 of 3"
        in {f["name"]: f["value"] for f in emulator.dms(world.alice)[0].embeds[0]["fields"]}[
            "The group"
        ]
    )
    day = await scalar(bot.db, select(MockDay))
    assert day.status == "reported"
    await mock_tick(clock.advance(hours=1))
    assert len(emulator.channel_messages(world.channel)) == 5  # reported once
    emulator.assert_clean()


async def test_cancel_before_the_day(
    emulator: DiscordEmulator, world: World, runner: Runner, clock: Clock
) -> None:
    bot = await runner.start()
    bot.scheduler.shutdown()
    nothing = await emulator.slash(world.admin, world.channel, "studyadmin mockexam cancel")
    assert "No mock-exam day" in nothing.content
    await emulator.slash(
        world.admin,
        world.channel,
        "studyadmin mockexam schedule",
        {
            "date": "2026-11-26",
            "time": "18:00",
            "timezone": "Europe/Berlin",
            "channel": world.channel,
        },
    )
    cancelled = await emulator.slash(world.admin, world.channel, "studyadmin mockexam cancel")
    assert "cancelled" in cancelled.content
    await bot.scheduler.tick("mockexam")(STARTS)
    assert emulator.channel_messages(world.channel) == []
    emulator.assert_clean()
