"""Bank-level balance: the figures that only mean something over the whole bank.

Each function measures one rule and returns a `Block`: the report lines (every figure next
to its limit) and the breaches. Balance breaches are errors once the bank has the
blueprint's `bank_minimum` questions and warnings below it (see rules.check_all).
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from dataclasses import dataclass, field

from bot.content.cues import CueFigures, breaches, measure, measure_by_domain
from bot.content.models import Blueprint, Question
from bot.content.store import Problem

BANK = "content/questions"
BREACH = "  BREACH"


@dataclass
class Block:
    """One rule's report: a title, its figure lines and the problems it found."""

    title: str
    lines: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def flag(self, bad: bool, problem: Problem) -> str:
        if bad:
            self.problems.append(problem)
        return BREACH if bad else ""


def _pct(n: float, total: int) -> float:
    return 100.0 * n / total if total else 0.0


def blueprints(bp: Blueprint, qs: list[Question]) -> Block:
    """Rule 1: both blueprints at once (official sections and study-guide domains)."""
    c = bp.checks
    total = len(qs)
    b = Block("1. Both blueprints")
    b.lines.append(f"{total} questions (bank minimum {bp.exam.bank_minimum})")
    head = f"{'n':>5}{'share':>8}{'weight':>8}"
    b.lines.append(
        f"{'official section (share ±' + f'{c.section_tolerance_pp:g} points of weight)':<58}"
        + head
    )
    per_section = Counter(q.section.split(".")[0] for q in qs)
    per_subsection = Counter(q.section for q in qs)
    for sec in bp.official_sections:
        n = per_section[sec.id]
        share = _pct(n, total)
        bad = abs(share - sec.weight) > c.section_tolerance_pp
        msg = (
            f"{share:.1f}% of the bank, weight {sec.weight}% "
            f"(allowed ±{c.section_tolerance_pp:g} points)"
        )
        mark = b.flag(bad, Problem(BANK, f"section {sec.id}", "section", msg))
        label = f"{sec.id} {sec.name}"[:56]
        b.lines.append(f"{label:<58}{n:>5}{share:>7.1f}%{sec.weight:>7}%{mark}")
        for sub in sec.subsections:
            k = per_subsection[sub.id]
            msg = f"{k} questions; every official subsection needs at least {c.subsection_minimum}"
            mark = b.flag(
                k < c.subsection_minimum,
                Problem(BANK, f"subsection {sub.id}", "section", msg),
            )
            label = f"  {sub.id} {sub.name}"[:56]
            b.lines.append(f"{label:<58}{k:>5}   (at least {c.subsection_minimum}){mark}")
        need = 2 * math.ceil(bp.exam.question_count * sec.weight / 100)
        if n < need:
            msg = f"{n} questions; a mock exam drawn to the official weights needs {need}"
            b.problems.append(Problem(BANK, f"section {sec.id}", "section", msg))
    b.lines.append(
        f"{'study-guide domain (share ±' + f'{c.domain_tolerance_pp:g} points of weight)':<58}"
        + head
    )
    per_domain = Counter(q.domain for q in qs)
    per_sub = Counter(f"{q.domain}.{q.subtopic}" for q in qs)
    for d in bp.domains:
        share = _pct(per_domain[d.id], total)
        msg = (
            f"{share:.1f}% of the bank, weight {d.weight}% "
            f"(allowed ±{c.domain_tolerance_pp:g} points)"
        )
        mark = b.flag(
            abs(share - d.weight) > c.domain_tolerance_pp, Problem(BANK, d.id, "domain", msg)
        )
        label = f"{d.id} {d.name}"[:56]
        b.lines.append(f"{label:<58}{per_domain[d.id]:>5}{share:>7.1f}%{d.weight:>7}%{mark}")
        for s in d.subtopics:
            k = per_sub[f"{d.id}.{s.id}"]
            msg = f"{k} questions; every subtopic needs at least {c.subtopic_minimum}"
            mark = b.flag(k < c.subtopic_minimum, Problem(BANK, f"{d.id}.{s.id}", "subtopic", msg))
            b.lines.append(f"  {s.id:<56}{k:>5}   (at least {c.subtopic_minimum}){mark}")
    return b


def _cue_row(label: str, f: CueFigures) -> str:
    cells = (
        f"{f.singles}",
        f"{f.key_shortest:.0f}%",
        f"{f.key_longest:.0f}%",
        f"{f.absolute_keys:.0f}/{f.absolute_distractors:.0f}%",
        f"{f.justified_keys:.0f}/{f.justified_distractors:.0f}%",
        f"{f.blind_single:.0f}/{f.chance_single:.0f}%",
        f"{f.multiples}",
        f"{f.blind_multiple:.0f}/{f.chance_multiple:.0f}%",
    )
    return f"{label:<14}" + "".join(f"{c:>{w}}" for c, w in zip(cells, _WIDTHS, strict=True))


_HEADS = ("1-sel", "short", "long", "abs k/d", "just k/d", "blind/odds", "n-sel", "blind/odds")
_WIDTHS = (6, 7, 6, 10, 10, 12, 7, 12)


