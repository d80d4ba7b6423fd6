"""Fixed-window rate limits: the bot's global limit and per-channel message creation."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

CHANNEL_MESSAGES_BUCKET = "emu-post-channel-messages"


@dataclass
class Bucket:
    limit: int
    window: float
    reset_at: float = 0.0
    count: int = 0

    def hit(self, now: float) -> float | None:
        """Counts a request; returns retry_after when the window is already full."""
        if now >= self.reset_at:
            self.reset_at = now + self.window
            self.count = 0
        if self.count >= self.limit:
            return self.reset_at - now
        self.count += 1
        return None

    def headers(self, now: float, name: str) -> dict[str, str]:
        reset_after = max(0.0, self.reset_at - now)
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(max(0, self.limit - self.count)),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": name,
        }


@dataclass
class RateLimits:
    enabled: bool = True
    global_limit: int = 50
    channel_limit: int = 5
    channel_window: float = 5.0
    _global: Bucket = field(default_factory=lambda: Bucket(50, 1.0))
    _channels: dict[int, Bucket] = field(default_factory=dict)

    def configure(
        self, enabled: bool, global_limit: int, channel_limit: int, channel_window: float
    ) -> None:
        self.enabled = enabled
        self.global_limit, self.channel_limit, self.channel_window = (
            global_limit,
            channel_limit,
            channel_window,
        )
        self._global = Bucket(global_limit, 1.0)
        self._channels.clear()

    def check_global(self) -> float | None:
        return self._global.hit(time.monotonic()) if self.enabled else None

    def check_channel_messages(self, channel_id: int) -> tuple[float | None, dict[str, str]]:
        """retry_after (None if allowed) and the headers every response of the route carries."""
        if not self.enabled:
            return None, {}
        bucket = self._channels.setdefault(
            channel_id, Bucket(self.channel_limit, self.channel_window)
        )
        now = time.monotonic()
        retry_after = bucket.hit(now)
        return retry_after, bucket.headers(now, CHANNEL_MESSAGES_BUCKET)


def too_many_requests_headers(retry_after: float, *, is_global: bool) -> dict[str, str]:
    """discord.py treats a 429 without a Via header as a Cloudflare ban and gives up."""
    headers = {
        "Retry-After": str(math.ceil(retry_after)),
        "Via": "1.1 google",
        "X-RateLimit-Scope": "global" if is_global else "user",
    }
    if is_global:
        headers["X-RateLimit-Global"] = "true"
    return headers
