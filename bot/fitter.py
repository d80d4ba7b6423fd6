"""Fitting FSRS parameters in a worker process, off the event loop and off the database
threads: a fit takes seconds of CPU (torch), and a thread would hold the GIL.

One worker, started on first use with the "spawn" method (a fresh interpreter: forking a
process that runs threads is unsafe), ended by `close()`. A worker that dies is replaced
at the next fit.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from bot.services import review_params

log = logging.getLogger(__name__)


class Fitter:
    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            context = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(max_workers=1, mp_context=context)
        return self._pool

    async def fit(self, logs: review_params.History) -> list[float] | None:
        """`review_params.fit(logs)` in the worker process."""
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor(), review_params.fit, logs)
        except BrokenProcessPool:
            log.warning("the FSRS fitting process died; a new one starts at the next fit")
            self._pool = None
            raise

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            await asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True)
