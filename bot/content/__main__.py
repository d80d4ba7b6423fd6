"""`python -m bot.content check [DIR]`: the content check (see bot/content/check.py)."""

from __future__ import annotations

import sys

from bot.content.check import main

if __name__ == "__main__":
    sys.exit(main())
