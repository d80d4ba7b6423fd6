"""Run every benchmark and print its figures: `make bench` or `python -m bench`.

`python -m bench --quick` runs them at a tenth of the size (for a smoke run).
"""

from __future__ import annotations

import argparse
import asyncio

from bench import (
    burst,
    calendar,
    fanout,
    forecast,
    groupquiz,
    handlers,
    leaderboard,
    plan_due,
    practice,
)
from bench.common import seeded


async def main(quick: bool) -> None:
    scale = 10 if quick else 1
    answers = 1_000_000 // scale
    path = await seeded(answers)  # one seeded database for the three that read answers
    await leaderboard.main(answers, path)
    await handlers.main(answers, path)
    await practice.main(answers, path)
    await calendar.main(answers, path)
    await plan_due.main(100_000 // scale)
    await forecast.main(100_000 // scale)
    await fanout.main(2_500 // scale)
    await groupquiz.main(200 // scale, 20 if scale == 1 else 5)
    await burst.main(burst.Load(members=200 // scale))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true")
    asyncio.run(main(parser.parse_args().quick))
