"""A synthetic bank that passes every rule of the content check, for a tiny blueprint.

The rule tests (test_content_check.py, test_content_names.py) build it, break one rule and
assert that the check names that breach. It does not depend on the shipped bank's figures.

The bank: 100 questions; domains alpha (60%) and beta (40%), two subtopics each; official
sections 1 and 2 (50% each), two subsections each. 82 single-select questions with four
options of distinct lengths, the key cycling through the length ranks (shortest, second,
third, longest), so the blind strategy scores chance; 18 multiple-select questions with five
options, one per domain answered by the shortest ones; no absolute words or justification
clauses; 20% generative AI in both sections; every question reviewed in 2026-10.
"""

from __future__ import annotations

import random
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.content.check import check
from tests.conftest import CONTENT_DIR

TODAY = date(2026, 12, 1)
LETTERS = "ABCDE"
_SYLLABLES = ("ka", "lo", "mi", "ne", "ru", "ta", "vo", "zi", "pe", "sa")
VOCAB = [a + b + c for a in _SYLLABLES for b in _SYLLABLES for c in _SYLLABLES]
SINGLE_LENGTHS = (30, 45, 60, 75)  # the four options of a single-select question
MULTI_LENGTHS = (30, 40, 50, 60, 70)

BLUEPRINT: dict[str, Any] = {
    "exam": {
        "name": "Tiny exam",
        "duration_minutes": 60,
        "question_count": 10,
        "pass_estimate": 70,
        "guide_version": "test",
        "bank_minimum": 100,
    },
    "domains": [
        {
            "id": "alpha",
            "name": "Alpha domain",
            "weight": 60,
            "subtopics": [{"id": "a1", "name": "A one"}, {"id": "a2", "name": "A two"}],
        },
        {
            "id": "beta",
            "name": "Beta domain",
            "weight": 40,
            "subtopics": [{"id": "b1", "name": "B one"}, {"id": "b2", "name": "B two"}],
        },
    ],
    "official_sections": [
        {
            "id": "1",
            "name": "Section one",
            "weight": 50,
            "subsections": [{"id": "1.1", "name": "One one"}, {"id": "1.2", "name": "One two"}],
        },
        {
            "id": "2",
            "name": "Section two",
            "weight": 50,
            "subsections": [{"id": "2.1", "name": "Two one"}, {"id": "2.2", "name": "Two two"}],
        },
    ],
    "checks": {"genai_min_sections": 2},  # the tiny blueprint has two sections, not six
}
PLAN = {
    "weeks": [
        {
            "week": 1,
            "phase": 1,
            "phase_name": "Start",
            "title": "Start",
            "goals": ["Practise"],
            "topics": ["Everything"],
            "domains": ["alpha", "beta"],
            "target": 20,
        }
    ]
}
RESOURCES = {
    "domains": {
        "alpha": [{"title": "Alpha docs", "url": "https://cloud.google.com/alpha"}],
        "beta": [{"title": "Beta docs", "url": "https://cloud.google.com/beta"}],
    }
}


def _text(rng: random.Random, tag: str, length: int) -> str:
    """A distinct option of exactly `length` characters, free of answer cues."""
    words = " ".join(rng.choice(VOCAB) for _ in range(length))
    text = f"{tag} {words}"[:length]
    return text[:-1] + "z" if text.endswith(" ") else text


def _stem(rng: random.Random, n: int, words: int = 66) -> str:
    body = " ".join(rng.choice(VOCAB) for _ in range(words))
    return f"Scenario {n}: {body}. What should you do?"


def _multiples() -> list[int]:
    alpha = [i for i in range(60) if i % 6 == 5]  # 10
    beta = [i for i in range(60, 100) if (i - 60) % 5 == 4]  # 8
    return alpha + beta


