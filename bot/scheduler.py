"""Periodic jobs on APScheduler, registered in one place.

A job is a cog method `async def name(self, now)` marked with `@job("id", every=seconds)`.
When the bot has loaded its cogs it registers every marked method (`Scheduler.register`),
and nothing else adds jobs: `Scheduler.job_ids()` lists them all. Each run computes what
is due from the database at `now` (the bot's clock); never one APScheduler job per member,
thousands of due jobs would freeze the loop.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from apscheduler.schedulers.asyncio import AsyncIOScheduler

log = logging.getLogger(__name__)

Tick = Callable[[datetime], Awaitable[object]]
F = TypeVar("F", bound=Callable[..., Awaitable[Any]])
JOB_ATTRIBUTE = "__study_job__"
FIRST_RUN_AFTER = 2.0  # seconds after the scheduler starts


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

    def __init__(
        self, clock: Callable[[], datetime] = utcnow, first_run_after: float = FIRST_RUN_AFTER
    ) -> None:
        self.clock = clock
        self.first_run_after = first_run_after  # tests that run jobs by hand push it away
        self._scheduler = AsyncIOScheduler(
            timezone=UTC,
            job_defaults={"misfire_grace_time": 300, "coalesce": True, "max_instances": 1},
        )
        self._ticks: dict[str, Tick] = {}
        self._running: set[asyncio.Task[Any]] = set()
        self._last_run = time.monotonic()  # start counts as a run, for /healthz
        self.stopping = False
        # (job id, seconds, failed) after each run: the bot's metrics
        self.observe: Callable[[str, float, bool], None] | None = None

    @property
    def running(self) -> bool:
        return bool(self._scheduler.running)

    def start(self) -> None:
        if not self._scheduler.running:
            self._scheduler.start()

    def shutdown(self) -> None:
        self.stopping = True
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)

    async def drain(self, seconds: float) -> bool:
        """Stop starting jobs and wait up to `seconds` for the running ones to end (True
        when they did)."""
        self.stopping = True  # a run starting now returns at once
        if self._scheduler.running:
            self._scheduler.pause()  # (shutting APScheduler down would cancel the running)
        running = [task for task in self._running if not task.done()]
        pending: set[asyncio.Task[Any]] = set()
        if running:
            _done, pending = await asyncio.wait(running, timeout=seconds)
        self.shutdown()
        for task in pending:
            log.warning(
                "job %s did not finish within %.0f s; stopping it", task.get_name(), seconds
            )
            task.cancel()
        return not pending

    def seconds_since_last_run(self) -> float:
        return time.monotonic() - self._last_run

    def register(self, owners: Iterable[object]) -> None:
        """Register the @job methods of `owners` (the bot's cogs)."""
        for owner in owners:
            for job_id, seconds, tick in marked_jobs(owner):
                self.add_tick(job_id, tick, seconds)

    def add_tick(self, job_id: str, tick: Tick, seconds: int = 60) -> None:
        if job_id in self._ticks:
            raise ValueError(f"two jobs are called {job_id!r}")
        self._ticks[job_id] = tick

        run = self._runner(job_id, tick)

        # the first run comes soon after the start, not a whole interval later: work left
        # by a stop (or missed while down) goes out at once
        first = datetime.now(UTC) + timedelta(seconds=self.first_run_after)
        self._scheduler.add_job(run, "interval", seconds=seconds, id=job_id, next_run_time=first)

    def wake(self, job_id: str, at: datetime) -> None:
        """Run job `job_id` once more at `at`, besides its interval: work due between two
        ticks (a live quiz's timer) is then done on time. Tests, which stop the scheduler
        and move a fake clock, call the tick themselves."""
        run = self._runner(job_id, self._ticks[job_id])
        self._scheduler.add_job(run, "date", run_date=at, misfire_grace_time=60)

    def _runner(self, job_id: str, tick: Tick) -> Callable[[], Awaitable[None]]:
        """One run of a job as APScheduler starts it: not once stopping; drained at a stop
        (and, past the grace, stopped without a traceback); a failure logged, not raised."""

        async def run() -> None:
            if self.stopping:
                return
            task = asyncio.current_task()
            if task is not None:
                task.set_name(f"job:{job_id}")
                self._running.add(task)
                task.add_done_callback(self._running.discard)
            started, failed = time.perf_counter(), False
            try:
                await tick(self.clock())
            except asyncio.CancelledError:
                if not self.stopping:
                    raise
                log.info("job %s stopped by the shutdown; the next start goes on", job_id)
            except Exception:
                failed = True
                log.exception("job %s failed", job_id)
            finally:
                self._last_run = time.monotonic()
                if self.observe is not None:
                    self.observe(job_id, time.perf_counter() - started, failed)

        return run

    def tick(self, job_id: str) -> Tick:
        """The job's function, to run it by hand (tests, /daily now)."""
        return self._ticks[job_id]

    def job_ids(self) -> list[str]:
        return sorted(self._ticks)
