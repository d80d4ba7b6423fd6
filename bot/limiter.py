"""The app-wide pace for scheduled sends.

discord.py only backs off after Discord answers 429; it does not pace itself. Every
scheduled send (drops, reveals, reminders, reports) goes through one Limiter: at most
`rate` requests a second and `concurrency` in flight. Interaction responses do not.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from types import TracebackType


class Limiter:
    def __init__(self, rate: float = 40.0, concurrency: int = 8) -> None:
        self.interval = 1.0 / rate
        self._next = 0.0
        self._slots = asyncio.Semaphore(concurrency)
        self._lock = asyncio.Lock()
        self.sent = 0
        self.observe_wait: Callable[[float], None] | None = None  # seconds waited: metrics

    async def __aenter__(self) -> None:
        loop = asyncio.get_running_loop()
        asked = loop.time()
        await self._slots.acquire()
        async with self._lock:
            now = loop.time()
            start = max(now, self._next)
            self._next = start + self.interval
        if start > now:
            await asyncio.sleep(start - now)
        self.sent += 1
        if self.observe_wait is not None:
            self.observe_wait(loop.time() - asked)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._slots.release()

    def slow_down(self, seconds: float) -> None:
        """Hold every send for `seconds` (after Discord said we are too fast)."""
        now = asyncio.get_running_loop().time()
        self._next = max(self._next, now + seconds)
