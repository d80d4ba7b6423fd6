"""The delivery claims this process is sending, kept alive while it lives.

A claim's lease is short (`deliveries.LEASE`), so that a dead sender's work is taken over
within a minute or two. A living sender may take longer (Discord's rate limits, a slow
database): while a send is under way its key is held here, and the `leases` job
(cogs/ops.py) renews every held key each `deliveries.RENEW_EVERY` seconds. A process that
dies stops renewing, and its claims lapse.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterator
from datetime import datetime

from bot.db import Database
from bot.services import deliveries


class Leases:
    def __init__(self, db: Database, owner: str = deliveries.PROCESS_ID) -> None:
        self.db = db
        self.owner = owner
        self._held: Counter[str] = Counter()

    @contextlib.contextmanager
    def hold(self, key: str | None) -> Iterator[None]:
        """Keep `key`'s lease renewed while the block runs (nothing for None)."""
        if key is None:
            yield
            return
        self._held[key] += 1
        try:
            yield
        finally:
            self._held[key] -= 1
            if not self._held[key]:
                del self._held[key]

    def held(self) -> list[str]:
        return sorted(self._held)

    async def renew(self, now: datetime) -> int:
        """Extend the lease of every key held now; how many were renewed."""
        keys = self.held()
        if not keys:
            return 0
        renewed: int = await self.db.write(deliveries.renew, keys, now, self.owner)
        return renewed
