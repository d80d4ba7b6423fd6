"""A live group quiz with many members answering, through the Discord emulator.

200 members answer each of 20 questions at once (`/groupquiz start questions:20
seconds:15`), on the real clock with the bot's scheduler running, against an emulator
that enforces Discord's rate limits. Every fourth question (and the first, which always
runs its full timer) has one member hold back, so the timer reveals it; the others are
revealed as soon as everyone who joined has answered.

Prints the click-to-acknowledgement latency (p50, p99) of the answers, the reveal's delay
after the timer ran out, the reveal's delay after the last answer, and the 429s and
invalid requests seen (the goal is none). The pause between questions is cut from 5 s to
1 s to keep the run short; nothing else changes. Members answer each question at
random moments over `--spread` seconds (4 by default; 0 makes all 200 click in the same
instant, the worst case, where the emulator and the bot share one process's two cores).
Run: `python -m bench.groupquiz [--members N] [--questions N]`.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from datetime import timedelta

from bench.common import content, migrated, report, temp_db_path
from bot.app import StudyBot, create_bot
from bot.config import Settings
from bot.content import ContentStore, Question
from bot.db import Database
from bot.services import live_quiz
from tests.emulator import Channel, DiscordEmulator, Message, User, start_bot, stop_bot

SECONDS = 15


def quiz_questions(emu: DiscordEmulator, channel: Channel) -> list[Message]:
    return [
        m
        for m in emu.channel_messages(channel)
        if m.embeds and m.embeds[0]["title"].startswith("Live quiz · question")
    ]


def revealed(message: Message) -> bool:
    return bool(message.embeds[0]["title"].endswith("revealed"))


async def click(
    emu: DiscordEmulator, user: User, message: Message, q: Question, delay: float = 0.0
) -> float:
    await asyncio.sleep(delay)  # when this member gets round to answering
    t0 = time.perf_counter()
    if q.multiple:
        result = await emu.select(user, message, message.selects()[0]["custom_id"], sorted(q.key))
    else:
        custom_id = next(
            b["custom_id"] for b in message.buttons() if b["custom_id"].endswith(q.key)
        )
        result = await emu.click(user, message, custom_id)
    assert result.ephemeral, result.content
    return time.perf_counter() - t0


async def run_quiz(
    emu: DiscordEmulator,
    bot: StudyBot,
    store: ContentStore,
    channel: Channel,
    members: list[User],
    questions: int,
    spread: float,
) -> tuple[list[float], list[float], list[float]]:
    rng = random.Random(5)
    acks: list[float] = []
    after_timer: list[float] = []
    after_last: list[float] = []
    started = await emu.slash(
        members[0], channel, "groupquiz start", {"questions": questions, "seconds": SECONDS}
    )
    assert "Live quiz!" in started.content
    for position in range(questions):
        await emu.wait_for(lambda n=position: len(quiz_questions(emu, channel)) > n, timeout=30)
        message = quiz_questions(emu, channel)[position]
        footer = message.embeds[0]["footer"]["text"]
        q = store.questions[footer.split(" · ")[2]]
        timed = position == 0 or position % 4 == 3
        answering = members[1:] if timed else members  # the starter holds back: the timer
        delays = [rng.uniform(0, spread) for _ in answering]
        acks += await asyncio.gather(
            *(click(emu, m, message, q, d) for m, d in zip(answering, delays, strict=True))
        )
        last_answer = time.time()
        await emu.wait_for(lambda m=message: revealed(m), timeout=SECONDS + 10)
        seen = time.time()
        if timed:
            item = await bot.db.read(live_quiz.item, quiz_id_of(message), position)
            assert item.deadline_at is not None
            after_timer.append(seen - item.deadline_at.timestamp())
        else:
            after_last.append(seen - last_answer)
    await emu.wait_for(
        lambda: any(
            m.embeds and m.embeds[0]["title"] == "Live quiz over: the scoreboard"
            for m in emu.channel_messages(channel)
        ),
        timeout=30,
    )
    return acks, after_timer, after_last


def quiz_id_of(message: Message) -> int:
    """The quiz id in the question's custom_ids (live:a:<quiz>:<position>:…)."""
    return int(message.custom_ids()[0].split(":")[2])


async def main(members: int, questions: int, spread: float = 4.0) -> None:
    store = content()
    path = temp_db_path()
    await (await migrated(path)).close()
    live_quiz.PAUSE = timedelta(seconds=1)  # shorter pauses; see the docstring
    async with DiscordEmulator() as emu:
        guild = emu.add_guild("bench")
        channel = emu.add_channel(guild, "quiz")
        users = [emu.add_member(guild, f"member{i}") for i in range(members)]
        settings = Settings(
            discord_token=emu.token,  # type: ignore[arg-type]
            database_url=f"sqlite:///{path}",
        )
        bot = create_bot(settings, Database.from_url(settings.database_url), store)
        task = await start_bot(emu, bot, timeout=30)
        t0 = time.perf_counter()
        try:
            acks, after_timer, after_last = await run_quiz(
                emu,
                bot,
                store,
                channel,
                users,
                questions,  # type: ignore[arg-type]
                spread,
            )
        finally:
            await asyncio.wait_for(bot.wait_until_ready(), 10)  # a clean close
            await stop_bot(bot, task)
        elapsed = time.perf_counter() - t0
        limited = sum(1 for r in emu.requests if r.status == 429)
        print(
            f"live quiz: {members} members x {questions} questions ({SECONDS} s timer, "
            f"{len(acks):,} answers, each question's clicks spread over {spread:g} s) "
            f"in {elapsed:.0f} s"
        )
        report("answer click to acknowledgement", acks, "p99 < 250 ms")
        report("reveal after the timer ran out", after_timer, "p99 < 1.5 s")
        report("reveal after the last member answered", after_last, "p99 < 1 s")
        print(
            f"  429s: {limited}; invalid requests in 10 min: {emu.invalid_requests_in(600)}; "
            f"missed interaction deadlines: {len(emu.missed_deadlines)}   (target: none)"
        )
        emu.assert_clean()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--questions", type=int, default=20)
    parser.add_argument(
        "--spread", type=float, default=4.0, help="seconds over which members answer (0: at once)"
    )
    args = parser.parse_args()
    asyncio.run(main(args.members, args.questions, args.spread))
