"""`python -m bot.content check [DIR]`: validate the content and print the bank's balance."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.content.rules import check_all
from bot.content.store import load_parts


def check(root: Path) -> int:
    blueprint, questions, plan, resources, origin, problems = load_parts(root)
    warnings = []
    if blueprint is not None and plan is not None and resources is not None:
        report = check_all(blueprint, questions, plan, resources, origin)
        print("\n".join(report.lines))
        problems += report.errors
        warnings = report.warnings
    for w in sorted(warnings):
        print(f"note (bank below its minimum, not yet enforced): {w}")
    if problems:
        print(f"\n{len(problems)} problem(s):")
        for p in sorted(problems):
            print(f"  {p}")
        return 1
    print("\ncontent OK")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.content")
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("check", help="validate the content and print its balance")
    c.add_argument("dir", nargs="?", default="content", type=Path)
    args = parser.parse_args(argv)
    return check(args.dir)


if __name__ == "__main__":
    sys.exit(main())
