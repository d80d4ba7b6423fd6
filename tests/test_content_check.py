"""`make check-content` fails on each broken rule, naming the breach (rules 1-4, 6, 7).

Each test builds the passing synthetic bank (test_content_bank), breaks one rule and
asserts the check's exit status and the specific message. Naming rules (5) are in
test_content_names.py.
"""

from __future__ import annotations

import copy
import subprocess
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.content.models import Blueprint
from tests.conftest import CONTENT_DIR, ROOT
from tests.test_content_bank import (
    BLUEPRINT,
    TODAY,
    build_questions,
    by_id,
    run_check,
    write_bank,
)

Bank = list[dict[str, Any]]


def broken(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    mutate: Callable[[Bank, dict[str, Any]], None],
    today: date = TODAY,
) -> tuple[int, str]:
    """Check the synthetic bank after `mutate(questions, blueprint)`."""
    questions = build_questions()
    blueprint = copy.deepcopy(BLUEPRINT)
    mutate(questions, blueprint)
    return run_check(write_bank(tmp_path / "content", questions, blueprint), capsys, today)


def singles(qs: Bank, domain: str | None = None) -> Bank:
    return [q for q in qs if "choose" not in q and (domain is None or q["domain"] == domain)]


def key_index(q: dict[str, Any]) -> int:
    return "ABCDE".index(q["answer"][0])


def not_shortest(q: dict[str, Any]) -> bool:
    lengths = [len(o) for o in q["options"]]
    return lengths[key_index(q)] != min(lengths)


def not_longest(q: dict[str, Any]) -> bool:
    lengths = [len(o) for o in q["options"]]
    return lengths[key_index(q)] != max(lengths)


def set_key(q: dict[str, Any], text: str) -> None:
    q["options"][key_index(q)] = text


# -- rule 1: both blueprints --------------------------------------------------------------
def test_section_share_within_two_points(tmp_path: Path, capsys: Any) -> None:
    def mutate(qs: Bank, bp: dict[str, Any]) -> None:
        for q in [q for q in qs if q["section"] == "2.1"][:6]:
            q["section"] = "1.1"

    code, out = broken(tmp_path, capsys, mutate)
    assert code == 1
    assert "[section 1] section: 56.0% of the bank, weight 50% (allowed ±2 points)" in out


def test_every_official_subsection_has_ten(tmp_path: Path, capsys: Any) -> None:
    def mutate(qs: Bank, bp: dict[str, Any]) -> None:
        for q in [q for q in qs if q["section"] == "1.2"][:16]:
            q["section"] = "1.1"

    code, out = broken(tmp_path, capsys, mutate)
    assert code == 1
    assert "[subsection 1.2] section: 9 questions; every official subsection needs at least" in out


def test_domain_share_within_three_points(tmp_path: Path, capsys: Any) -> None:
    def mutate(qs: Bank, bp: dict[str, Any]) -> None:
        bp["domains"][0]["weight"], bp["domains"][1]["weight"] = 56, 44

    code, out = broken(tmp_path, capsys, mutate)
    assert code == 1
    assert "[alpha] domain: 60.0% of the bank, weight 56% (allowed ±3 points)" in out


def test_every_subtopic_has_eight(tmp_path: Path, capsys: Any) -> None:
    def mutate(qs: Bank, bp: dict[str, Any]) -> None:
        for q in [q for q in qs if q["subtopic"] == "b2"][:13]:
            q["subtopic"] = "b1"

    code, out = broken(tmp_path, capsys, mutate)
    assert code == 1
    assert "[beta.b2] subtopic: 7 questions; every subtopic needs at least 8" in out


# -- rule 2: no answer cues ---------------------------------------------------------------
def test_key_strictly_shortest_at_most_30_percent(tmp_path: Path, capsys: Any) -> None:
    def mutate(qs: Bank, bp: dict[str, Any]) -> None:
        for n, q in enumerate(q for q in singles(qs) if not_shortest(q)):
            if n < 6:
                set_key(q, f"Short key {n}")

    code, out = broken(tmp_path, capsys, mutate)
    assert code == 1
    assert (
        "[whole bank] cues: the key is strictly the shortest option in 33% of 82 "
        "single-select questions; at most 30%"
    ) in out


