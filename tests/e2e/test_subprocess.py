"""`python -m bot` started as a user would (environment only), answering a slash command."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from tests.conftest import ROOT
from tests.e2e.conftest import World
from tests.emulator import DiscordEmulator


async def test_the_real_entry_point_answers_a_slash_command(
    emulator: DiscordEmulator, world: World, tmp_path: Path
) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DEV_GUILD_ID"}},
        "DISCORD_TOKEN": emulator.token,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
        "CONTENT_DIR": str(ROOT / "content"),
        "STUDYBOT_TEST_API": emulator.base_url,
        "STUDYBOT_TEST_GATEWAY": emulator.gateway_url,
        "PYTHONPATH": str(ROOT),
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "tests" / "launcher.py"),
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await emulator.wait_ready(timeout=30)
        result = await emulator.slash(world.alice, world.channel, "studybot about")
        assert result.embeds[0]["title"] == "PMLE study bot"
        assert (tmp_path / "bot.db").exists()  # created and migrated on first start
    finally:
        proc.send_signal(signal.SIGINT)
        _, stderr = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0, stderr.decode()
    log = stderr.decode()
    assert "synced" in log
    assert emulator.token not in log  # the token is never logged
    emulator.assert_clean()
