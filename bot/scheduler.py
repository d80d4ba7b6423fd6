"""Periodic jobs on APScheduler, registered in one place.

A job is a cog method `async def name(self, now)` marked with `@job("id", every=seconds)`.
When the bot has loaded its cogs it registers every marked method (`Scheduler.register`),
and nothing else adds jobs: `Scheduler.job_ids()` lists them all. Each run computes what
is due from the database at `now` (the bot's clock); never one APScheduler job per member,
thousands of due jobs would freeze the loop.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime
from typing import Any, TypeVar

from apscheduler.schedulers.asyncio import AsyncIOScheduler

log = logging.getLogger(__name__)

Tick = Callable[[datetime], Awaitable[object]]
F = TypeVar("F", bound=Callable[..., Awaitable[Any]])
JOB_ATTRIBUTE = "__study_job__"


def utcnow() -> datetime:
    return datetime.now(UTC)


def job(job_id: str, *, every: int) -> Callable[[F], F]:
    """Mark a cog method `async def name(self, now)` to run every `every` seconds."""

    def mark(method: F) -> F:
        setattr(method, JOB_ATTRIBUTE, (job_id, every))
        return method

    return mark


def marked_jobs(owner: object) -> list[tuple[str, int, Tick]]:
    """The (id, seconds, bound method) of every @job method of `owner`."""
    found: list[tuple[str, int, Tick]] = []
    for _name, member in inspect.getmembers(owner, inspect.ismethod):
        marker = getattr(member, JOB_ATTRIBUTE, None)
        if marker is not None:
            found.append((marker[0], marker[1], member))
    return found


class Scheduler:
    """Owns one AsyncIOScheduler and the bot's jobs."""

    def __init__(self, clock: Callable[[], datetime] = utcnow) -> None:
        self.clock = clock
        self._scheduler = AsyncIOScheduler(
            timezone=UTC,
            job_defaults={"misfire_grace_time": 300, "coalesce": True, "max_instances": 1},
        )
        self._ticks: dict[str, Tick] = {}

    @property
    def running(self) -> bool:
        return bool(self._scheduler.running)

    def start(self) -> None:
        if not self._scheduler.running:
            self._scheduler.start()

    def shutdown(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)

    def register(self, owners: Iterable[object]) -> None:
        """Register the @job methods of `owners` (the bot's cogs)."""
        for owner in owners:
            for job_id, seconds, tick in marked_jobs(owner):
                self.add_tick(job_id, tick, seconds)

    def add_tick(self, job_id: str, tick: Tick, seconds: int = 60) -> None:
        if job_id in self._ticks:
            raise ValueError(f"two jobs are called {job_id!r}")
        self._ticks[job_id] = tick

        async def run() -> None:
            try:
                await tick(self.clock())
            except Exception:
                log.exception("job %s failed", job_id)

        self._scheduler.add_job(run, "interval", seconds=seconds, id=job_id)

    def wake(self, job_id: str, at: datetime) -> None:
        """Run job `job_id` once more at `at`, besides its interval: work due between two
        ticks (a live quiz's timer) is then done on time. Tests, which stop the scheduler
        and move a fake clock, call the tick themselves."""
        tick = self._ticks[job_id]

        async def run() -> None:
            try:
                await tick(self.clock())
            except Exception:
                log.exception("job %s (woken) failed", job_id)

        self._scheduler.add_job(run, "date", run_date=at, misfire_grace_time=60)

    def tick(self, job_id: str) -> Tick:
        """The job's function, to run it by hand (tests, /daily now)."""
        return self._ticks[job_id]

    def job_ids(self) -> list[str]:
        return sorted(self._ticks)