def test_key_strictly_longest_at_most_30_percent(tmp_path: Path, capsys: Any) -> None:
    def mutate(qs: Bank, bp: dict[str, Any]) -> None:
        for n, q in enumerate(q for q in singles(qs) if not_longest(q)):
            if n < 6:
                set_key(q, f"Long key {n} " + "x" * 90)

    code, out = broken(tmp_path, capsys, mutate)
    assert code == 1
    assert "[whole bank] cues: the key is strictly the longest option in 32% of 82" in out


def test_cues_are_checked_per_domain(tmp_path: Path, capsys: Any) -> None:
    """Three more short keys in beta breach beta's limit but not the whole bank's."""

    def mutate(qs: Bank, bp: dict[str, Any]) -> None:
        for n, q in enumerate(q for q in singles(qs, "beta") if not_shortest(q)):
            if n < 3:
                set_key(q, f"Short key {n}")

    code, out = broken(tmp_path, capsys, mutate)
    assert code == 1
    assert "[beta] cues: the key is strictly the shortest option in 34% of 32" in out
    assert "[whole bank] cues: the key is strictly the shortest" not in out
    assert "[alpha] cues" not in out


def test_absolute_words_in_distractors(tmp_path: Path, capsys: Any) -> None:
    def mutate(qs: Bank, bp: dict[str, Any]) -> None:
        for q in qs[:40]:
            wrong = next(i for i, c in enumerate("ABCDE") if c not in q["answer"])
            q["options"][wrong] = "Always " + q["options"][wrong]

    code, out = broken(tmp_path, capsys, mutate)
    assert code == 1
    assert "[whole bank] cues: absolute words in 13% of distractors but 0% of keys" in out


def test_justification_clauses_in_distractors(tmp_path: Path, capsys: Any) -> None:
    def mutate(qs: Bank, bp: dict[str, Any]) -> None:
        for q in qs[:40]:
            wrong = next(i for i, c in enumerate("ABCDE") if c not in q["answer"])
            q["options"][wrong] += " because it costs less"

    code, out = broken(tmp_path, capsys, mutate)
    assert code == 1
    assert "[whole bank] cues: justification clauses in 13% of distractors but 0% of keys" in out


def test_blind_strategy_single_select_near_chance(tmp_path: Path, capsys: Any) -> None:
    """Cue words on the short keys send the blind strategy below chance: also a cue."""

    def mutate(qs: Bank, bp: dict[str, Any]) -> None:
        for q in singles(qs):
            if not not_shortest(q):
                set_key(q, "Never " + q["options"][key_index(q)])

    code, out = broken(tmp_path, capsys, mutate)
    assert code == 1
    assert (
        "[whole bank] cues: the blind strategy scores 0% on 82 single-select questions "
        "against 25% by chance; keep it within 5 points of chance"
    ) in out


def test_blind_strategy_multiple_select_near_chance(tmp_path: Path, capsys: Any) -> None:
    def mutate(qs: Bank, bp: dict[str, Any]) -> None:
        for q in qs:
            if "choose" in q:
                q["answer"] = list("ABCDE"[: q["choose"]])  # the shortest options

    code, out = broken(tmp_path, capsys, mutate)
    assert code == 1
    assert "[whole bank] cues: the blind strategy scores 100% on 18 multiple-select" in out


def test_old_longest_option_rule_is_gone(tmp_path: Path, capsys: Any) -> None:
    code, out = broken(tmp_path, capsys, lambda qs, bp: None)
    assert code == 0
    assert "key is the longest option" not in out


