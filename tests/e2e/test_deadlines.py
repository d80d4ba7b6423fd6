"""Discord's deadlines end to end: slow work is acknowledged first and answered by a
follow-up; a response or follow-up that comes too late is one warning from the bot's own
handler (never discord.py's "Ignoring exception" traceback), and a quiz or exam started
for a member who never saw it is discarded rather than left active."""

from __future__ import annotations

import asyncio
import logging

import pytest
from sqlalchemy import func, select

from bot.app import StudyBot
from bot.content import ContentStore
from bot.models import PracticeSession
from tests.conftest import scalar, write_lock_held
from tests.e2e.conftest import World
from tests.e2e.test_quiz import answer, shown_question
from tests.emulator import DiscordEmulator, InteractionFailed, Message

HELD = 1.6  # seconds another connection holds SQLite's write lock: past Reply's 1 s


def late_warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if "answered too late" in r.getMessage()]


def tracebacks(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [
        r
        for r in caplog.records
        if r.levelno >= logging.ERROR or r.getMessage().startswith("Ignoring exception")
    ]


async def one_late_warning(emulator: DiscordEmulator, caplog: pytest.LogCaptureFixture) -> None:
    await emulator.wait_for(lambda: late_warnings(caplog))
    await asyncio.sleep(0.3)  # anything else the late interaction would log
    assert [r.name for r in late_warnings(caplog)] == ["bot.components"]
    assert late_warnings(caplog)[0].levelno == logging.WARNING
    assert tracebacks(caplog) == []


async def sessions(bot: StudyBot) -> int:
    count: int = await scalar(bot.db, select(func.count()).select_from(PracticeSession))
    return count


async def test_slow_work_is_acknowledged_first_then_answered(
    emulator: DiscordEmulator,
    world: World,
    bot: StudyBot,
    sqlite_db_url: str,
    content: ContentStore,
) -> None:
    async with write_lock_held(sqlite_db_url, HELD):
        started = await emulator.slash(world.alice, world.channel, "quiz", {"questions": 5})
    assert started.type == 5  # "thinking…", then the follow-up replaced it
    assert started.acknowledged_in is not None
    assert started.acknowledged_in < 1.5
    assert started.settled_in is not None
    assert started.settled_in >= HELD
    message = started.message
    assert message is not None
    assert message.embeds[0]["title"] == "Quiz · question 1 of 5"
    assert message.ephemeral

    q = shown_question(content, message)
    button = message.custom_ids()[0]
    async with write_lock_held(sqlite_db_url, HELD):
        if q.multiple:
            clicked = await emulator.select(world.alice, message, button, sorted(q.answer))
        else:
            clicked = await emulator.click(world.alice, message, f"{button[:-1]}{q.key}")
    assert clicked.type == 6  # acknowledged silently, then the message edited
    assert clicked.message is not None
    assert clicked.message.id == message.id
    assert clicked.message.embeds[0]["fields"][0]["name"] == "Right!"
    assert any(c.startswith("quiz:n:") for c in clicked.message.custom_ids())
    emulator.assert_clean()


async def test_a_click_answered_too_late_is_one_warning_and_can_be_repeated(
    emulator: DiscordEmulator,
    world: World,
    bot: StudyBot,
    content: ContentStore,
    caplog: pytest.LogCaptureFixture,
) -> None:
    started = await emulator.slash(world.alice, world.channel, "quiz", {"questions": 5})
    message = started.message
    assert message is not None
    q = shown_question(content, message)
    caplog.set_level(logging.WARNING)
    emulator.interaction_deadline = 0.0  # whatever the bot sends now comes too late
    with pytest.raises(InteractionFailed):
        await answer(emulator, world, content, message, q.key)
    await one_late_warning(emulator, caplog)
    assert "component 'quiz:a:" in late_warnings(caplog)[0].getMessage()
    assert len(emulator.missed_deadlines) == 1
    emulator.missed_deadlines.clear()

    emulator.interaction_deadline = 3.0  # the member clicks again: the answer it recorded
    feedback: Message = await answer(emulator, world, content, message, q.key)
    assert feedback.embeds[0]["fields"][0]["name"] == "Right!"
    assert any(c.startswith("quiz:n:") for c in feedback.custom_ids())
    emulator.assert_clean()


async def test_a_quiz_started_too_late_is_not_left_active(
    emulator: DiscordEmulator, world: World, bot: StudyBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    emulator.interaction_deadline = 0.0
    with pytest.raises(InteractionFailed):
        await emulator.slash(world.alice, world.channel, "quiz", {"questions": 5})
    await one_late_warning(emulator, caplog)
    assert "command /quiz" in late_warnings(caplog)[0].getMessage()
    assert await sessions(bot) == 0  # started, never seen, discarded
    emulator.missed_deadlines.clear()

    emulator.interaction_deadline = 3.0
    again = await emulator.slash(world.alice, world.channel, "quiz", {"questions": 5})
    assert again.content == ""  # no "your previous quiz was closed": there was none
    assert await sessions(bot) == 1
    emulator.assert_clean()


async def test_a_follow_up_too_late_is_one_warning_and_the_exam_is_discarded(
    emulator: DiscordEmulator,
    world: World,
    bot: StudyBot,
    sqlite_db_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    emulator.token_lifetime = 1.2  # the follow-up, after the lock, finds the token expired
    async with write_lock_held(sqlite_db_url, HELD):
        started = await emulator.slash(world.alice, world.channel, "exam", {})
    assert started.type == 5  # acknowledged in time
    await one_late_warning(emulator, caplog)
    assert "command /exam" in late_warnings(caplog)[0].getMessage()
    assert [v.code for v in emulator.take_violations(50027)] == [50027]
    assert await sessions(bot) == 0  # the member saw "thinking…" only: no exam runs
    emulator.assert_clean()
