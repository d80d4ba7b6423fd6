"""`studybot run` (`python -m bot`): settings → database → migrations → content → the bot.

Every start-up failure a user can fix prints one clear line and exits 2. SIGTERM and
SIGINT stop the bot cleanly (see `StudyBotMixin.shutdown`) and exit 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
import sys

import aiohttp
import discord
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from bot.app import create_bot
from bot.config import Settings, describe_error
from bot.content import ContentError, load_content
from bot.db import Database
from bot.logs import setup_logging
from bot.migrate import upgrade

log = logging.getLogger("bot")
SHUTDOWN_GRACE = 10.0  # seconds for the jobs and interactions in flight at a stop


class StartupError(Exception):
    """A problem the user must fix before the bot can start."""


def fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


async def prepare(settings: Settings) -> tuple[Database, object]:
    try:
        db = Database.from_url(settings.database_url)
        await db.ping()
    except (OSError, SQLAlchemyError, ValueError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise StartupError(f"cannot reach the database at DATABASE_URL ({reason})") from None
    try:
        await upgrade(db.engine)
        content = load_content(settings.content_dir)
    except ContentError as exc:
        await db.close()
        lines = "\n  ".join(str(p) for p in exc.problems[:50])
        more = f"\n  … and {len(exc.problems) - 50} more" if len(exc.problems) > 50 else ""
        raise StartupError(
            f"the content in {settings.content_dir} is invalid "
            f"(run `python -m bot.content check {settings.content_dir}`):\n  {lines}{more}"
        ) from None
    except BaseException:
        await db.close()
        raise
    return db, content


async def run(settings: Settings) -> int:
    try:
        db, content = await prepare(settings)
    except StartupError as exc:
        return fail(str(exc))
    bot = create_bot(settings, db, content)  # type: ignore[arg-type]
    # The content store and the loaded modules live as long as the process: keep them out
    # of the garbage collector's scans, which otherwise add pauses to every handler.
    gc.freeze()
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        async with bot:
            running = asyncio.create_task(bot.start(settings.discord_token.get_secret_value()))
            asked = asyncio.create_task(stop.wait())
            await asyncio.wait({running, asked}, return_when=asyncio.FIRST_COMPLETED)
            if not running.done():
                log.info("stopping: letting the work in flight finish")
                await bot.shutdown(grace=SHUTDOWN_GRACE)
                with contextlib.suppress(asyncio.CancelledError):
                    await running
                log.info("stopped")
            asked.cancel()
            running.result()  # start-up failures surface here
    except discord.LoginFailure:
        return fail(
            "Discord rejected DISCORD_TOKEN: copy the bot token again from the "
            "Developer Portal into .env"
        )
    except (aiohttp.ClientConnectionError, OSError) as exc:
        return fail(f"cannot reach Discord ({exc}); check the network and try again")
    except discord.PrivilegedIntentsRequired:
        return fail("the bot asked for an intent that is not enabled in the Developer Portal")
    return 0


def main() -> int:
    try:
        settings = Settings()  # type: ignore[call-arg]  # from the environment
    except ValidationError as exc:
        return fail(describe_error(exc))
    token = settings.discord_token.get_secret_value()
    setup_logging(settings.log_level, secrets=[token], fmt=settings.log_format)
    return asyncio.run(run(settings))
