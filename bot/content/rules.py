"""Cross-file content rules, and `check_all`, which runs every rule of `make check-content`.

Per-question field rules live on the pydantic models. Here:

- structural rules, which the bot itself enforces when it loads the content (ids, stems
  unique across files, domains, subtopics and sections that exist, near-duplicate stems,
  the study plan and resources naming real domains);
- `check_all`: those plus the editorial rules, one report block each: 1-4 bank balance
  (bot.content.balance), 5 names (bot.content.names), 6 freshness (`reviewed:`).

Balance rules are errors once the bank has the blueprint's `bank_minimum` questions and
warnings below it; naming, freshness and structural rules are always errors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from bot.content import balance
from bot.content.balance import Block
from bot.content.models import Blueprint, Question, Resources, StudyPlan
from bot.content.names import NameTable, check_names
from bot.content.store import Problem

NEAR_DUPLICATE = 0.8


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


def structural_problems(
    bp: Blueprint,
    qs: list[Question],
    plan: StudyPlan,
    res: Resources,
    origin: dict[str, str],
) -> list[Problem]:
    """What the bot cannot run with; `load_content` refuses content with any of these."""
    return (
        _question_rules(bp, qs, origin) + _near_duplicates(qs, origin) + _plan_rules(bp, plan, res)
    )


def _months(reviewed: str, today: date) -> int:
    year, month = (int(x) for x in reviewed.split("-"))
    return (today.year * 12 + today.month) - (year * 12 + month)


def freshness(qs: list[Question], origin: dict[str, str], today: date, months: int) -> Block:
    """Rule 6: every question says when it was last reviewed; list the stale ones."""
    b = Block(f"6. Freshness (reviewed within {months} months of {today:%Y-%m})")
    missing: dict[str, list[str]] = {}
    stale = []
    for q in qs:
        f = origin.get(q.id, "?")
        if q.reviewed is None:
            missing.setdefault(f, []).append(q.id)
            continue
        age = _months(q.reviewed, today)
        if age < 0:
            msg = f"reviewed {q.reviewed} is after today ({today:%Y-%m})"
            b.problems.append(Problem(f, q.id, "reviewed", msg))
        elif age > months:
            stale.append((q.reviewed, q.id, f, age))
    for f, ids in sorted(missing.items()):
        shown = ", ".join(ids[:6]) + (", …" if len(ids) > 6 else "")
        msg = f"{len(ids)} question(s) have no 'reviewed: YYYY-MM': {shown}"
        b.problems.append(Problem(f, "", "reviewed", msg))
    dated = len(qs) - sum(map(len, missing.values()))
    none = len(qs) - dated
    b.lines.append(
        f"reviewed: set on {dated} of {len(qs)} questions; missing on {none} (limit 0)"
        + (balance.BREACH if none else "")
    )
    b.lines.append(f"not reviewed within {months} months (listed, not a breach): {len(stale)}")
    for reviewed, qid, f, age in sorted(stale):
        b.lines.append(f"  {qid} reviewed {reviewed}, {age} months ago ({f})")
    return b


def check_all(
    bp: Blueprint,
    qs: list[Question],
    plan: StudyPlan,
    res: Resources,
    origin: dict[str, str],
    names: NameTable | None = None,
    today: date | None = None,
) -> Report:
    """Every rule of the content check. `today` defaults to the real date."""
    today = today or date.today()
    report = Report()
    report.errors += structural_problems(bp, qs, plan, res, origin)
    binding = len(qs) >= bp.exam.bank_minimum
    blocks = [
        balance.blueprints(bp, qs),
        balance.cues(bp, qs),
        balance.realism(bp, qs),
        balance.genai(bp, qs),
    ]
    for block in blocks:
        (report.errors if binding else report.warnings).extend(block.problems)
    if names is not None:
        naming = check_names(names, qs, origin, bp.checks)
        blocks.append(naming)
        report.errors += naming.problems
    fresh = freshness(qs, origin, today, bp.checks.review_months)
    blocks.append(fresh)
    report.errors += fresh.problems
    if not binding:
        report.lines.append(
            f"(bank below its minimum of {bp.exam.bank_minimum}: balance breaches in "
            "blocks 1-4 are notes, not yet errors)"
        )
    for block in blocks:
        report.lines += ["", f"== {block.title} ==", *block.lines]
    return report
