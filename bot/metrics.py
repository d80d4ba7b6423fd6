"""Health and metrics for whoever hosts the bot: `GET /healthz` and `GET /metrics`.

Served by aiohttp inside the bot when METRICS_PORT is set (on METRICS_HOST, 127.0.0.1 by
default). `/metrics` is Prometheus' text format (prometheus-client, one registry per bot);
`/healthz` answers 200 when the gateway is connected, the database answers and a scheduled
job ran within HEALTHY_TICK, else 503 with the reasons.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

if TYPE_CHECKING:
    from bot.app import StudyBotMixin

log = logging.getLogger(__name__)

HEALTHY_TICK = 180.0  # seconds: the scheduler runs a job at least every minute
PING_TIMEOUT = 2.0
FAST = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
SLOW = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class Metrics:
    """Every figure the bot exports. Counters move as things happen; the gauges that
    describe the present (gateway latency, guilds, loop stalls) are read at scrape time."""

    def __init__(self) -> None:
        r = self.registry = CollectorRegistry()
        self.interactions = Counter(
            "studybot_interactions",
            "Interactions handled, by kind (command, component), name and outcome",
            ["kind", "name", "outcome"],
            registry=r,
        )
        self.interaction_seconds = Histogram(
            "studybot_interaction_seconds",
            "Time from an interaction's arrival to the end of its handling",
            ["kind"],
            buckets=FAST,
            registry=r,
        )
        self.sends = Counter(
            "studybot_scheduled_sends",
            "Scheduled sends (drops, reveals, summaries, kickoffs, reports…) by kind and outcome",
            ["kind", "outcome"],
            registry=r,
        )
        self.job_seconds = Histogram(
            "studybot_job_seconds",
            "How long a scheduled job's run took",
            ["job"],
            buckets=SLOW,
            registry=r,
        )
        self.job_errors = Counter(
            "studybot_job_errors",
            "Errors caught inside scheduled jobs (a guild or member skipped, or a whole run)",
            ["job"],
            registry=r,
        )
        self.db_write_seconds = Histogram(
            "studybot_db_write_seconds",
            "Time from asking for a write to its commit",
            buckets=FAST,
            registry=r,
        )
        self.limiter_wait_seconds = Histogram(
            "studybot_limiter_wait_seconds",
            "Time a scheduled send waited for the app-wide limiter",
            buckets=SLOW,
            registry=r,
        )
        self.loop_stalls = Gauge(
            "studybot_event_loop_stalls",
            "Event-loop stalls over 100 ms since start",
            registry=r,
        )
        self.gateway_latency = Gauge(
            "studybot_gateway_latency_seconds",
            "Heartbeat latency to Discord's gateway",
            registry=r,
        )
        self.guilds = Gauge("studybot_guilds", "Guilds the bot is in", registry=r)

    def watch(self, bot: StudyBotMixin) -> None:
        """Read the present-tense gauges from the bot when scraped."""
        client: Any = bot
        self.loop_stalls.set_function(lambda: bot.watchdog.stalls)
        self.gateway_latency.set_function(lambda: _finite(client.latency))
        self.guilds.set_function(lambda: len(client.guilds))
        bot.db.observe_write = self.db_write_seconds.observe
        bot.limiter.observe_wait = self.limiter_wait_seconds.observe

    def interaction(self, kind: str, name: str, outcome: str, seconds: float) -> None:
        self.interactions.labels(kind, name, outcome).inc()
        self.interaction_seconds.labels(kind).observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)


def _finite(value: float) -> float:
    return value if math.isfinite(value) else float("nan")


async def health(bot: StudyBotMixin) -> tuple[bool, dict[str, Any]]:
    """(healthy, the report): gateway, database and scheduler."""
    client: Any = bot
    reasons = []
    if client.is_closed() or not client.is_ready():
        reasons.append("gateway not connected")
    try:
        await asyncio.wait_for(bot.db.ping(), PING_TIMEOUT)
    except Exception as error:  # any failure to answer is the report
        reasons.append(f"database not answering ({type(error).__name__})")
    since = bot.scheduler.seconds_since_last_run()
    if since > HEALTHY_TICK:
        reasons.append(f"no scheduled job ran for {since:.0f} s")
    report: dict[str, Any] = {
        "status": "failing" if reasons else "ok",
        "guilds": len(client.guilds),
        "gateway_latency_ms": round(_finite(client.latency) * 1000, 1)
        if math.isfinite(client.latency)
        else None,
        "last_job_seconds_ago": round(since, 1),
    }
    if reasons:
        report["reasons"] = reasons
    return not reasons, report


class MetricsServer:
    """The aiohttp app serving /healthz and /metrics."""

    def __init__(self, bot: StudyBotMixin, host: str, port: int) -> None:
        self.bot, self.host, self.port = bot, host, port
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/metrics", self._metrics)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        log.info("health and metrics on http://%s:%s/healthz and /metrics", self.host, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _healthz(self, _request: web.Request) -> web.Response:
        ok, report = await health(self.bot)
        return web.json_response(report, status=200 if ok else 503)

    async def _metrics(self, _request: web.Request) -> web.Response:
        body = self.bot.metrics.render()
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


class InFlight:
    """Interactions being handled now, with when each started (for metrics and a clean
    shutdown that lets them finish)."""

    def __init__(self, clock: Callable[[], float] = time.perf_counter) -> None:
        self._started: dict[int, tuple[str, str, float]] = {}
        self._clock = clock
        self._idle = asyncio.Event()
        self._idle.set()

    def begin(self, key: int, kind: str, name: str) -> None:
        self._started[key] = (kind, name, self._clock())
        self._idle.clear()

    def end(self, key: int) -> tuple[str, str, float] | None:
        """Forget `key`; (kind, name, seconds it took), or None if it was not tracked."""
        found = self._started.pop(key, None)
        if not self._started:
            self._idle.set()
        if found is None:
            return None
        kind, name, started = found
        return kind, name, self._clock() - started

    def __len__(self) -> int:
        return len(self._started)

    async def wait_idle(self, seconds: float) -> bool:
        """Wait until nothing is in flight (True), or `seconds` (False)."""
        try:
            await asyncio.wait_for(self._idle.wait(), seconds)
        except TimeoutError:
            return False
        return True
