"""Start `python -m bot` exactly as a user would, but pointed at the Discord emulator.

The emulator's two addresses come from the environment (STUDYBOT_TEST_API and
STUDYBOT_TEST_GATEWAY); everything else is the product's own start-up, unchanged.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.__main__ import main

if TYPE_CHECKING:
    from tests.emulator import DiscordEmulator

LAUNCHER = Path(__file__).resolve()
ROOT = LAUNCHER.parent.parent


def environment(emulator: DiscordEmulator, database_url: str, **settings: str) -> dict[str, str]:
    """The environment of a bot process started with LAUNCHER against `emulator`: this
    process's own, with the bot's settings (and `settings`) and the emulator's addresses."""
    inherited = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DEV_GUILD_ID"}}
    return {
        **inherited,
        "DISCORD_TOKEN": emulator.token,
        "DATABASE_URL": database_url,
        "CONTENT_DIR": str(ROOT / "content"),
        "STUDYBOT_TEST_API": emulator.base_url,
        "STUDYBOT_TEST_GATEWAY": emulator.gateway_url,
        "PYTHONPATH": str(ROOT),
        **settings,
    }


if __name__ == "__main__":
    Route.BASE = os.environ["STUDYBOT_TEST_API"]
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(os.environ["STUDYBOT_TEST_GATEWAY"])
    sys.exit(main())
