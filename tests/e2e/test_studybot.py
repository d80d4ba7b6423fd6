"""/studybot about and help, end to end; and the start-up fixture's speed."""

from __future__ import annotations

from bot.content import ContentStore
from tests.e2e.conftest import Runner, World
from tests.emulator import DiscordEmulator


async def test_about(
    emulator: DiscordEmulator, world: World, bot: object, content: ContentStore
) -> None:
    result = await emulator.slash(world.alice, world.channel, "studybot about")
    assert result.ephemeral
    embed = result.embeds[0]
    assert embed["title"] == "PMLE study bot"
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    bank = fields[f"Question bank ({len(content.questions)})"]
    for domain in content.blueprint.domains:
        assert f"{domain.name}: **{len(content.by_domain[domain.id])}**" in bank
    assert fields["Version"]
    assert "s" in fields["Uptime"]
    emulator.assert_clean()


async def test_help_lists_every_command(
    emulator: DiscordEmulator, world: World, bot: object
) -> None:
    result = await emulator.slash(world.alice, world.channel, "studybot help")
    assert result.ephemeral
    text = result.embeds[0]["description"]
    for command in ("/quiz", "/exam", "/review", "/leaderboard", "/studybot about", "/daily setup"):
        assert f"`{command}`" in text, command
    emulator.assert_clean()


async def test_sync_is_owner_only(emulator: DiscordEmulator, world: World, bot: object) -> None:
    refused = await emulator.slash(world.alice, world.channel, "studybot sync")
    assert "Only the bot's owner" in refused.content
    emulator.assert_clean()


async def test_commands_sync_only_when_changed(
    emulator: DiscordEmulator, world: World, runner: Runner
) -> None:
    await runner.start()
    first = [r for r in emulator.requests if r.method == "PUT" and "/commands" in r.path]
    await runner.restart()
    second = [r for r in emulator.requests if r.method == "PUT" and "/commands" in r.path]
    assert len(first) == 1
    assert len(second) == 1  # unchanged tree: no second sync
    emulator.assert_clean()
