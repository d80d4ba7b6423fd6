"""A burst: 200 members each start a quiz, answer and click Next within five seconds.

What a busy study server (or a live group quiz's first minute) produces, through the
Discord emulator with its 3-second interaction deadline and rate limits. Each member
runs `/quiz questions:5`, answers the first question (a button, or the select of a
multiple-select question) and clicks Next, at three random moments of the `--window`
(5 s), each no sooner than the member saw the previous answer: 600 interactions.

Prints, per kind of interaction, the time from dispatch to the accepted acknowledgement
(what Discord's deadline measures, timed by the emulator) and to the answer the member
sees (after a defer, its follow-up), the missed deadlines the emulator recorded, the
members who could not go on, the orphan active sessions left in the database (a quiz
started for a member who never saw it), the tracebacks and "answered too late" warnings
in the bot's log, and the event-loop stalls over 100 ms.

Two runs, because the emulator is Python too and costs CPU:
- `shared`: the bot and the emulator on one event loop in one process, as the other
  benches and the end-to-end tests run. The bot's LoopWatchdog then counts the
  emulator's stalls with its own: this run cannot tell them apart.
- `process`: the bot as `python -m bot` in a process of its own (through
  tests/launcher.py, as a user starts it), the emulator and the members in this one, as
  with the real Discord. The bot's stalls are its own LoopWatchdog's warnings in its log;
  the emulator's are counted by a second LoopWatchdog on this process's loop.

`--lock S` has another connection hold SQLite's write lock for S seconds from one second
into the burst (what a long write in another process, or a slow disk, does): the bot's
writes wait, and the interactions that wait for them must still be acknowledged in time.

Run: `python -m bench.burst [--members N] [--window S] [--lock S] [--mode shared|process|
both] [--postgres URL] [--profile DIR]`.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import random
import time
from collections import Counter
from collections.abc import Awaitable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

from bench.botprocess import LogTally, Tally, bot_process
from bench.common import content, migrated, report, temp_db_path
from bot.app import create_bot
from bot.config import Settings
from bot.content import ContentStore
from bot.db import Database
from bot.migrate import upgrade
from bot.watchdog import LoopWatchdog
from tests.conftest import reset_postgres, write_lock_held
from tests.emulator import (
    Channel,
    DiscordEmulator,
    InteractionFailed,
    InteractionResult,
    Message,
    User,
    start_bot,
    stop_bot,
)

QUESTIONS = 5
TIMEOUT = 15.0  # how long a member waits for a deferred answer's follow-up
KINDS = {"/quiz": "/quiz", "quiz:a": "answer", "quiz:n": "Next"}


@dataclass(frozen=True)
class Load:
    members: int = 200
    window: float = 5.0  # seconds within which each member does all three
    lock: float = 0.0  # seconds SQLite's write lock is held elsewhere, from 1 s in


@dataclass
class Figures:
    acks: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in KINDS.values()})
    shown: list[float] = field(default_factory=list)
    sessions_seen: set[int] = field(default_factory=set)
    stuck: int = 0  # members who could not go on (no answer, or no way on, in time)
    missed: Counter[str] = field(default_factory=Counter)
    orphans: int = 0
    bot: Tally = field(default_factory=Tally)  # stalls, tracebacks, too-late warnings
    emulator_stalls: list[float] | None = None  # None: one loop, counted with the bot's
    cpu: tuple[float, float] | None = None  # the bot's CPU seconds: loop thread, other threads


# -- the members ------------------------------------------------------------------------------
async def attempt(
    figures: Figures, kind: str, call: Awaitable[InteractionResult]
) -> Message | None:
    """One interaction: its timings, or None when the member got no answer to go on from."""
    try:
        result = await call
    except InteractionFailed:
        return None
    if result.acknowledged_in is not None:
        figures.acks[kind].append(result.acknowledged_in)
    if result.settled_in is None:
        return None  # deferred, and the follow-up never came
    figures.shown.append(result.settled_in)
    return result.message


async def member(
    emu: DiscordEmulator,
    store: ContentStore,
    user: User,
    channel: Channel,
    moments: list[float],
    figures: Figures,
) -> None:
    """Start a quiz, answer its first question, click Next: each at its moment, or as soon
    as the previous answer showed."""
    loop = asyncio.get_running_loop()
    start = loop.time()

    async def at(moment: float) -> None:
        await asyncio.sleep(max(0.0, start + moment - loop.time()))

    await at(moments[0])
    started = emu.slash(user, channel, "quiz", {"questions": QUESTIONS}, timeout=TIMEOUT)
    message = await attempt(figures, "/quiz", started)
    if message is None or not message.custom_ids():
        figures.stuck += 1
        return
    figures.sessions_seen.add(int(message.custom_ids()[0].split(":")[2]))
    question = store.questions[message.embeds[0]["footer"]["text"].rsplit("· ", 1)[-1]]
    await at(moments[1])
    if question.multiple:
        menu = message.selects()[0]["custom_id"]
        clicked = emu.select(user, message, menu, sorted(question.answer), timeout=TIMEOUT)
    else:
        clicked = emu.click(user, message, message.buttons()[0]["custom_id"], timeout=TIMEOUT)
    answered = await attempt(figures, "answer", clicked)
    nxt = (
        [b for b in answered.buttons() if b["custom_id"].startswith("quiz:n:")] if answered else []
    )
    if answered is None or not nxt:
        figures.stuck += 1
        return
    await at(moments[2])
    shown = await attempt(
        figures, "Next", emu.click(user, answered, nxt[0]["custom_id"], timeout=TIMEOUT)
    )
    if shown is None:
        figures.stuck += 1


async def burst(
    emu: DiscordEmulator,
    store: ContentStore,
    channel: Channel,
    users: list[User],
    load: Load,
    url: str,
) -> Figures:
    rng = random.Random(15)
    figures = Figures()
    members = [
        member(emu, store, u, channel, sorted(rng.uniform(0, load.window) for _ in "abc"), figures)
        for u in users
    ]
    await asyncio.gather(*members, lock_held(url, load.lock))
    await asyncio.sleep(1.0)  # late callbacks still on their way
    for missed in emu.missed_deadlines:
        figures.missed[kind_of(missed.name)] += 1
    return figures


async def lock_held(url: str, seconds: float) -> None:
    if seconds:
        await asyncio.sleep(1.0)
        async with write_lock_held(url, seconds):
            pass


def kind_of(name: str) -> str:
    """ "/quiz", "answer" or "Next" for an interaction's name (a command or a custom_id)."""
    return KINDS.get(name if name.startswith("/") else ":".join(name.split(":")[:2]), name)


