"""Warn when the event loop stalls: a stalled loop misses Discord's 3-second deadline."""

from __future__ import annotations

import asyncio
import contextlib
import logging

log = logging.getLogger(__name__)


class LoopWatchdog:
    """Wakes every `interval` seconds and logs a warning when it woke `threshold` late."""

    def __init__(self, threshold: float = 0.1, interval: float = 0.05) -> None:
        self.threshold = threshold
        self.interval = interval
        self.stalls = 0
        self.worst = 0.0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="loop-watchdog")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            before = loop.time()
            await asyncio.sleep(self.interval)
            lag = loop.time() - before - self.interval
            if lag > self.threshold:
                self.stalls += 1
                self.worst = max(self.worst, lag)
                log.warning("event loop stalled for %.0f ms", lag * 1000)