# -- rule 3: realistic stems ---------------------------------------------------------------
def test_median_stem_at_least_60_words(tmp_path: Path, capsys: Any) -> None:
    def mutate(qs: Bank, bp: dict[str, Any]) -> None:
        for q in qs:
            words = q["stem"].split()
            tail = words[-2:] if "choose" in q else []
            q["stem"] = " ".join(words[:40] + tail)

    code, out = broken(tmp_path, capsys, mutate)
    assert code == 1
    assert "[stems] stem: median stem is 40 words; at least 60" in out


def test_choose_three_share(tmp_path: Path, capsys: Any) -> None:
    def mutate(qs: Bank, bp: dict[str, Any]) -> None:
        for q in qs:
            if q.get("choose") == 3:
                q["choose"] = 2
                q["answer"] = q["answer"][:2]
                q["stem"] = q["stem"].replace("Choose three.", "Choose two.")

    code, out = broken(tmp_path, capsys, mutate)
    assert code == 1
    assert (
        "[choose three] choose: 0 of 18 multiple-select questions (0%) say 'Choose three'; "
        "at least 10%"
    ) in out


def test_difficulty_mix(tmp_path: Path, capsys: Any) -> None:
    def mutate(qs: Bank, bp: dict[str, Any]) -> None:
        for q in qs:
            q["difficulty"] = "medium"

    code, out = broken(tmp_path, capsys, mutate)
    assert code == 1
    assert "[easy] difficulty: 0% easy; aim for 30% ±10" in out


# -- rule 4: generative AI -----------------------------------------------------------------
def test_genai_share(tmp_path: Path, capsys: Any) -> None:
    def mutate(qs: Bank, bp: dict[str, Any]) -> None:
        for q in [q for q in qs if q["genai"]][:5]:
            q["genai"] = False

    code, out = broken(tmp_path, capsys, mutate)
    assert code == 1
    assert "[genai] genai: 15 generative-AI questions (15.0%); at least 20%" in out


def test_genai_spread_over_sections(tmp_path: Path, capsys: Any) -> None:
    def mutate(qs: Bank, bp: dict[str, Any]) -> None:
        first = [q for q in qs if q["section"].startswith("1.")]
        for q in qs:
            q["genai"] = False
        for q in first[:20]:
            q["genai"] = True

    code, out = broken(tmp_path, capsys, mutate)
    assert code == 1
    assert (
        "[genai] section: generative-AI questions in 1 of 2 official sections; "
        "spread them over at least 2"
    ) in out
    assert "per official section: 1: 20, 2: 0 (in 1 of 2; at least 2)  BREACH" in out
    assert "[genai] genai:" not in out


# -- rule 6: freshness ---------------------------------------------------------------------
def test_missing_reviewed_is_a_problem(tmp_path: Path, capsys: Any) -> None:
    def mutate(qs: Bank, bp: dict[str, Any]) -> None:
        del by_id(qs, "alpha-003")["reviewed"]

    code, out = broken(tmp_path, capsys, mutate)
    assert code == 1
    assert "alpha-1.yaml reviewed: 1 question(s) have no 'reviewed: YYYY-MM': alpha-003" in out


def test_stale_questions_are_listed_not_failed(tmp_path: Path, capsys: Any) -> None:
    def mutate(qs: Bank, bp: dict[str, Any]) -> None:
        by_id(qs, "beta-004")["reviewed"] = "2025-10"  # 14 months before TODAY
        by_id(qs, "beta-005")["reviewed"] = "2025-12"  # exactly 12: still fresh

    code, out = broken(tmp_path, capsys, mutate)
    assert code == 0, out
    assert "not reviewed within 12 months (listed, not a breach): 1" in out
    assert "beta-004 reviewed 2025-10, 14 months ago" in out
    assert "beta-005 reviewed" not in out


def test_today_is_a_parameter(tmp_path: Path, capsys: Any) -> None:
    code, out = broken(tmp_path, capsys, lambda qs, bp: None, today=date(2027, 12, 1))
    assert code == 0
    assert "not reviewed within 12 months (listed, not a breach): 100" in out
    assert "12 months of 2027-12" in out


