from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from bot.scheduler import Scheduler
from bot.watchdog import LoopWatchdog


async def test_ticks_are_registered_with_fixed_ids_and_get_the_clock() -> None:
    now = datetime(2026, 3, 8, 9, 0, tzinfo=UTC)
    seen: list[datetime] = []

    async def tick(when: datetime) -> None:
        seen.append(when)

    scheduler = Scheduler(clock=lambda: now)
    scheduler.add_tick("daily", tick, seconds=60)
    scheduler.add_tick("daily", tick, seconds=60)  # replacing, not duplicating
    scheduler.start()
    try:
        assert scheduler.job_ids() == ["daily"]
        job = scheduler._scheduler.get_job("daily")
        assert job.misfire_grace_time >= 300
        assert job.coalesce is True
        await job.func()  # run the job body once, as the scheduler would
        assert seen == [now]
        scheduler.remove_tick("daily")
        assert scheduler.job_ids() == []
    finally:
        scheduler.shutdown()


async def test_a_failing_tick_is_logged_not_raised(caplog) -> None:  # type: ignore[no-untyped-def]
    async def boom(_: datetime) -> None:
        raise RuntimeError("bad tick")

    scheduler = Scheduler()
    scheduler.add_tick("x", boom)
    scheduler.start()
    try:
        await scheduler._scheduler.get_job("x").func()
    finally:
        scheduler.shutdown()
    assert "tick x failed" in caplog.text


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