def cues(bp: Blueprint, qs: list[Question]) -> Block:
    """Rule 2: no answer cues, on the whole bank and on each domain."""
    c = bp.checks
    b = Block("2. No answer cues (whole bank and each domain)")
    b.lines.append(
        f"limits: key strictly shortest ≤{c.key_shortest_max_pct:g}% and strictly longest "
        f"≤{c.key_longest_max_pct:g}% of single-select; absolute words and justification "
        f"clauses in distractors ≤{c.cue_word_gap_max_pp:g} points above keys; blind "
        f"strategy within ±{c.blind_vs_chance_max_pp:g} points of chance"
    )
    b.lines.append(
        "columns: single-select n; key strictly shortest, longest; absolute words and "
        "justification clauses in keys/distractors; blind strategy/chance (single-select); "
        "multiple-select n; blind strategy/chance (multiple-select)"
    )
    b.lines.append(f"{'':<14}" + "".join(f"{h:>{w}}" for h, w in zip(_HEADS, _WIDTHS, strict=True)))
    by_domain = measure_by_domain(qs)
    groups = [("whole bank", measure(qs))]
    groups += [(d.id, by_domain[d.id]) for d in bp.domains if d.id in by_domain]
    for label, figures in groups:
        found = breaches(figures, c)
        for text in found:
            b.problems.append(Problem(BANK, label, "cues", text))
        b.lines.append(_cue_row(label, figures) + (BREACH if found else ""))
    return b


def realism(bp: Blueprint, qs: list[Question]) -> Block:
    """Rule 3: realistic stems and mix (stem length, choose three, difficulty, keys)."""
    c = bp.checks
    total = len(qs)
    b = Block("3. Realistic stems and mix")
    median = statistics.median(len(q.stem.split()) for q in qs) if qs else 0
    msg = f"median stem is {median:g} words; at least {c.median_stem_words_min:g}"
    mark = b.flag(median < c.median_stem_words_min, Problem(BANK, "stems", "stem", msg))
    b.lines.append(
        f"median stem length: {median:g} words (at least {c.median_stem_words_min:g}){mark}"
    )
    multi = [q for q in qs if q.multiple]
    share = _pct(len(multi), total)
    lo, hi = c.multiple_select_min_pct, c.multiple_select_max_pct
    msg = f"{share:.0f}% multiple select; keep it between {lo:g}% and {hi:g}%"
    mark = b.flag(not lo <= share <= hi, Problem(BANK, "multiple", "choose", msg))
    b.lines.append(f"multiple select: {len(multi)} ({share:.0f}%) ({lo:g}% to {hi:g}%){mark}")
    three = sum(q.choose == 3 for q in multi)
    share3 = _pct(three, len(multi))
    msg = (
        f"{three} of {len(multi)} multiple-select questions ({share3:.0f}%) say 'Choose three'; "
        f"at least {c.choose_three_min_pct:g}%"
    )
    mark = b.flag(share3 < c.choose_three_min_pct, Problem(BANK, "choose three", "choose", msg))
    b.lines.append(
        f"choose three: {three} of {len(multi)} multiple-select ({share3:.0f}%) "
        f"(at least {c.choose_three_min_pct:g}%){mark}"
    )
    diff: Counter[str] = Counter(q.difficulty for q in qs)
    targets = {
        "easy": c.difficulty_easy_pct,
        "medium": c.difficulty_medium_pct,
        "hard": c.difficulty_hard_pct,
    }
    bad = []
    for level, target in targets.items():
        got = _pct(diff[level], total)
        if abs(got - target) > c.difficulty_tolerance_pp:
            bad.append(level)
            msg = f"{got:.0f}% {level}; aim for {target:g}% ±{c.difficulty_tolerance_pp:g}"
            b.problems.append(Problem(BANK, level, "difficulty", msg))
    b.lines.append(
        "difficulty: "
        + ", ".join(f"{k} {diff[k]} ({_pct(diff[k], total):.0f}%)" for k in targets)
        + f" (about {'/'.join(f'{t:g}' for t in targets.values())}, "
        f"±{c.difficulty_tolerance_pp:g} points)" + (BREACH if bad else "")
    )
    singles = [q for q in qs if not q.multiple]
    keys = Counter(q.key for q in singles)
    over = []
    for letter, n in sorted(keys.items()):
        got = _pct(n, len(singles))
        if got > c.key_letter_max_pct:
            over.append(letter)
            msg = f"key of {got:.0f}% of single-select questions; at most {c.key_letter_max_pct:g}%"
            b.problems.append(Problem(BANK, letter, "answer", msg))
    b.lines.append(
        "single-select keys: "
        + ", ".join(f"{k} {keys[k]} ({_pct(keys[k], len(singles)):.0f}%)" for k in sorted(keys))
        + f" (each at most {c.key_letter_max_pct:g}%)"
        + (BREACH if over else "")
    )
    return b


def genai(bp: Blueprint, qs: list[Question]) -> Block:
    """Rule 4: enough generative-AI questions, spread over the official sections."""
    c = bp.checks
    b = Block("4. Generative AI")
    gen = [q for q in qs if q.genai]
    share = _pct(len(gen), len(qs))
    msg = f"{len(gen)} generative-AI questions ({share:.1f}%); at least {c.genai_min_pct:g}%"
    mark = b.flag(share < c.genai_min_pct, Problem(BANK, "genai", "genai", msg))
    b.lines.append(
        f"genai: true on {len(gen)} of {len(qs)} questions ({share:.1f}%) "
        f"(at least {c.genai_min_pct:g}%){mark}"
    )
    per = Counter(q.section.split(".")[0] for q in gen)
    covered = sum(per[s.id] > 0 for s in bp.official_sections)
    sections = len(bp.official_sections)
    msg = (
        f"generative-AI questions in {covered} of {sections} official sections; "
        f"spread them over at least {c.genai_min_sections}"
    )
    mark = b.flag(covered < c.genai_min_sections, Problem(BANK, "genai", "section", msg))
    b.lines.append(
        "per official section: "
        + ", ".join(f"{s.id}: {per[s.id]}" for s in bp.official_sections)
        + f" (in {covered} of {sections}; at least {c.genai_min_sections}){mark}"
    )
    return b