def world(emu: DiscordEmulator, members: int) -> tuple[Channel, list[User]]:
    guild = emu.add_guild("busy study server")
    channel = emu.add_channel(guild, "study")
    return channel, [emu.add_member(guild, f"member{i}") for i in range(members)]


def _active_quizzes(session: Session) -> set[int]:
    query = text("SELECT id FROM practice_sessions WHERE status = 'active' AND kind = 'quiz'")
    return {row[0] for row in session.execute(query)}


async def orphans(url: str, seen: set[int]) -> int:
    """Active quizzes that no member ever saw: started for an interaction that failed."""
    db = Database.from_url(url)
    try:
        return len(await db.read(_active_quizzes) - seen)
    finally:
        await db.close()


async def fresh_database(postgres: str | None) -> str:
    """A migrated database: a new SQLite file, or the PostgreSQL one emptied first."""
    if postgres is None:
        path = temp_db_path()
        await (await migrated(path)).close()
        return f"sqlite:///{path}"
    await reset_postgres(postgres)
    db = Database.from_url(postgres)
    await upgrade(db.engine)
    await db.close()
    return postgres


# -- the two runs -----------------------------------------------------------------------------
async def shared(store: ContentStore, load: Load, url: str) -> Figures:
    async with DiscordEmulator() as emu:
        channel, users = world(emu, load.members)
        settings = Settings(
            discord_token=emu.token,  # type: ignore[arg-type]
            database_url=url,
        )
        bot = create_bot(settings, Database.from_url(settings.database_url), store)
        task = await start_bot(emu, bot, timeout=30)
        handler = LogTally()
        try:
            await asyncio.wait_for(bot.wait_until_ready(), 10)
            gc.freeze()  # as `python -m bot` does once it has loaded the content
            logging.getLogger().addHandler(handler)
            figures = await burst(emu, store, channel, users, load, url)
        finally:
            logging.getLogger().removeHandler(handler)
            await stop_bot(bot, task)
            gc.unfreeze()
    figures.bot = handler.tally
    figures.orphans = await orphans(url, figures.sessions_seen)
    return figures


