"""Start `python -m bot` exactly as a user would, but pointed at the Discord emulator.

The emulator's two addresses come from the environment (STUDYBOT_TEST_API and
STUDYBOT_TEST_GATEWAY); everything else is the product's own start-up, unchanged.
"""

from __future__ import annotations

import os
import sys

import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.__main__ import main

if __name__ == "__main__":
    Route.BASE = os.environ["STUDYBOT_TEST_API"]
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(os.environ["STUDYBOT_TEST_GATEWAY"])
    sys.exit(main())
