from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from bot.scheduler import Scheduler, job
from bot.watchdog import LoopWatchdog


class Jobs:
    """A cog-like owner of two jobs."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, datetime]] = []

    @job("daily", every=60)
    async def daily(self, now: datetime) -> None:
        self.seen.append(("daily", now))

    @job("boom", every=30)
    async def boom(self, now: datetime) -> None:
        raise RuntimeError("bad tick")

    async def not_a_job(self, now: datetime) -> None:
        raise AssertionError("never registered")


async def test_marked_methods_are_registered_in_one_place_and_get_the_clock(caplog) -> None:  # type: ignore[no-untyped-def]
    now = datetime(2026, 3, 8, 9, 0, tzinfo=UTC)
    owner = Jobs()
    scheduler = Scheduler(clock=lambda: now)
    scheduler.register([owner])
    assert scheduler.job_ids() == ["boom", "daily"]
    with pytest.raises(ValueError, match="two jobs"):
        scheduler.register([Jobs()])  # the same ids again
    scheduler.start()
    try:
        for job_id in ("daily", "boom"):
            scheduled = scheduler._scheduler.get_job(job_id)
            assert scheduled.misfire_grace_time >= 300
            assert scheduled.coalesce is True
            await scheduled.func()  # the job body, as the scheduler runs it
    finally:
        scheduler.shutdown()
    assert owner.seen == [("daily", now)]
    assert "job boom failed" in caplog.text  # logged, not raised


async def test_watchdog_reports_a_stalled_loop(caplog) -> None:  # type: ignore[no-untyped-def]
    import time

    dog = LoopWatchdog(threshold=0.1, interval=0.01)
    dog.start()
    await asyncio.sleep(0.03)
    time.sleep(0.2)  # noqa: ASYNC251 - block the loop on purpose
    await asyncio.sleep(0.03)
    await dog.stop()
    assert dog.stalls >= 1
    assert "event loop stalled" in caplog.text


async def test_a_woken_run_is_drained_at_a_stop_like_an_interval_run() -> None:
    """wake() runs a job between its ticks (a live quiz's timer); a stop waits for that run
    too instead of cutting it off."""
    started, release, finished = asyncio.Event(), asyncio.Event(), []

    async def tick(now: datetime) -> None:
        started.set()
        await release.wait()
        finished.append(now)

    scheduler = Scheduler(first_run_after=3600)
    scheduler.add_tick("live", tick, 3600)
    scheduler.start()
    scheduler.wake("live", datetime.now(UTC))
    await asyncio.wait_for(started.wait(), 5)
    asyncio.get_running_loop().call_later(0.05, release.set)
    assert await scheduler.drain(5) is True
    assert len(finished) == 1


async def test_a_run_stopped_past_the_grace_leaves_no_traceback(caplog) -> None:  # type: ignore[no-untyped-def]
    started = asyncio.Event()

    async def stuck(now: datetime) -> None:
        started.set()
        await asyncio.Event().wait()  # never ends by itself

    scheduler = Scheduler(first_run_after=3600)
    scheduler.add_tick("stuck", stuck, 3600)
    scheduler.start()
    scheduler.wake("stuck", datetime.now(UTC))
    await asyncio.wait_for(started.wait(), 5)
    caplog.set_level("INFO")
    assert await scheduler.drain(0.1) is False
    await asyncio.sleep(0.1)  # the cancelled run ends
    assert "stopped by the shutdown" in caplog.text
    assert "Traceback" not in caplog.text
    assert not [r for r in caplog.records if r.levelname == "ERROR"]
