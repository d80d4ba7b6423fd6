"""Run every benchmark and print its figures: `make bench` or `python -m bench`.

`python -m bench --quick` runs them at a tenth of the size (for a smoke run).
"""

from __future__ import annotations

import argparse
import asyncio

from bench import fanout, handlers, leaderboard, plan_due, practice


async def main(quick: bool) -> None:
    scale = 10 if quick else 1
    await practice.main(1_000_000 // scale)
    await leaderboard.main(1_000_000 // scale)
    await handlers.main(1_000_000 // scale)
    await plan_due.main(100_000 // scale)
    await fanout.main(2_500 // scale)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true")
    asyncio.run(main(parser.parse_args().quick))