def build_questions() -> list[dict[str, Any]]:
    rng = random.Random(11)
    multiples = _multiples()
    threes = {multiples[0], multiples[10]}  # one "choose three" per domain
    blind_right = {multiples[1], multiples[11]}  # keys are the shortest: the blind pick wins
    singles_seen = {"alpha": 0, "beta": 0}
    out = []
    for i in range(100):
        domain = "alpha" if i < 60 else "beta"
        n = i + 1 if domain == "alpha" else i - 59
        q: dict[str, Any] = {
            "id": f"{domain}-{n:03d}",
            "domain": domain,
            "subtopic": f"{domain[0]}{1 + i % 2}",
            "section": ("1.1", "1.2", "2.1", "2.2")[i % 4],
            "difficulty": ("easy",) * 3 + ("medium",) * 5 + ("hard",) * 2,
            "stem": _stem(rng, i),
            "explanation": f"The key fits case {i}. The other options miss the constraint.",
            "links": [f"https://docs.cloud.google.com/gemini-enterprise-agent-platform/p{i}"],
            "genai": i % 5 == 0,
            "reviewed": "2026-10",
        }
        q["difficulty"] = q["difficulty"][i % 10]
        if i % 10 == 0:
            q["stem"] += " The team runs Agent Platform Pipelines (formerly Vertex AI Pipelines)."
        if i in multiples:
            k = 3 if i in threes else 2
            q["choose"] = k
            q["stem"] += f" Choose {'three' if k == 3 else 'two'}."
            q["options"] = [
                _text(rng, f"M{i}{c}", n) for c, n in zip(LETTERS, MULTI_LENGTHS, strict=True)
            ]
            picks = range(k) if i in blind_right else range(5 - k, 5)
            q["answer"] = [LETTERS[p] for p in picks]
        else:
            k = singles_seen[domain]
            singles_seen[domain] += 1
            rank = k % 4  # key is the shortest, second, third or longest option
            texts = [_text(rng, f"S{i}{r}", n) for r, n in enumerate(SINGLE_LENGTHS)]
            shift = (k // 4) % 4  # rotate so the key letters spread over A-D
            q["options"] = texts[shift:] + texts[:shift]
            q["answer"] = ["ABCD"[(rank - shift) % 4]]
        out.append(q)
    return out


def write_bank(
    root: Path,
    questions: list[dict[str, Any]],
    blueprint: dict[str, Any] | None = None,
) -> Path:
    """Write a content folder (with the shipped names.yaml) and return it."""
    (root / "questions").mkdir(parents=True, exist_ok=True)
    bp = blueprint or BLUEPRINT
    (root / "blueprint.yaml").write_text(yaml.safe_dump(bp, sort_keys=False))
    (root / "study_plan.yaml").write_text(yaml.safe_dump(PLAN, sort_keys=False))
    (root / "resources.yaml").write_text(yaml.safe_dump(RESOURCES, sort_keys=False))
    shutil.copy(CONTENT_DIR / "names.yaml", root / "names.yaml")
    for domain in ("alpha", "beta"):
        mine = [q for q in questions if q["domain"] == domain]
        text = yaml.safe_dump({"questions": mine}, sort_keys=False, allow_unicode=True)
        (root / "questions" / f"{domain}-1.yaml").write_text(text)
    return root


def run_check(
    root: Path, capsys: pytest.CaptureFixture[str], today: date = TODAY
) -> tuple[int, str]:
    code = check(root, today)
    return code, capsys.readouterr().out


@pytest.fixture
def bank() -> list[dict[str, Any]]:
    return build_questions()


def by_id(questions: list[dict[str, Any]], qid: str) -> dict[str, Any]:
    return next(q for q in questions if q["id"] == qid)


def test_synthetic_bank_passes_every_rule(
    tmp_path: Path, bank: list[dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run_check(write_bank(tmp_path / "content", bank), capsys)
    assert code == 0, out
    assert "content OK" in out
    assert "BREACH" not in out
    assert "note(s)" not in out
