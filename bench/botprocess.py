"""The bot as a user starts it (`python -m bot`, through tests/launcher.py) in a process of
its own against the emulator, for benches that must tell the bot's costs from the
emulator's: its CPU per thread, and what it logged (as JSON) while the bench ran."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bench.common import ROOT
from tests.emulator import DiscordEmulator
from tests.launcher import LAUNCHER, environment

STALLED = "event loop stalled for %.0f ms"  # bot/watchdog.py's warning
LATE = "answered too late"  # bot/components.py's warning


@dataclass
class Tally:
    """What a log says: event-loop stalls (seconds), tracebacks, too-late warnings."""

    stalls: list[float] = field(default_factory=list)
    tracebacks: int = 0
    late: int = 0

    def count(self, message: str, traceback: bool) -> None:
        if message.startswith("event loop stalled for "):
            self.stalls.append(float(message.split()[4]) / 1000)
        elif traceback or message.startswith("Ignoring exception"):
            self.tracebacks += 1
        elif LATE in message:
            self.late += 1


class LogTally(logging.Handler):
    """A `Tally` of the records logged in this process while it is attached."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.tally = Tally()

    def emit(self, record: logging.LogRecord) -> None:
        self.tally.count(record.getMessage(), record.exc_info is not None)


@dataclass
class BotProcess:
    pid: int
    log: Path
    started: datetime = field(default_factory=lambda: datetime.now(UTC))

    def cpu_seconds(self) -> tuple[float, float] | None:
        """CPU seconds used so far: (the main thread, which runs the event loop; the other
        threads: the database's), from Linux's /proc; None elsewhere."""
        try:
            loop_stat = Path(f"/proc/{self.pid}/task/{self.pid}/stat").read_text()
            whole_stat = Path(f"/proc/{self.pid}/stat").read_text()
        except OSError:
            return None
        # after the command name in parentheses, utime and stime are the 12th and 13th
        loop, whole = (
            sum(map(int, s.rsplit(")", 1)[1].split()[11:13])) for s in (loop_stat, whole_stat)
        )
        tick = os.sysconf("SC_CLK_TCK")
        return loop / tick, (whole - loop) / tick

    def tally(self, since: datetime) -> Tally:
        """What the bot logged from `since` on."""
        tally = Tally()
        for line in self.log.read_text().splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if datetime.fromisoformat(entry["time"]) >= since:
                tally.count(entry.get("message", ""), "exception" in entry)
        return tally


@asynccontextmanager
async def bot_process(
    emu: DiscordEmulator, database_url: str, profile: Path | None = None
) -> AsyncIterator[BotProcess]:
    """`python -m bot` against `emu` and `database_url`, ready (commands synced, on_ready
    logged) when this yields; stopped with SIGINT (a clean shutdown) after. With
    `profile`, it runs under bench/profiled.py, writing its profiles there."""
    log = Path(tempfile.mkdtemp(prefix="studybot-bench-")) / "bot.log"
    profiler = [str(ROOT / "bench" / "profiled.py"), str(profile)] if profile else []
    with log.open("w") as stderr:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            *profiler,
            str(LAUNCHER),
            cwd=log.parent,  # no .env here
            env=environment(emu, database_url, LOG_FORMAT="json"),
            stderr=stderr,
        )
    try:
        await emu.wait_ready(timeout=60)
        await emu.wait_for(lambda: '"ready as ' in log.read_text(), timeout=30)
        yield BotProcess(proc.pid, log)
    finally:
        proc.send_signal(signal.SIGINT)
        await asyncio.wait_for(proc.wait(), 30)
