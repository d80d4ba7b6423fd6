"""Periodic ticks on APScheduler.

A few in-memory jobs with fixed ids; each tick computes what is due from the database.
Never one job per member: thousands of due jobs would freeze the loop.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

log = logging.getLogger(__name__)

Tick = Callable[[datetime], Awaitable[object]]


def utcnow() -> datetime:
    return datetime.now(UTC)


class Scheduler:
    """Owns one AsyncIOScheduler; cogs add their ticks on load and remove them on unload."""

    def __init__(self, clock: Callable[[], datetime] = utcnow) -> None:
        self.clock = clock
        self._scheduler = AsyncIOScheduler(
            timezone=UTC,
            job_defaults={"misfire_grace_time": 300, "coalesce": True, "max_instances": 1},
        )

    @property
    def running(self) -> bool:
        return bool(self._scheduler.running)

    def start(self) -> None:
        if not self._scheduler.running:
            self._scheduler.start()

    def shutdown(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)

    def add_tick(self, job_id: str, tick: Tick, seconds: int = 60) -> None:
        async def run() -> None:
            try:
                await tick(self.clock())
            except Exception:
                log.exception("tick %s failed", job_id)

        self._scheduler.add_job(run, "interval", seconds=seconds, id=job_id, replace_existing=True)

    def remove_tick(self, job_id: str) -> None:
        if self._scheduler.get_job(job_id) is not None:
            self._scheduler.remove_job(job_id)

    def job_ids(self) -> list[str]:
        return sorted(job.id for job in self._scheduler.get_jobs())
