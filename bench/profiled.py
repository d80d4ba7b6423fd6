"""Run a script under cProfile counting CPU time, for the event loop and the SQLite writer.

    python bench/profiled.py OUT_DIR script.py [args…]

writes OUT_DIR/loop.prof (the main thread, which runs the event loop) and
OUT_DIR/writer.prof (the database's writer thread). Each counts the thread's own CPU time
(`time.thread_time`), so time spent waiting for the GIL or for I/O is not charged to
whatever function happened to be running. `python -m bench.burst --profile DIR` starts
the bot this way; read the files with `python -m pstats`.
"""

from __future__ import annotations

import cProfile
import runpy
import sys
import time
from pathlib import Path
from typing import Any

from bot import db


def profile_writer(out: Path) -> None:
    run = db._Writer._run

    def profiled(self: Any) -> None:
        profile = cProfile.Profile(time.thread_time)
        profile.enable()
        try:
            run(self)
        finally:
            profile.disable()
            profile.dump_stats(out / "writer.prof")

    db._Writer._run = profiled  # type: ignore[method-assign]


def main() -> None:
    out, script = Path(sys.argv[1]), sys.argv[2]
    out.mkdir(parents=True, exist_ok=True)
    sys.argv = sys.argv[2:]
    profile_writer(out)
    profile = cProfile.Profile(time.thread_time)
    profile.enable()
    try:
        runpy.run_path(script, run_name="__main__")
    except SystemExit:
        pass
    finally:
        profile.disable()
        profile.dump_stats(out / "loop.prof")


if __name__ == "__main__":
    main()
