"""Every extension in cogs/ loads, and command names are unique."""

from __future__ import annotations

from collections import Counter

from discord import app_commands

from bot.app import create_bot, discover_extensions
from bot.config import Settings
from bot.content import ContentStore
from bot.db import Database


def walk(cmds: list[app_commands.Command | app_commands.Group]) -> list[str]:  # type: ignore[type-arg]
    names: list[str] = []
    for cmd in cmds:
        if isinstance(cmd, app_commands.Group):
            names += walk(list(cmd.commands))
        else:
            names.append(cmd.qualified_name)
    return names


async def test_all_extensions_load_with_unique_commands(
    sqlite_db: Database, content: ContentStore
) -> None:
    settings = Settings(discord_token="t")  # type: ignore[arg-type]
    bot = create_bot(settings, sqlite_db, content)
    extensions = discover_extensions()
    assert "cogs.studybot" in extensions
    for ext in extensions:
        await bot.load_extension(ext)
    top = [c.name for c in bot.tree.get_commands()]
    assert len(top) == len(set(top))
    names = walk(list(bot.tree.get_commands()))  # type: ignore[arg-type]
    duplicates = [n for n, k in Counter(names).items() if k > 1]
    assert not duplicates
    assert "studybot about" in names
    # every payload is within Discord's limits for names and descriptions
    for cmd in bot.tree.get_commands():
        payload = cmd.to_dict(bot.tree)
        assert 1 <= len(payload["description"]) <= 100
    bot.scheduler.register(bot.cogs.values())  # what setup_hook does after loading
    assert bot.scheduler.job_ids() == [
        "backup",
        "daily",
        "daily-counters",
        "exam-timeouts",
        "groupquiz",
        "guild-cleanup",
        "leases",
        "mockexam",
        "plan",
        "review-params",
        "weekly-summary",
    ]
    for ext in extensions:
        await bot.unload_extension(ext)
    assert bot.tree.get_commands() == []  # unloading takes every command away again
    assert bot.cogs == {}
