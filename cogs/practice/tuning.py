"""The weekly fit of each member's FSRS parameters (with the optimizer extra installed)."""

from __future__ import annotations

import logging
from datetime import datetime

from discord.ext import commands

from bot.app import StudyBot
from bot.fitter import Fitter
from bot.scheduler import job
from bot.services import review_params

log = logging.getLogger(__name__)


class ReviewTuningCog(commands.Cog):
    """Personal FSRS parameters, fitted in a worker process."""

    def __init__(self, bot: StudyBot) -> None:
        self.bot = bot
        self.fitter = Fitter()
        self.available = review_params.available()
        if not self.available:
            log.info(
                "the FSRS optimizer is not installed (pip install '.[optimizer]'): "
                "every member keeps the default parameters"
            )

    async def cog_unload(self) -> None:
        await self.fitter.close()

    @job("review-params", every=600)
    async def refit(self, now: datetime) -> int:
        """Fit the parameters of the members due one; returns how many got new ones."""
        if not self.available:
            return 0
        db, fitted = self.bot.db, 0
        for user_id in await db.read(review_params.candidates, now):
            if not await db.write(review_params.claim, user_id, now):
                continue
            logs = await db.read(review_params.history, user_id)
            try:
                found = await self.fitter.fit(logs)
            except Exception:
                log.exception("fitting the FSRS parameters of user %s failed", user_id)
                continue
            await db.write(review_params.store, user_id, found, len(logs))
            fitted += found is not None
            log.info(
                "FSRS parameters of user %s %s (%d reviews)",
                user_id,
                "fitted" if found is not None else "unchanged: too few spaced reviews",
                len(logs),
            )
        return fitted
