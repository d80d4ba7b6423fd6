"""/exam end to end: a 25-question exam submitted, and one closed by the scheduler."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from bot.app import StudyBot
from bot.content import ContentStore, Question
from bot.models import Answer, PracticeSession
from tests.conftest import scalar, scalars
from tests.e2e.conftest import Clock, World
from tests.emulator import DiscordEmulator, Message


def shown(content: ContentStore, message: Message) -> Question:
    """The question an exam page shows, found by its whole stem (the footer shows progress).

    Stems may share a long opening, so only the whole stem tells two questions apart.
    """
    description = message.embeds[0]["description"]
    (question,) = [q for q in content.questions.values() if description.startswith(q.stem + "\n")]
    return question


async def click(
    emu: DiscordEmulator, world: World, message: Message, prefix: str, suffix: str = ""
) -> Message:
    button = next(
        b
        for b in message.buttons()
        if b["custom_id"].startswith(prefix) and b["custom_id"].endswith(suffix)
    )
    result = await emu.click(world.alice, message, button["custom_id"])
    assert result.type == 7, result.content
    assert result.message is not None
    return result.message


async def test_half_exam_answered_marked_and_submitted(
    emulator: DiscordEmulator, world: World, bot: StudyBot, content: ContentStore
) -> None:
    start = await emulator.slash(world.alice, world.channel, "exam", {"length": "half"})
    assert start.ephemeral
    message = start.message
    assert message is not None
    assert message.embeds[0]["title"] == "Mock exam · question 1 of 25"
    for position in range(25):
        q = shown(content, message)
        if position < 20:  # answer 20 right (every pick of a multiple select); skip 5
            for letter in q.answer:
                message = await click(emulator, world, message, "exam:p:", f":{letter}")
            fields = {f["name"]: f["value"] for f in message.embeds[0]["fields"]}
            assert fields["Your pick"] == ", ".join(sorted(q.answer))
            assert not any(f["name"].startswith("Answer") for f in message.embeds[0]["fields"])
        if position == 3:
            message = await click(emulator, world, message, "exam:k:")
        if position < 24:
            message = await click(emulator, world, message, "exam:g:", ":next")
    assert "marked: 4" in message.embeds[0]["footer"]["text"]
    back = await click(emulator, world, message, "exam:g:", ":prev")
    assert back.embeds[0]["title"] == "Mock exam · question 24 of 25"

    confirm = await click(emulator, world, back, "exam:s:")
    assert confirm.embeds[0]["title"] == "Submit the exam?"
    again = await click(emulator, world, confirm, "exam:g:", ":back")  # not yet: back
    assert again.embeds[0]["title"] == "Mock exam · question 24 of 25"
    confirm = await click(emulator, world, again, "exam:s:")
    assert "20 of 25" in confirm.embeds[0]["description"]
    assert "5 unanswered" in confirm.embeds[0]["description"]
    result = await click(emulator, world, confirm, "exam:c:")
    assert result.embeds[0]["title"] == "Mock exam: 20/25 (80%) — PASS"
    assert result.embeds[0]["fields"][0]["name"] == "By domain (target 70%)"
    review = await click(emulator, world, result, "exam:w:")
    assert review.embeds[0]["title"].startswith("Wrong answer 1 of 5")
    names = [f["name"] for f in review.embeds[0]["fields"]]
    assert names[0] == "You picked"
    assert names[1].startswith("Answer:")
    practice = await scalar(bot.db, select(PracticeSession))
    answers = await scalar(bot.db, select(func.count()).select_from(Answer))
    assert practice is not None
    assert (practice.status, practice.correct, practice.result_delivered) == ("finished", 20, True)
    assert answers == 20
    emulator.assert_clean()


async def test_exam_closed_by_the_scheduler_sends_the_result_by_dm(
    emulator: DiscordEmulator,
    world: World,
    bot: StudyBot,
    content: ContentStore,
    clock: Clock,
) -> None:
    start = await emulator.slash(world.alice, world.channel, "exam", {"length": "half"})
    assert start.message is not None
    q = shown(content, start.message)
    for letter in q.answer:
        await click(emulator, world, start.message, "exam:p:", f":{letter}")
    cog = bot.get_cog("ExamCog")
    assert cog is not None  # (extensions load their own module objects)
    assert await cog.close_expired(clock.advance(minutes=59)) == 0
    late = clock.advance(minutes=2)
    racing = await asyncio.gather(cog.close_expired(late), cog.close_expired(late))
    assert sorted(racing) == [0, 1]  # two overlapping ticks: graded and sent once
    assert await cog.close_expired(clock.advance(minutes=1)) == 0  # graded once
    dms = emulator.dms(world.alice)
    assert len(dms) == 1
    assert dms[0].embeds[0]["title"] == "Mock exam: 1/25 (4%) — NOT YET"
    assert "Time ran out" in dms[0].embeds[0]["description"]
    # a click on the exam's own message after the time ran out: the result, right there
    late = await emulator.click(world.alice, start.message, start.message.buttons()[0]["custom_id"])
    assert late.type == 7
    assert late.message is not None
    assert late.message.embeds[0]["title"] == "Mock exam: 1/25 (4%) — NOT YET"
    practice = await scalar(bot.db, select(PracticeSession))
    assert practice is not None
    assert (practice.status, practice.result_delivered) == ("expired", True)
    emulator.assert_clean()


async def test_exam_timeout_with_closed_dms_is_recorded(
    emulator: DiscordEmulator, world: World, bot: StudyBot, clock: Clock
) -> None:
    emulator.set_dms_closed(world.alice)
    start = await emulator.slash(world.alice, world.channel, "exam", {"length": "half"})
    cog = bot.get_cog("ExamCog")
    assert cog is not None  # (extensions load their own module objects)
    assert await cog.close_expired(clock.advance(hours=2)) == 1
    assert emulator.dms(world.alice) == []
    practice = await scalar(bot.db, select(PracticeSession))
    assert practice is not None
    assert (practice.status, practice.result_delivered) == ("expired", False)
    # the DM could not go: the exam's own message shows the result on the next click
    assert start.message is not None
    seen = await emulator.click(world.alice, start.message, start.message.buttons()[0]["custom_id"])
    assert seen.message is not None
    assert seen.message.embeds[0]["title"].startswith("Mock exam: 0/25")
    practice = await scalar(bot.db, select(PracticeSession))
    assert practice is not None
    assert practice.result_delivered
    emulator.assert_clean()


async def test_a_second_exam_says_the_first_was_closed(
    emulator: DiscordEmulator, world: World, bot: StudyBot
) -> None:
    first = await emulator.slash(world.alice, world.channel, "exam", {"length": "half"})
    assert first.content == ""  # nothing to say the first time
    second = await emulator.slash(world.alice, world.channel, "exam", {"length": "half"})
    assert "previous mock exam was still running" in second.content
    statuses = sorted(await scalars(bot.db, select(PracticeSession.status)))
    assert statuses == ["abandoned", "active"]
    emulator.assert_clean()
