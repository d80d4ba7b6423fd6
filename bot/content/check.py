"""The content check (`make check-content`, `studybot check`, `python -m bot.content check`).

Exit status 1 on any problem. Balance breaches are notes, not problems, while the bank is
below the blueprint's `bank_minimum`.
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from bot.content.names import load_table
from bot.content.rules import check_all
from bot.content.store import Problem, load_parts


def check(root: Path, today: date | None = None) -> int:
    blueprint, questions, plan, resources, origin, problems = load_parts(root)
    warnings: list[Problem] = []
    names_path = root / "names.yaml"
    names = load_table(names_path, f"{root.name}/names.yaml", problems)
    if blueprint is not None and plan is not None and resources is not None:
        report = check_all(blueprint, questions, plan, resources, origin, names, today)
        print("\n".join(report.lines))
        problems += report.errors
        warnings = report.warnings
    if warnings:
        print(f"\n{len(warnings)} note(s) (bank below its minimum, not yet enforced):")
        for w in sorted(warnings):
            print(f"  {w}")
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
    c = sub.add_parser("check", help="validate the content and print its figures")
    c.add_argument("dir", nargs="?", default="content", type=Path)
    c.add_argument("--today", type=date.fromisoformat, help="YYYY-MM-DD (default: today)")
    args = parser.parse_args(argv)
    return check(args.dir, args.today)