def test_review_in_the_future_is_a_problem(tmp_path: Path, capsys: Any) -> None:
    def mutate(qs: Bank, bp: dict[str, Any]) -> None:
        by_id(qs, "alpha-007")["reviewed"] = "2027-01"

    code, out = broken(tmp_path, capsys, mutate)
    assert code == 1
    assert "[alpha-007] reviewed: reviewed 2027-01 is after today (2026-12)" in out


# -- balance binds at the bank minimum; per-question rules always ---------------------------
def test_balance_is_a_note_below_bank_minimum(tmp_path: Path, capsys: Any) -> None:
    def mutate(qs: Bank, bp: dict[str, Any]) -> None:
        bp["exam"]["bank_minimum"] = 101
        for q in qs:
            q["difficulty"] = "medium"

    code, out = broken(tmp_path, capsys, mutate)
    assert code == 0, out
    assert "note(s) (bank below its minimum, not yet enforced)" in out
    assert "[easy] difficulty: 0% easy" in out


def test_per_question_rules_bind_below_bank_minimum(tmp_path: Path, capsys: Any) -> None:
    def mutate(qs: Bank, bp: dict[str, Any]) -> None:
        bp["exam"]["bank_minimum"] = 1000
        del by_id(qs, "beta-010")["reviewed"]

    code, out = broken(tmp_path, capsys, mutate)
    assert code == 1
    assert "no 'reviewed: YYYY-MM': beta-010" in out


# -- rule 7: one readable block per rule; exit status ----------------------------------------
def test_every_block_is_printed_with_its_limits(tmp_path: Path, capsys: Any) -> None:
    code, out = broken(tmp_path, capsys, lambda qs, bp: None)
    assert code == 0
    for heading in (
        "== 1. Both blueprints ==",
        "== 2. No answer cues (whole bank and each domain) ==",
        "== 3. Realistic stems and mix ==",
        "== 4. Generative AI ==",
        "== 5. One naming table (content/names.yaml) ==",
        "== 6. Freshness (reviewed within 12 months of 2026-12) ==",
    ):
        assert heading in out
    for figure in (
        "1 Section one",
        "(at least 10)",
        "whole bank        82    26%",
        "median stem length: 72 words (at least 60)",
        "choose three: 2 of 18 multiple-select (11%) (at least 10%)",
        "genai: true on 20 of 100 questions (20.0%) (at least 20%)",
        "per official section: 1: 10, 2: 10",
        "to the old …/vertex-ai/ pages: 0 = 0.0% (at most 15%)",
    ):
        assert figure in out


def test_cli_exits_1_on_a_breach(tmp_path: Path) -> None:
    questions = build_questions()
    for q in questions:
        q["difficulty"] = "hard"
    root = write_bank(tmp_path / "content", questions)
    result = subprocess.run(
        [sys.executable, "-m", "bot.content", "check", str(root), "--today", "2026-12-01"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 1
    assert "[hard] difficulty: 100% hard" in result.stdout


# -- the shipped blueprint states the limits ------------------------------------------
def test_shipped_blueprint_limits() -> None:
    bp = Blueprint.model_validate(yaml.safe_load((CONTENT_DIR / "blueprint.yaml").read_text()))
    c = bp.checks
    assert bp.exam.bank_minimum == 640
    assert (c.section_tolerance_pp, c.subsection_minimum) == (2, 10)
    assert (c.domain_tolerance_pp, c.subtopic_minimum) == (3, 8)
    assert (c.key_shortest_max_pct, c.key_longest_max_pct) == (30, 30)
    assert (c.cue_word_gap_max_pp, c.blind_vs_chance_max_pp) == (5, 5)
    assert (c.median_stem_words_min, c.choose_three_min_pct) == (60, 10)
    assert (c.genai_min_pct, c.genai_min_sections) == (20, 5)
    assert (c.old_links_max_pct, c.review_months) == (15, 12)
