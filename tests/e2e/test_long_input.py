"""Every string option of every command, given 6,000 characters: each is answered, and
every reply stays within Discord's limits (the emulator refuses anything over them)."""

from __future__ import annotations

from typing import Any

from discord import app_commands

from bot.app import StudyBot
from tests.e2e.conftest import World
from tests.emulator import DiscordEmulator

LONG = "Europe/" + "x" * 5993  # 6,000 characters, starting like something plausible
STRING, INTEGER, BOOLEAN, CHANNEL, ROLE, NUMBER = 3, 4, 5, 7, 8, 10


def leaves(tree: app_commands.CommandTree[Any]) -> list[app_commands.Command[Any, Any, Any]]:
    found: list[app_commands.Command[Any, Any, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, app_commands.Group):
            for sub in node.commands:
                walk(sub)
        elif isinstance(node, app_commands.Command):
            found.append(node)

    for command in tree.get_commands():
        walk(command)
    return found


def options_for(
    command: app_commands.Command[Any, Any, Any], tree: Any, world: World
) -> list[dict[str, Any]]:
    """One set of options per free-text option of the command: that one 6,000 characters
    long, every other required option a valid value."""
    params = command.to_dict(tree)["options"]
    texts = [p for p in params if p["type"] == STRING and not p.get("choices")]
    base: dict[str, Any] = {}
    for p in params:
        if not p.get("required"):
            continue
        if p["type"] == CHANNEL:
            base[p["name"]] = world.channel
        elif p["type"] in (INTEGER, NUMBER):
            base[p["name"]] = p.get("min_value", 1)
        elif p["type"] == BOOLEAN:
            base[p["name"]] = True
        elif p["type"] == STRING and p.get("choices"):
            base[p["name"]] = p["choices"][0]["value"]
        elif p["type"] == STRING:
            base[p["name"]] = "09:00" if p["name"] == "time" else "UTC"
    return [{**base, p["name"]: LONG} for p in texts]


async def test_six_thousand_characters_in_every_string_option(
    emulator: DiscordEmulator, world: World, bot: StudyBot
) -> None:
    tried = []
    for command in leaves(bot.tree):
        for options in options_for(command, bot.tree, world):
            name = command.qualified_name
            result = await emulator.slash(world.admin, world.channel, name, options)
            replies = [result, *result.followups]
            texts = [getattr(r, "content", "") or "" for r in replies]
            assert any(texts) or any(getattr(r, "embeds", None) for r in replies), name
            assert all(len(t) <= 2000 for t in texts), name
            assert all("x" * 100 not in t for t in texts), f"/{name} echoed the whole input"
            tried.append(name)
    # the commands that take free text: the test would be empty without them
    assert {"daily setup", "plan start", "quiz", "leaderboard", "resources"} <= set(tried)
    emulator.assert_clean()
