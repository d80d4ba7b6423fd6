"""/groupquiz end to end: a live quiz with three members (one joins late, one stops
answering), a restart mid-quiz, and a quiz that ends after a long outage.

The tests stop the bot's scheduler and drive the quiz's timer themselves: they move the
bot's clock and run the `groupquiz` tick, as the scheduler would.
"""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from bot.app import StudyBot
from bot.content import ContentStore, Question
from bot.models import Answer, LiveQuiz
from tests.conftest import scalar, scalars
from tests.e2e.conftest import Clock, Runner, World
from tests.emulator import DiscordEmulator, InteractionResult, Message, User


def shown(content: ContentStore, message: Message) -> Question:
    footer = message.embeds[0]["footer"]["text"]
    return content.questions[footer.split(" · ")[2]]


def wrong(q: Question) -> str:
    other = next(x for x in q.letters if x not in q.answer)
    return "".join(sorted((*q.answer[: q.choose - 1], other)))


async def answer(
    emu: DiscordEmulator, user: User, message: Message, q: Question, choice: str
) -> InteractionResult:
    if q.multiple:
        menu = message.selects()[0]["custom_id"]
        return await emu.select(user, message, menu, sorted(choice))
    button = next(b for b in message.buttons() if b["custom_id"].endswith(f":{choice}"))
    return await emu.click(user, message, button["custom_id"])


def questions(emu: DiscordEmulator, world: World) -> list[Message]:
    return [
        m
        for m in emu.channel_messages(world.channel)
        if m.embeds and m.embeds[0]["title"].startswith("Live quiz · question")
    ]


def fields(message: Message) -> dict[str, str]:
    return {f["name"]: f["value"] for f in message.embeds[0].get("fields", [])}


async def start(emu: DiscordEmulator, world: World, bot: StudyBot, **options: object) -> Message:
    bot.scheduler.shutdown()  # the test drives the quiz's timer
    started = await emu.slash(world.alice, world.channel, "groupquiz start", options)  # type: ignore[arg-type]
    assert not started.ephemeral
    assert "Live quiz!" in started.content
    await emu.wait_for(lambda: questions(emu, world))
    return questions(emu, world)[-1]


async def tick(bot: StudyBot, clock: Clock, **delta: float) -> None:
    await bot.scheduler.tick("groupquiz")(clock.advance(**delta))


async def test_live_quiz_with_a_late_member_and_one_who_stops_answering(
    emulator: DiscordEmulator,
    world: World,
    runner: Runner,
    content: ContentStore,
    clock: Clock,
) -> None:
    bot = await runner.start()
    message = await start(emulator, world, bot, questions=5, seconds=15)
    again = await emulator.slash(world.bob, world.channel, "groupquiz start")
    assert "already running" in again.content
    assert message.embeds[0]["title"] == "Live quiz · question 1 of 5"

    # question 1: alice and bob answer; carol is late. The first question runs its timer.
    q = shown(content, message)
    first = await answer(emulator, world.alice, message, q, q.key)
    assert first.ephemeral
    assert f"you picked **{', '.join(q.answer)}**" in first.content
    await answer(emulator, world.bob, message, q, wrong(q))
    twice = await answer(emulator, world.bob, message, q, q.key)
    assert "already answered" in twice.content
    await tick(bot, clock, seconds=10)
    assert not fields(emulator.get_message(message.id)).get("Right first")
    await asyncio.gather(*(tick(bot, clock, seconds=0) for _ in range(3)))  # not yet due
    clock.advance(seconds=6)
    await asyncio.gather(*(bot.scheduler.tick("groupquiz")(clock.now) for _ in range(3)))
    revealed = emulator.get_message(message.id)
    assert revealed.edits == 1  # three racing ticks, one reveal
    assert revealed.embeds[0]["title"] == "Live quiz · question 1 of 5 · revealed"
    shown_fields = fields(revealed)
    assert "How the group answered (2, 50% right)" in shown_fields
    assert shown_fields["Right first"].startswith(f"<@{world.alice.id}> (")
    assert all(c.get("disabled") for c in revealed.buttons() + revealed.selects())
    await tick(bot, clock, seconds=2)
    assert len(questions(emulator, world)) == 1  # the pause
    await tick(bot, clock, seconds=4)
    assert len(questions(emulator, world)) == 2

    # question 2: carol joins late; all three who joined answer: revealed at once
    message = questions(emulator, world)[-1]
    q = shown(content, message)
    for user in (world.alice, world.carol, world.bob):
        await answer(emulator, user, message, q, q.key)
    await emulator.wait_for(
        lambda: emulator.get_message(message.id).embeds[0]["title"].endswith("revealed")
    )
    assert "How the group answered (3, 100% right)" in fields(emulator.get_message(message.id))
    await tick(bot, clock, seconds=6)

    # question 3: bob stops answering, so the question waits for its timer
    message = questions(emulator, world)[-1]
    q = shown(content, message)
    await answer(emulator, world.alice, message, q, q.key)
    await answer(emulator, world.carol, message, q, wrong(q))
    await asyncio.sleep(0.05)
    assert not emulator.get_message(message.id).embeds[0]["title"].endswith("revealed")
    clock.advance(seconds=16)
    too_late = await answer(emulator, world.bob, message, q, q.key)
    assert "Time is up" in too_late.content
    await tick(bot, clock, seconds=0)
    assert emulator.get_message(message.id).embeds[0]["title"].endswith("revealed")

    # questions 4 and 5: only alice; the admin, who never answered, holds nothing up
    for _ in range(2):
        await tick(bot, clock, seconds=6)
        message = questions(emulator, world)[-1]
        q = shown(content, message)
        await answer(emulator, world.alice, message, q, q.key)
        await tick(bot, clock, seconds=16)
    await tick(bot, clock, seconds=6)
    board = emulator.channel_messages(world.channel)[-1]
    embed = board.embeds[0]
    assert embed["title"] == "Live quiz over: the scoreboard"
    lines = embed["description"].splitlines()
    assert lines[0].startswith(f"🥇 <@{world.alice.id}> — **5**/5 right")
    assert lines[1].startswith(f"🥈 <@{world.bob.id}> — **1**/5 right")
    assert lines[2].startswith(f"🥉 <@{world.carol.id}> — **1**/5 right")
    drills = board.buttons()
    assert drills
    assert all(b["custom_id"].startswith("plan:q:") for b in drills)
    drill = await emulator.click(world.bob, board, drills[0]["custom_id"])
    assert drill.ephemeral
    assert drill.embeds[0]["title"] == "Quiz · question 1 of 10"

    quiz = await scalar(bot.db, select(LiveQuiz))
    assert (quiz.status, quiz.live_channel_id, quiz.participants) == ("finished", None, 3)
    live = await scalars(bot.db, select(Answer).where(Answer.source == "group"))
    assert len(live) == 9
    alice_points = sum(a.points for a in live if a.user_id == world.alice.id)
    assert alice_points == 5
    # a new quiz can start in the channel now
    await emulator.slash(world.bob, world.channel, "groupquiz start")
    assert await scalar(bot.db, select(func.count()).select_from(LiveQuiz)) == 2
    emulator.assert_clean()


