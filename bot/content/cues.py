"""Answer cues: how far a candidate who knows nothing gets on surface features alone.

A test-wise candidate drops every option that carries an absolute word ("only", "always",
"never" …) or a self-justifying clause ("because", "so that", "since"), then picks the
shortest option left. If the bank's keys and distractors differ in those features, that
strategy beats chance and a member's score measures test-taking, not knowledge.

`measure(questions)` returns the figures the content check holds the bank to: how often the
key is the shortest or the longest option, how often absolute words and justification
clauses appear in keys and in distractors, and the blind strategy's score against chance.
`breaches(figures, checks)` says which of them are over the blueprint's limits; the check
applies it to the whole bank and to each domain.

`python -m bot.content.cues FILE…` prints the figures of some question files, whole and per
domain, against the limits in content/blueprint.yaml (or `--blueprint PATH`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.content.models import Checks, Question

ABSOLUTE = re.compile(
    r"\b(only|always|never|every|guarantee[sd]?|entirely|automatically|completely)\b", re.I
)
JUSTIFY = re.compile(r"\b(because|so that|since)\b", re.I)


def absolute(text: str) -> bool:
    return ABSOLUTE.search(text) is not None


def justified(text: str) -> bool:
    return JUSTIFY.search(text) is not None


def cued(text: str) -> bool:
    """Whether a test-wise candidate would drop this option on sight."""
    return absolute(text) or justified(text)


def blind_pick(question: Question) -> str:
    """The letters the blind strategy picks: drop the cued options, then the shortest.

    When fewer options survive than must be picked, the shortest dropped ones fill in.
    """
    letters = question.letters
    ranked = sorted(
        range(len(question.options)),
        key=lambda i: (cued(question.options[i]), len(question.options[i]), i),
    )
    return "".join(sorted(letters[i] for i in ranked[: question.choose]))


def chance(question: Question) -> float:
    """The probability of a right answer by guessing uniformly."""
    return 1 / math.comb(len(question.options), question.choose)


@dataclass(frozen=True)
class CueFigures:
    """Percentages over a set of questions (single-select ones for the length figures)."""

    singles: int
    key_shortest: float  # % of single-select questions whose key is the shortest option
    key_longest: float  # % of single-select questions whose key is the longest option
    absolute_keys: float  # % of keys with an absolute word
    absolute_distractors: float  # % of distractors with one
    justified_keys: float
    justified_distractors: float
    blind_single: float  # % of single-select questions the blind strategy gets right
    chance_single: float
    multiples: int
    blind_multiple: float  # % of "choose two/three" questions it gets right
    chance_multiple: float


def _pct(part: float, whole: int) -> float:
    return 100.0 * part / whole if whole else 0.0


def _strictly(question: Question, pick: str) -> bool:
    """Whether the key is strictly the shortest (pick=min) or longest (pick=max) option."""
    lengths = [len(o) for o in question.options]
    key = lengths[question.letters.index(question.answer[0])]
    others = [n for i, n in enumerate(lengths) if question.letters[i] != question.answer[0]]
    return key < min(others) if pick == "min" else key > max(others)


def measure(questions: Iterable[Question]) -> CueFigures:
    qs = list(questions)
    singles = [q for q in qs if not q.multiple]
    multiples = [q for q in qs if q.multiple]
    keys: list[str] = []
    distractors: list[str] = []
    for q in qs:
        for letter, text in zip(q.letters, q.options, strict=True):
            (keys if letter in q.answer else distractors).append(text)
    return CueFigures(
        singles=len(singles),
        key_shortest=_pct(sum(_strictly(q, "min") for q in singles), len(singles)),
        key_longest=_pct(sum(_strictly(q, "max") for q in singles), len(singles)),
        absolute_keys=_pct(sum(map(absolute, keys)), len(keys)),
        absolute_distractors=_pct(sum(map(absolute, distractors)), len(distractors)),
        justified_keys=_pct(sum(map(justified, keys)), len(keys)),
        justified_distractors=_pct(sum(map(justified, distractors)), len(distractors)),
        blind_single=_pct(sum(blind_pick(q) == q.key for q in singles), len(singles)),
        chance_single=_pct(sum(map(chance, singles)), len(singles)),
        multiples=len(multiples),
        blind_multiple=_pct(sum(blind_pick(q) == q.key for q in multiples), len(multiples)),
        chance_multiple=_pct(sum(map(chance, multiples)), len(multiples)),
    )


def measure_by_domain(questions: Iterable[Question]) -> dict[str, CueFigures]:
    """The figures of each domain's questions, in order of first appearance."""
    groups: dict[str, list[Question]] = {}
    for q in questions:
        groups.setdefault(q.domain, []).append(q)
    return {domain: measure(qs) for domain, qs in groups.items()}


