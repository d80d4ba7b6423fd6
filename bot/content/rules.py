"""Cross-file content rules: the checks that need the whole bank.

Per-question rules live on the pydantic models. Here: ids and stems unique across files,
domains and subtopics that exist, near-duplicate stems, retired products as keys, former
names, and the bank-level balance (weights, subtopic coverage, key letters, longest-option
bias, difficulty and multiple-select mix). Balance rules are errors once the bank has the
blueprint's `bank_minimum` questions; below that they are reported as warnings.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field

from bot.content.models import Blueprint, Question, Resources, StudyPlan
from bot.content.store import Problem

RETIRED = (
    "AutoML Tables",
    "AI Platform Training",
    "AI Platform Prediction",
    "AI Platform Notebooks",
    "user-managed notebook",
    "managed notebooks instance",
    "legacy Feature Store",
    "Feature Store (Legacy)",
    "Vertex Explainable AI",
    "Data Catalog",
    "Datalab",
)
_FORMER = re.compile(r"Vertex AI")
_FORMER_OK = re.compile(
    r"(formerly|former|previously|renamed from|was|called)\s+(the\s+)?Vertex AI"
)
NEAR_DUPLICATE = 0.8
TOLERANCE_PP = 3.0


@dataclass
class Report:
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.casefold()).split())


def _shingles(text: str, n: int = 3) -> set[tuple[str, ...]]:
    words = _norm(text).split()
    return {tuple(words[i : i + n]) for i in range(max(1, len(words) - n + 1))}


def _question_rules(bp: Blueprint, qs: list[Question], origin: dict[str, str]) -> list[Problem]:
    out: list[Problem] = []
    subtopics = {d.id: {s.id for s in d.subtopics} for d in bp.domains}
    sections = {sub.id for s in bp.official_sections for sub in s.subsections}
    stems: dict[str, str] = {}
    for q in qs:
        f = origin.get(q.id, "?")
        if q.domain not in subtopics:
            out.append(Problem(f, q.id, "domain", f"unknown domain {q.domain!r}"))
        elif q.subtopic not in subtopics[q.domain]:
            out.append(Problem(f, q.id, "subtopic", f"{q.subtopic!r} is not in {q.domain}"))
        if not q.id.startswith(q.domain + "-"):
            out.append(Problem(f, q.id, "id", f"must start with the domain id '{q.domain}-'"))
        if q.section not in sections:
            out.append(Problem(f, q.id, "section", f"unknown official section {q.section!r}"))
        key = _norm(q.stem)
        if key in stems:
            out.append(Problem(f, q.id, "stem", f"same stem as {stems[key]}"))
        stems[key] = q.id
        for letter in q.answer:
            text = q.options[q.letters.index(letter)]
            for name in RETIRED:
                if name.casefold() in text.casefold():
                    out.append(Problem(f, q.id, "answer", f"key {letter} names retired {name!r}"))
        for fld in ("stem", "explanation"):
            text = getattr(q, fld)
            if _FORMER.search(text) and not _FORMER_OK.search(text):
                out.append(
                    Problem(
                        f,
                        q.id,
                        fld,
                        "says 'Vertex AI': use the current name, "
                        "with '(formerly Vertex AI …)' the first time",
                    )
                )
    return out


def _near_duplicates(qs: list[Question], origin: dict[str, str]) -> list[Problem]:
    out = []
    sh = [(q, _shingles(q.stem)) for q in qs]
    for i, (a, sa) in enumerate(sh):
        for b, sb in sh[i + 1 :]:
            if a.domain != b.domain:
                continue
            jac = len(sa & sb) / len(sa | sb) if sa | sb else 0.0
            if jac >= NEAR_DUPLICATE:
                out.append(
                    Problem(
                        origin.get(b.id, "?"),
                        b.id,
                        "stem",
                        f"nearly the same stem as {a.id} ({jac:.0%} overlap)",
                    )
                )
    return out


def _plan_rules(bp: Blueprint, plan: StudyPlan, res: Resources) -> list[Problem]:
    out = []
    ids = {d.id for d in bp.domains}
    for w in plan.weeks:
        for d in w.domains:
            if d not in ids:
                out.append(
                    Problem(
                        "content/study_plan.yaml",
                        f"week {w.week}",
                        "domains",
                        f"unknown domain {d!r}",
                    )
                )
    for d in res.domains:
        if d not in ids:
            out.append(Problem("content/resources.yaml", d, "domains", f"unknown domain {d!r}"))
    for d in ids - set(res.domains):
        out.append(Problem("content/resources.yaml", d, "domains", "no resources for domain"))
    return out


def _pct(n: int, total: int) -> float:
    return 100.0 * n / total if total else 0.0


def _balance(bp: Blueprint, qs: list[Question], report: Report) -> list[Problem]:
    out: list[Problem] = []
    total = len(qs)
    bank = "content/questions"
    report.lines.append(f"{total} questions (bank minimum {bp.exam.bank_minimum})")
    report.lines.append("")
    report.lines.append(f"{'domain':<44}{'n':>5}{'share':>8}{'weight':>8}")
    per_domain = Counter(q.domain for q in qs)
    per_sub = Counter(f"{q.domain}.{q.subtopic}" for q in qs)
    for d in bp.domains:
        share = _pct(per_domain[d.id], total)
        report.lines.append(
            f"{d.id + ' ' + d.name[:36]:<44}{per_domain[d.id]:>5}{share:>7.1f}%{d.weight:>7}%"
        )
        if abs(share - d.weight) > TOLERANCE_PP:
            out.append(
                Problem(
                    bank,
                    d.id,
                    "domain",
                    f"{share:.1f}% of the bank, weight "
                    f"{d.weight}% (allowed ±{TOLERANCE_PP:g} points)",
                )
            )
        for s in d.subtopics:
            n = per_sub[f"{d.id}.{s.id}"]
            report.lines.append(f"  {s.id:<42}{n:>5}")
            if n < 5:
                out.append(
                    Problem(
                        bank,
                        f"{d.id}.{s.id}",
                        "subtopic",
                        f"{n} questions; every subtopic needs at least 5",
                    )
                )
    report.lines.append("")
    report.lines.append(f"{'official section':<44}{'n':>5}{'share':>8}{'weight':>8}")
    per_section = Counter(q.section.split(".")[0] for q in qs)
    per_subsection = Counter(q.section for q in qs)
    for sec in bp.official_sections:
        n = per_section[sec.id]
        report.lines.append(
            f"{sec.id + ' ' + sec.name[:40]:<44}{n:>5}{_pct(n, total):>7.1f}%{sec.weight:>7}%"
        )
        for sub in sec.subsections:
            report.lines.append(f"  {sub.id:<42}{per_subsection[sub.id]:>5}")
        need = 2 * math.ceil(bp.exam.question_count * sec.weight / 100)
        if n < need:
            out.append(
                Problem(
                    bank,
                    f"section {sec.id}",
                    "section",
                    f"{n} questions; a mock exam drawn to the official weights "
                    f"needs at least {need}",
                )
            )
    report.lines.append("")

    diff: Counter[str] = Counter(q.difficulty for q in qs)
    report.lines.append(
        "difficulty: "
        + ", ".join(
            f"{k} {diff[k]} ({_pct(diff[k], total):.0f}%)" for k in ("easy", "medium", "hard")
        )
    )
    for level, target in (("easy", 30), ("medium", 50), ("hard", 20)):
        if abs(_pct(diff[level], total) - target) > 10:
            out.append(
                Problem(
                    bank,
                    level,
                    "difficulty",
                    f"{_pct(diff[level], total):.0f}% {level}; aim for about {target}%",
                )
            )
    multi = sum(q.multiple for q in qs)
    report.lines.append(f"multiple select: {multi} ({_pct(multi, total):.0f}%)")
    if not 10 <= _pct(multi, total) <= 20:
        out.append(
            Problem(
                bank,
                "multiple",
                "choose",
                f"{_pct(multi, total):.0f}% multiple select; aim for about 15%",
            )
        )

    singles = [q for q in qs if not q.multiple]
    keys = Counter(q.key for q in singles)
    report.lines.append(
        "single-select keys: "
        + ", ".join(
            f"{k} {keys[k]} ({_pct(keys[k], len(singles)):.0f}%)" for k in "ABCDEF" if keys[k]
        )
    )
    for letter, n in keys.items():
        if _pct(n, len(singles)) > 35:
            out.append(
                Problem(
                    bank,
                    letter,
                    "answer",
                    f"key of {_pct(n, len(singles)):.0f}% of single-select questions; at most 35%",
                )
            )
    longest = sum(_key_is_longest(q) for q in qs)
    report.lines.append(f"key is the longest option: {longest} ({_pct(longest, total):.0f}%)")
    if _pct(longest, total) >= 40:
        out.append(
            Problem(
                bank,
                "longest",
                "options",
                f"the key is the longest option in "
                f"{_pct(longest, total):.0f}% of questions; keep it under 40%",
            )
        )
    return out


def _key_is_longest(q: Question) -> bool:
    lengths = [len(o) for o in q.options]
    keyed = [lengths[q.letters.index(k)] for k in q.answer]
    return max(keyed) == max(lengths)


def check_all(
    bp: Blueprint,
    qs: list[Question],
    plan: StudyPlan,
    res: Resources,
    origin: dict[str, str],
) -> Report:
    report = Report()
    report.errors += _question_rules(bp, qs, origin)
    report.errors += _near_duplicates(qs, origin)
    report.errors += _plan_rules(bp, plan, res)
    balance = _balance(bp, qs, report)
    if len(qs) >= bp.exam.bank_minimum:
        report.errors += balance
    else:
        report.warnings += balance
    return report