async def test_restart_mid_quiz_resumes_with_a_fresh_timer(
    emulator: DiscordEmulator,
    world: World,
    runner: Runner,
    content: ContentStore,
    clock: Clock,
) -> None:
    bot = await runner.start()
    message = await start(emulator, world, bot, questions=5, seconds=30)
    q = shown(content, message)
    await answer(emulator, world.alice, message, q, q.key)
    clock.advance(seconds=20)
    bot = await runner.restart()  # down for a moment, 10 s before the timer ran out
    bot.scheduler.shutdown()
    await tick(bot, clock, seconds=2)
    resumed = emulator.get_message(message.id)
    assert fields(resumed)["Note"] == "The bot restarted: this question's timer starts again."
    assert not resumed.embeds[0]["title"].endswith("revealed")
    await answer(emulator, world.bob, resumed, q, q.key)  # the buttons still work
    await tick(bot, clock, seconds=20)  # past the old timer, not the fresh one
    assert not emulator.get_message(message.id).embeds[0]["title"].endswith("revealed")
    await tick(bot, clock, seconds=11)
    revealed = emulator.get_message(message.id)
    assert "How the group answered (2, 100% right)" in fields(revealed)
    await tick(bot, clock, seconds=6)
    assert len(questions(emulator, world)) == 2

    # a long outage: the quiz ends with a notice and the scoreboard so far
    clock.advance(hours=1)
    bot = await runner.restart()
    bot.scheduler.shutdown()
    await tick(bot, clock, seconds=1)
    board = emulator.channel_messages(world.channel)[-1]
    assert board.embeds[0]["title"] == "Live quiz ended: the scoreboard so far"
    assert "the bot was offline too long" in board.embeds[0]["description"]
    assert len(questions(emulator, world)) == 2
    await tick(bot, clock, seconds=60)
    assert emulator.channel_messages(world.channel)[-1].id == board.id  # nothing more
    emulator.assert_clean()


async def test_stop_by_the_starter_or_an_admin_only(
    emulator: DiscordEmulator,
    world: World,
    runner: Runner,
    content: ContentStore,
    clock: Clock,
) -> None:
    bot = await runner.start()
    message = await start(emulator, world, bot, questions=5)
    refused = await emulator.slash(world.bob, world.channel, "groupquiz stop")
    assert "Only" in refused.content
    q = shown(content, message)
    await answer(emulator, world.bob, message, q, q.key)
    stopped = await emulator.slash(world.admin, world.channel, "groupquiz stop")
    assert stopped.ephemeral
    board = await emulator.wait_for(
        lambda: next(
            (
                m
                for m in emulator.channel_messages(world.channel)
                if m.embeds and "scoreboard" in m.embeds[0]["title"]
            ),
            None,
        )
    )
    assert emulator.get_message(message.id).embeds[0]["title"].endswith("revealed")
    assert board.embeds[0]["title"] == "Live quiz stopped: the scoreboard so far"
    assert all(c.get("disabled") for c in message.buttons() + message.selects())
    nothing = await emulator.slash(world.admin, world.channel, "groupquiz stop")
    assert "No live quiz" in nothing.content
    await tick(bot, clock, minutes=5)
    assert emulator.channel_messages(world.channel)[-1].id == board.id
    emulator.assert_clean()
