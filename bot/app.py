"""The Bot: explicit wiring of settings, database, content and scheduler."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import pkgutil
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import discord
from discord import app_commands
from discord.ext import commands

from bot import __version__, logs
from bot.components import answer_error, send_ephemeral
from bot.config import Settings
from bot.content import ContentStore
from bot.db import Database
from bot.leases import Leases
from bot.limiter import Limiter
from bot.metrics import InFlight, Metrics, MetricsServer
from bot.outbox import Outbox
from bot.practice_ui import COMPONENTS as PRACTICE_COMPONENTS
from bot.scheduler import Scheduler, utcnow
from bot.services import meta
from bot.services.errors import ServiceError
from bot.watchdog import LoopWatchdog

log = logging.getLogger(__name__)

RESTARTING = "The bot is restarting; try again in a minute."
T = TypeVar("T")
COGS_DIR = Path(__file__).resolve().parent.parent / "cogs"


def discover_extensions(package: str = "cogs", path: Path = COGS_DIR) -> list[str]:
    """Every module or package in cogs/, skipping `_private` ones."""
    return sorted(
        f"{package}.{m.name}"
        for m in pkgutil.iter_modules([str(path)])
        if not m.name.startswith("_")
    )


class StudyTree(app_commands.CommandTree[Any]):
    """Answers every app-command error in one place (components share the same reply)."""

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        bot: StudyBotMixin = self.client
        command = interaction.command.qualified_name if interaction.command else "?"
        logs.bind(guild=interaction.guild_id, user=interaction.user.id, command=command)
        if interaction.type is not discord.InteractionType.application_command:
            return True  # autocomplete: nothing to track
        if bot.stopping:
            await send_ephemeral(interaction, RESTARTING)
            return False
        bot.interaction_started(interaction, "command", command)
        # a member who uses a command may get DMs again (see Outbox.dm)
        await bot.outbox.reopen_dms(interaction.user.id)
        return True

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        original = getattr(error, "original", error)
        cause = error.__cause__
        if isinstance(error, app_commands.TransformerError) and isinstance(cause, ServiceError):
            original = cause  # a domain or other option we refused, with its reason
        bot: StudyBotMixin = self.client
        if isinstance(original, ServiceError):
            bot.interaction_finished(interaction, "refused")
            await send_ephemeral(interaction, str(original))
            return
        message = None
        if isinstance(error, app_commands.MissingPermissions):
            message = "You need the Manage Server permission for this command."
        elif isinstance(error, app_commands.CheckFailure):
            message = str(error) or "You cannot use this command here."
        elif isinstance(error, app_commands.CommandOnCooldown):
            message = f"Slow down: try again in {error.retry_after:.0f} s."
        elif isinstance(error, app_commands.TransformerError):
            message = "That value is not valid for this option."
        if message is not None:
            bot.interaction_finished(interaction, "refused")
            await send_ephemeral(interaction, message)
            return
        command = interaction.command.qualified_name if interaction.command else "?"
        outcome = await answer_error(interaction, original, f"command /{command}")
        bot.interaction_finished(interaction, outcome)


class StudyBotMixin:
    """What every variant of the bot shares (plain and sharded)."""

    settings: Settings
    db: Database
    content: ContentStore
    scheduler: Scheduler
    clock: Callable[[], datetime]

    def __init__(
        self,
        settings: Settings,
        db: Database,
        content: ContentStore,
        scheduler: Scheduler,
        clock: Callable[[], datetime] = utcnow,
        **kwargs: Any,
    ) -> None:
        if isinstance(self, commands.AutoShardedBot):
            kwargs.update(shard_count=settings.shard_count, shard_ids=settings.shard_ids)
        super().__init__(  # type: ignore[call-arg]
            command_prefix=commands.when_mentioned,
            intents=intents(),
            tree_cls=StudyTree,
            help_command=None,
            owner_ids=set(settings.owner_ids) or None,
            **kwargs,
        )
        self.settings = settings
        self.db = db
        self.content = content
        self.scheduler = scheduler
        self.clock = clock
        self.started_at = clock()
        self.watchdog = LoopWatchdog()
        self.limiter = Limiter()
        self.leases = Leases(db)  # the delivery claims being sent, renewed by the leases job
        self.outbox = Outbox(self, db, self.limiter, clock, self.leases)  # type: ignore[arg-type]
        self.version = __version__
        self.metrics = Metrics()
        self.metrics.watch(self)
        self.scheduler.observe = self._job_ran
        self.in_flight = InFlight()
        self.stopping = False
        port = settings.metrics_port
        self.metrics_server = (
            MetricsServer(self, settings.metrics_host, port) if port is not None else None
        )

    def now(self) -> datetime:
        return self.clock()

    def shard_of(self, guild_id: int) -> int:
        """The shard Discord routes a guild to: (guild_id >> 22) % shard_count."""
        count = self.settings.shard_count or 1
        return (guild_id >> 22) % count

    def owns_guild(self, guild_id: int) -> bool:
        """Whether this process delivers a guild's scheduled work (it holds its shard)."""
        if not self.settings.shard_count:
            return True
        ids = self.settings.shard_ids
        return ids is None or self.shard_of(guild_id) in ids

    async def setup_hook(self) -> None:
        bot: Any = self
        bot.add_dynamic_items(*PRACTICE_COMPONENTS)
        for ext in discover_extensions():
            await bot.load_extension(ext)
        self.scheduler.register(bot.cogs.values())
        await self.outbox.load()
        await self.sync_commands()
        if self.metrics_server is not None:
            await self.metrics_server.start()
        self.scheduler.start()
        self.watchdog.start()

    # -- interactions in flight, and a clean stop ---------------------------------------------
    def interaction_started(self, interaction: discord.Interaction, kind: str, name: str) -> None:
        self.in_flight.begin(interaction.id, kind, name)

    def interaction_finished(self, interaction: discord.Interaction, outcome: str) -> None:
        found = self.in_flight.end(interaction.id)
        if found is not None:
            kind, name, seconds = found
            self.metrics.interaction(kind, name, outcome, seconds)

    async def on_app_command_completion(
        self, interaction: discord.Interaction, _command: object
    ) -> None:
        self.interaction_finished(interaction, "ok")

    def until_stopping(self, items: Iterable[T]) -> Iterator[T]:
        """`items`, one at a time, until a stop begins: a job stops between two sends, so
        what it has not claimed yet goes out after the next start."""
        for item in items:
            if self.stopping:
                return
            yield item

    @asynccontextmanager
    async def boundary(self, job: str, **ids: Any) -> AsyncIterator[None]:
        """One guild's or member's part of a job: an error here is logged with the ids and
        counted, and the job goes on with the others."""
        with logs.context(**ids):
            try:
                yield
            except Exception:
                self.metrics.job_errors.labels(job).inc()
                log.exception("%s failed here; the job goes on with the others", job)

    def _job_ran(self, job_id: str, seconds: float, failed: bool) -> None:
        self.metrics.job_seconds.labels(job_id).observe(seconds)
        if failed:
            self.metrics.job_errors.labels(job_id).inc()

    async def shutdown(self, grace: float = 10.0) -> None:
        """Stop cleanly: no new jobs or interactions, let those in flight finish (at most
        `grace` seconds in all), then close the gateway and the database."""
        self.stopping = True
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace
        if not await self.scheduler.drain(grace):
            log.warning("stopped a job that was still running after %.0f s", grace)
        left = max(0.0, deadline - loop.time())
        if not await self.in_flight.wait_idle(left):
            log.warning("%d interactions still running at shutdown", len(self.in_flight))
        await self.close()

    async def close(self) -> None:
        self.stopping = True
        self.scheduler.shutdown()
        await self.watchdog.stop()
        if self.metrics_server is not None:
            await self.metrics_server.stop()
        await super().close()  # type: ignore[misc]
        await self.db.close()

    # -- command sync ------------------------------------------------------------------------
    def _sync_scope(self) -> discord.Object | None:
        gid = self.settings.dev_guild_id
        return discord.Object(id=gid) if gid else None

    @property
    def study_tree(self) -> StudyTree:
        tree: StudyTree = self.tree  # type: ignore[attr-defined]
        return tree

    def command_payload(self) -> list[dict[str, Any]]:
        guild = self._sync_scope()
        if guild is not None:
            self.study_tree.copy_global_to(guild=guild)
        cmds = self.study_tree.get_commands(guild=guild)
        return sorted((c.to_dict(self.study_tree) for c in cmds), key=lambda c: str(c["name"]))

    async def sync_commands(self, force: bool = False) -> bool:
        """Sync the tree when its payload changed since the last sync (or when forced)."""
        guild = self._sync_scope()
        payload = json.dumps(self.command_payload(), sort_keys=True, default=str)
        digest = hashlib.sha256(payload.encode()).hexdigest()
        key = f"command_hash:{guild.id if guild else 'global'}"
        previous = await self.db.read(meta.get, key)
        if not force and previous == digest:
            log.info("command tree unchanged; not syncing")
            return False
        synced = await self.study_tree.sync(guild=guild)
        await self.db.write(meta.put, key, digest)
        log.info(
            "synced %d commands %s", len(synced), f"to guild {guild.id}" if guild else "globally"
        )
        return True

    def command_count(self) -> int:
        return len(self.study_tree.get_commands(guild=self._sync_scope()))

    async def on_ready(self) -> None:
        bot: Any = self
        counts = ", ".join(f"{d} {n}" for d, n in self.content.counts().items())
        log.info(
            "ready as %s: %d guilds, %d commands, questions: %s",
            bot.user,
            len(bot.guilds),
            self.command_count(),
            counts,
        )


class StudyBot(StudyBotMixin, commands.Bot):
    """One process holding every guild (the default)."""


class ShardedStudyBot(StudyBotMixin, commands.AutoShardedBot):
    """One of several processes, each holding SHARD_IDS of SHARD_COUNT shards."""


# The bot has no voice features; don't warn that voice libraries are missing.
discord.VoiceClient.warn_nacl = False
discord.VoiceClient.warn_dave = False


def intents() -> discord.Intents:
    return discord.Intents(guilds=True)


def create_bot(
    settings: Settings,
    db: Database,
    content: ContentStore,
    clock: Callable[[], datetime] = utcnow,
    first_run_after: float | None = None,
    **kwargs: Any,
) -> StudyBot | ShardedStudyBot:
    scheduler = Scheduler(clock) if first_run_after is None else Scheduler(clock, first_run_after)
    cls = ShardedStudyBot if settings.shard_count else StudyBot
    return cls(settings, db, content, scheduler, clock, **kwargs)