async def separate(store: ContentStore, load: Load, url: str, profile: Path | None) -> Figures:
    async with DiscordEmulator() as emu:
        channel, users = world(emu, load.members)
        watchdog = LoopWatchdog()  # the emulator's loop: this process's
        handler = LogTally()
        async with bot_process(emu, url, profile) as bot:
            since = datetime.now(UTC)
            watchdog.start()
            logging.getLogger("bot.watchdog").addHandler(handler)
            try:
                before = bot.cpu_seconds()
                figures = await burst(emu, store, channel, users, load, url)
                after = bot.cpu_seconds()
            finally:
                logging.getLogger("bot.watchdog").removeHandler(handler)
                await watchdog.stop()
    if before is not None and after is not None:
        figures.cpu = (after[0] - before[0], max(0.0, after[1] - before[1]))
    figures.emulator_stalls = handler.tally.stalls
    figures.bot = bot.tally(since)
    figures.orphans = await orphans(url, figures.sessions_seen)
    return figures


def stalls(stalled: list[float]) -> str:
    if not stalled:
        return "none"
    return f"{len(stalled)} (worst {max(stalled) * 1000:.0f} ms, total {sum(stalled):.1f} s)"


def print_figures(mode: str, figures: Figures, load: Load, elapsed: float) -> None:
    where = {
        "shared": "the bot and the emulator on one event loop",
        "process": "the bot in its own process (python -m bot), the emulator in this one",
    }[mode]
    total = load.members * 3
    print(f" {where}: {elapsed:.1f} s")
    for kind, samples in figures.acks.items():
        if samples:
            report(f"{kind}: dispatch to acknowledgement", samples, "p99 < 3 s")
    acknowledged = [t for samples in figures.acks.values() for t in samples]
    if acknowledged:
        report("all: dispatch to acknowledgement", acknowledged, "p99 < 3 s")
    if figures.shown:
        report("all: dispatch to the answer shown (after a defer)", figures.shown)
    by_kind = ", ".join(f"{k} {figures.missed.get(k, 0)}" for k in KINDS.values())
    print(
        f"  missed deadlines: {sum(figures.missed.values())} of {total} ({by_kind}); "
        f"members stuck: {figures.stuck}; orphan active sessions: {figures.orphans}"
    )
    print(
        f"  tracebacks in the bot's log: {figures.bot.tracebacks}; "
        f'"answered too late" warnings: {figures.bot.late}'
    )
    if figures.cpu is not None:
        loop, others = (seconds * 1000 / total for seconds in figures.cpu)
        print(
            f"  the bot's CPU per interaction: {loop:.2f} ms on the event loop's thread, "
            f"{others:.2f} ms on its other threads (the database)"
        )
    if figures.emulator_stalls is None:
        together = stalls(figures.bot.stalls)
        print(f"  event-loop stalls over 100 ms (bot and emulator together): {together}")
    else:
        print(
            f"  event-loop stalls over 100 ms: the bot's {stalls(figures.bot.stalls)}; "
            f"the emulator's {stalls(figures.emulator_stalls)}"
        )


async def main(
    load: Load = Load(),
    mode: str = "both",
    postgres: str | None = None,
    profile: Path | None = None,
) -> None:
    store = content()
    held = f", SQLite's write lock held elsewhere for {load.lock:g} s" if load.lock else ""
    print(
        f"burst: {load.members} members each start a {QUESTIONS}-question /quiz, answer and "
        f"click Next within {load.window:g} s ({load.members * 3} interactions; "
        f"{'PostgreSQL' if postgres else 'SQLite'}{held})"
    )
    if load.lock and postgres:
        raise SystemExit("--lock holds SQLite's lock: not with --postgres")
    for run in ("shared", "process") if mode == "both" else (mode,):
        url = await fresh_database(postgres)
        t0 = time.perf_counter()
        if run == "shared":
            figures = await shared(store, load, url)
        else:
            figures = await separate(store, load, url, profile)
        print_figures(run, figures, load, time.perf_counter() - t0)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.burst")
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--window", type=float, default=5.0)
    parser.add_argument("--lock", type=float, default=0.0, metavar="S")
    parser.add_argument("--mode", choices=("shared", "process", "both"), default="both")
    parser.add_argument(
        "--postgres", metavar="URL", help="postgresql+asyncpg://… (emptied first) instead of SQLite"
    )
    parser.add_argument(
        "--profile",
        metavar="DIR",
        type=Path,
        help="profile the bot process into DIR (see bench/profiled.py)",
    )
    args = parser.parse_args()
    load = Load(args.members, args.window, args.lock)
    asyncio.run(main(load, args.mode, args.postgres, args.profile))
