"""The loader accepts the shipped content and rejects each structural violation by name.

The editorial rules of `make check-content` (balance, cues, names, freshness) are tested on
a synthetic bank in test_content_check.py and test_content_names.py.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.content import ContentError, ContentStore, load_content
from bot.content.check import main as check_main
from tests.conftest import CONTENT_DIR, ROOT


def valid_question(n: int = 1, **changes: Any) -> dict[str, Any]:
    q: dict[str, Any] = {
        "id": f"lowcode-{n:03d}",
        "domain": "lowcode",
        "subtopic": "bqml",
        "section": "1.1",
        "difficulty": "medium",
        "stem": f"Scenario number {n}: a retailer with sales data {n} in BigQuery wants a "
        f"forecast for store {n * 7}. What should you do?",
        "options": ["Option one text", "Option two text", "Option three text", "Option four"],
        "answer": ["B"],
        "explanation": "Option two is right because it fits. The others miss the constraint.",
        "links": ["https://cloud.google.com/bigquery/docs/e2e-journey"],
    }
    q.update(changes)
    return q


def make_content(tmp_path: Path, questions: list[dict[str, Any]] | str) -> Path:
    root = tmp_path / "content"
    (root / "questions").mkdir(parents=True)
    for name in ("blueprint.yaml", "study_plan.yaml", "resources.yaml", "names.yaml"):
        shutil.copy(CONTENT_DIR / name, root / name)
    path = root / "questions" / "lowcode-1.yaml"
    if isinstance(questions, str):
        path.write_text(questions)
    else:
        path.write_text(yaml.safe_dump({"questions": questions}, sort_keys=False))
    return root


def problems_for(tmp_path: Path, questions: list[dict[str, Any]] | str) -> list[str]:
    with pytest.raises(ContentError) as info:
        load_content(make_content(tmp_path, questions))
    return [str(p) for p in info.value.problems]


def test_shipped_content_loads(content: ContentStore) -> None:
    assert len(content.questions) >= 25
    for domain in content.blueprint.domains:
        assert len(content.by_domain[domain.id]) >= 5, domain.id
    assert len(content.plan.weeks) == 12
    assert {w.phase for w in content.plan.weeks} == {1, 2, 3, 4}
    assert set(content.resources.domains) == {d.id for d in content.blueprint.domains}


def test_check_cli_passes_on_shipped_content(capsys: pytest.CaptureFixture[str]) -> None:
    """`make check-content` on the shipped bank (true once the rewritten bank is merged)."""
    code = check_main(["check", str(CONTENT_DIR)])
    out = capsys.readouterr().out
    assert code == 0, out[out.find("problem(s):") :]
    assert "content OK" in out
    assert "official section" in out


def test_check_cli_exits_1_and_names_problems(tmp_path: Path) -> None:
    root = make_content(tmp_path, [valid_question(1), valid_question(1)])
    result = subprocess.run(
        [sys.executable, "-m", "bot.content", "check", str(root)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 1
    assert "lowcode-001" in result.stdout
    assert "duplicate id" in result.stdout


def test_valid_minimal_bank_loads(tmp_path: Path) -> None:
    store = load_content(make_content(tmp_path, [valid_question(1), valid_question(2)]))
    assert list(store.questions) == ["lowcode-001", "lowcode-002"]
    assert store.questions["lowcode-001"].grade("B")
    assert not store.questions["lowcode-001"].grade("A")


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"domain": "nope"}, "domain", "unknown domain"),
        ({"subtopic": "nope"}, "subtopic", "is not in lowcode"),
        ({"section": "9.9"}, "section", "unknown official section"),
        ({"options": ["a", "b", "c"]}, "options", "at least 4"),
        ({"options": ["a", "b", "c", "d", "e", "f", "g"]}, "options", "at most 6"),
        ({"answer": ["A", "B"]}, "(whole)", "exactly one key"),
        ({"answer": ["E"]}, "(whole)", "not one of the options"),
        ({"choose": 2, "answer": ["A", "B"]}, "(whole)", "must say 'Choose two.'"),
        (
            {"choose": 2, "answer": ["A"], "stem": "Which two apply here? Choose two."},
            "(whole)",
            "needs 2 keys",
        ),
        ({"explanation": ""}, "explanation", "at least 20"),
        (
            {"explanation": "Only one sentence explains the key here."},
            "explanation",
            "has 1 sentences",
        ),
        ({"links": []}, "links", "at least 1"),
        ({"links": ["http://cloud.google.com/x"]}, "links", "not an https link"),
        ({"links": ["https://example.com/docs"]}, "links", "not an https link"),
        ({"options": ["a", "b", "c", "All of the above"]}, "options", "all/none of the above"),
        ({"difficulty": "trivial"}, "difficulty", "easy"),
        ({"id": "data-001"}, "id", "must start with the domain id"),
        (
            {"links": [f"https://cloud.google.com/x{n}" for n in range(4)]},
            "links",
            "at most 3",
        ),
        ({"colour": "red"}, "colour", "Extra inputs"),
    ],
)
def test_each_rule_is_enforced(
    tmp_path: Path, change: dict[str, Any], field: str, message: str
) -> None:
    problems = problems_for(tmp_path, [valid_question(1, **change), valid_question(2)])
    assert any(field in p and message in p and "lowcode-1.yaml" in p for p in problems), problems
    bad_id = change.get("id", "lowcode-001")
    assert any(f"[{bad_id}]" in p for p in problems), problems


def test_duplicate_ids(tmp_path: Path) -> None:
    problems = problems_for(tmp_path, [valid_question(1), valid_question(1)])
    assert any("[lowcode-001] id: duplicate id" in p for p in problems)


def test_duplicate_stems_after_normalising(tmp_path: Path) -> None:
    first = valid_question(1)
    second = valid_question(2, stem="  " + first["stem"].upper().replace(" ", "   "))
    problems = problems_for(tmp_path, [first, second])
    assert any("[lowcode-002] stem: same stem as lowcode-001" in p for p in problems)


def test_near_duplicate_stems(tmp_path: Path) -> None:
    first = valid_question(1)
    second = valid_question(2, stem=first["stem"].replace("What should you do?", "What do?"))
    problems = problems_for(tmp_path, [first, second])
    assert any("[lowcode-002] stem: nearly the same stem" in p for p in problems)


def test_bad_yaml_is_reported_with_line(tmp_path: Path) -> None:
    problems = problems_for(tmp_path, "questions:\n  - id: x\n    stem: [unclosed\n")
    assert any("lowcode-1.yaml:" in p and "bad YAML" in p for p in problems), problems


def test_a_file_that_is_not_utf8_is_named(tmp_path: Path) -> None:
    root = make_content(tmp_path, [valid_question(1)])
    (root / "questions" / "latin1.yaml").write_bytes("questions: []\n# caf\xe9\n".encode("latin-1"))
    problems = [str(p) for p in _problems(root)]
    assert any("latin1.yaml" in p and "not UTF-8" in p for p in problems), problems


def test_yml_and_other_files_are_refused_by_name(tmp_path: Path) -> None:
    root = make_content(tmp_path, [valid_question(1)])
    (root / "questions" / "extra.yml").write_text("questions: []\n")
    (root / "questions" / "notes.txt").write_text("hello")
    problems = [str(p) for p in _problems(root)]
    assert any("extra.yml" in p and "rename it to .yaml" in p for p in problems), problems
    assert any("notes.txt" in p and "never read" in p for p in problems), problems


@pytest.mark.parametrize("text", ["", "questions:\n", "questions: []\n", "# only a comment\n"])
def test_an_empty_question_file_is_a_problem(tmp_path: Path, text: str) -> None:
    root = make_content(tmp_path, [valid_question(1)])
    (root / "questions" / "empty.yaml").write_text(text)
    problems = [str(p) for p in _problems(root)]
    assert any("empty.yaml" in p and "holds no questions" in p for p in problems), problems


def _problems(root: Path) -> list[Any]:
    with pytest.raises(ContentError) as info:
        load_content(root)
    return list(info.value.problems)


def test_weights_must_sum_to_100(tmp_path: Path) -> None:
    root = make_content(tmp_path, [valid_question(1)])
    bp = yaml.safe_load((root / "blueprint.yaml").read_text())
    bp["domains"][0]["weight"] = 30
    (root / "blueprint.yaml").write_text(yaml.safe_dump(bp))
    with pytest.raises(ContentError) as info:
        load_content(root)
    assert any("blueprint.yaml" in str(p) and "sum to 104" in str(p) for p in info.value.problems)


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(ContentError, match="content folder not found"):
        load_content(tmp_path / "nowhere")


def test_loader_leaves_editorial_rules_to_the_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The bot starts on a valid bank that the content check would still reject."""
    key_retired = valid_question(
        1, options=["Use AutoML Tables", "b", "c", "d"], answer=["A"], reviewed=None
    )
    former_name = valid_question(2, stem="A team uses Vertex AI Pipelines today. What now?")
    root = make_content(tmp_path, [key_retired, former_name, valid_question(3)])
    bp = yaml.safe_load((root / "blueprint.yaml").read_text())
    bp["exam"]["bank_minimum"] = 3  # balance rules bind, and are still not the loader's
    (root / "blueprint.yaml").write_text(yaml.safe_dump(bp))
    store = load_content(root)
    assert len(store.questions) == 3
    assert check_main(["check", str(root)]) == 1
    out = capsys.readouterr().out
    assert "[lowcode-001] answer: key A names 'AutoML Tables'" in out
    assert "[lowcode-002] stem: says 'Vertex AI Pipelines' without the current name" in out
    assert "no 'reviewed: YYYY-MM': lowcode-001" in out
    assert "[data] domain: 0.0% of the bank" in out