def breaches(f: CueFigures, checks: Checks) -> list[str]:
    """Each figure over its limit, as a sentence; empty when the figures are clean."""
    out = []
    if f.singles and f.key_shortest > checks.key_shortest_max_pct:
        out.append(
            f"the key is strictly the shortest option in {f.key_shortest:.0f}% of "
            f"{f.singles} single-select questions; at most {checks.key_shortest_max_pct:g}%"
        )
    if f.singles and f.key_longest > checks.key_longest_max_pct:
        out.append(
            f"the key is strictly the longest option in {f.key_longest:.0f}% of "
            f"{f.singles} single-select questions; at most {checks.key_longest_max_pct:g}%"
        )
    gap = checks.cue_word_gap_max_pp
    for what, keys, distractors in (
        ("absolute words", f.absolute_keys, f.absolute_distractors),
        ("justification clauses", f.justified_keys, f.justified_distractors),
    ):
        if distractors - keys > gap:
            out.append(
                f"{what} in {distractors:.0f}% of distractors but {keys:.0f}% of keys; "
                f"distractors at most {gap:g} points above keys"
            )
    near = checks.blind_vs_chance_max_pp
    for kind, n, blind, odds in (
        ("single-select", f.singles, f.blind_single, f.chance_single),
        ("multiple-select", f.multiples, f.blind_multiple, f.chance_multiple),
    ):
        if n and abs(blind - odds) > near:
            out.append(
                f"the blind strategy scores {blind:.0f}% on {n} {kind} questions against "
                f"{odds:.0f}% by chance; keep it within {near:g} points of chance"
            )
    return out


def describe(figures: CueFigures, checks: Checks | None = None) -> list[str]:
    """The figures as report lines, each next to its limit."""
    f, c = figures, checks or Checks()
    return [
        f"key strictly shortest: {f.key_shortest:.0f}% of {f.singles} single-select "
        f"(at most {c.key_shortest_max_pct:g}%); strictly longest: {f.key_longest:.0f}% "
        f"(at most {c.key_longest_max_pct:g}%)",
        f"absolute words: keys {f.absolute_keys:.0f}%, distractors "
        f"{f.absolute_distractors:.0f}%; justification clauses: keys {f.justified_keys:.0f}%, "
        f"distractors {f.justified_distractors:.0f}% "
        f"(distractors at most {c.cue_word_gap_max_pp:g} points above keys)",
        f"blind strategy: single-select {f.blind_single:.0f}% (chance {f.chance_single:.0f}%), "
        f"multiple-select {f.blind_multiple:.0f}% of {f.multiples} "
        f"(chance {f.chance_multiple:.0f}%) (within {c.blind_vs_chance_max_pp:g} points "
        f"of chance)",
    ]


def _checks(path: str | None) -> tuple[Checks, str]:
    from pathlib import Path

    import yaml

    from bot.content.models import Blueprint

    candidate = Path(path) if path else Path("content/blueprint.yaml")
    if not candidate.is_file():
        if path:
            raise SystemExit(f"no blueprint at {path}")
        return Checks(), "default limits"
    data = yaml.safe_load(candidate.read_text(encoding="utf-8"))
    return Blueprint.model_validate(data).checks, f"limits from {candidate}"


def main(argv: list[str] | None = None) -> int:
    """`python -m bot.content.cues [--blueprint PATH] FILE…`: the cue figures of some files."""
    import argparse
    from pathlib import Path

    import yaml

    parser = argparse.ArgumentParser(prog="python -m bot.content.cues")
    parser.add_argument("--blueprint", help="blueprint.yaml with the limits")
    parser.add_argument("files", nargs="+", help="question files (YAML)")
    args = parser.parse_args(argv)
    checks, source = _checks(args.blueprint)
    questions = []
    for path in args.files:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        questions += [Question.model_validate(raw) for raw in data.get("questions", [])]
    print(f"{len(questions)} questions ({source})")
    groups = {"all": measure(questions)}
    by_domain = measure_by_domain(questions)
    if len(by_domain) > 1:
        groups |= by_domain
    for name, figures in groups.items():
        print(f"\n[{name}]")
        print("\n".join(describe(figures, checks)))
        for breach in breaches(figures, checks):
            print(f"  BREACH: {breach}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
