"""Rule 5: one naming table (content/names.yaml), and the answer-cue tool writers run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from bot.content.models import Checks, Question
from bot.content.names import NameTable, check_names
from tests.conftest import CONTENT_DIR, ROOT
from tests.test_content_bank import build_questions, by_id, run_check, write_bank
from tests.test_content_check import Bank, broken

TABLE = NameTable.model_validate(yaml.safe_load((CONTENT_DIR / "names.yaml").read_text()))


def product(name: str) -> Any:
    for p in TABLE.products:
        if name in p.names:
            return p
    raise KeyError(name)


def problems_in(**changes: Any) -> list[str]:
    """Naming problems of one synthetic question with `changes` applied."""
    raw = by_id(build_questions(), "alpha-002") | changes
    q = Question.model_validate(raw)
    block = check_names(TABLE, [q], {q.id: "q.yaml"}, Checks())
    return [str(p) for p in block.problems]


# -- the table ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("Agent Platform", "renamed"),
        ("Gemini Enterprise Agent Platform", "renamed"),
        ("Agent Platform Pipelines", "renamed"),
        ("Agent Platform Workbench", "renamed"),
        ("Colab Enterprise", "current"),
        ("Agent Platform Model Registry", "renamed"),
        ("Agent Platform Feature Store", "renamed"),
        ("Experiments on Agent Platform", "renamed"),
        ("Vertex AI TensorBoard", "current"),
        ("Agent Platform ML Metadata", "renamed"),
        ("Model Monitoring on Agent Platform", "renamed"),
        ("Agent Platform AutoML", "renamed"),
        ("Ray on Agent Platform", "renamed"),
        ("Agent Platform Endpoints", "renamed"),
        ("Model Garden", "renamed"),
        ("Agent Studio", "renamed"),
        ("RAG Engine", "renamed"),
        ("Vector Search", "renamed"),
        ("Agent Search", "renamed"),
        ("Agent Runtime", "renamed"),
        ("Gen AI evaluation service", "current"),
        ("Model Armor", "current"),
        ("Managed Service for Apache Spark", "renamed"),
        ("Managed Service for Apache Airflow", "renamed"),
        ("Sensitive Data Protection", "renamed"),
        ("Knowledge Catalog", "renamed"),
        ("AutoML Tables", "retired"),
        ("AI Platform Training", "retired"),
        ("AI Platform Prediction", "retired"),
        ("AI Platform Notebooks", "retired"),
        ("user-managed notebooks", "retired"),
        ("managed notebooks instances", "retired"),
        ("Datalab", "retired"),
        ("Feature Store (Legacy)", "deprecated"),
        ("Vertex Explainable AI", "deprecated"),
        ("Data Catalog", "retired"),
        ("Generative AI module in the Vertex AI SDK", "retired"),
        ("Agent Platform Inference", "invalid"),
        ("Agent Platform Managed Training", "invalid"),
        ("Agent Platform TensorBoard", "invalid"),
        ("Agent Platform RAG Engine", "invalid"),
    ],
)
def test_table_names_each_product(name: str, status: str) -> None:
    p = product(name)
    assert p.status == status
    assert p.docs.startswith("https://")


@pytest.mark.parametrize(
    ("former", "current"),
    [
        ("Vertex AI", "Agent Platform"),
        ("Vertex AI Pipelines", "Agent Platform Pipelines"),
        ("Vertex ML Metadata", "Agent Platform ML Metadata"),
        ("Vertex AI Search", "Agent Search"),
        ("Agent Engine", "Agent Runtime"),
        ("Dataproc", "Managed Service for Apache Spark"),
        ("Cloud Composer", "Managed Service for Apache Airflow"),
        ("Cloud DLP", "Sensitive Data Protection"),
        ("Dataplex Universal Catalog", "Knowledge Catalog"),
    ],
)
def test_table_records_former_names(former: str, current: str) -> None:
    assert former in product(current).former


def test_explainable_ai_deprecation_date() -> None:
    assert str(product("Vertex Explainable AI").since).startswith("2026-03-16")


@pytest.mark.parametrize(
    ("products", "message"),
    [
        (
            [{"name": "A", "status": "current", "docs": "https://x"}] * 2,
            "'A' is listed twice",
        ),
        ([{"name": "A", "status": "renamed", "docs": "https://x"}], "lists its former names"),
        ([{"name": "A", "status": "invalid", "docs": "https://x"}], "use: …"),
        ([{"name": "A", "status": "gone", "docs": "https://x"}], "status"),
    ],
)
def test_table_is_validated(products: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        NameTable.model_validate({"products": products})


# -- the rules ---------------------------------------------------------------------------
def _into_key(q: dict[str, Any], phrase: str) -> None:
    i = "ABCDE".index(q["answer"][0])
    old = q["options"][i]
    q["options"][i] = (phrase + " " + old)[: len(old)]  # same length: no new length cue


def test_retired_product_in_a_key(tmp_path: Path, capsys: Any) -> None:
    def mutate(qs: Bank, bp: dict[str, Any]) -> None:
        _into_key(by_id(qs, "alpha-002"), "Train with AutoML Tables")

    code, out = broken(tmp_path, capsys, mutate)
    assert code == 1
    assert (
        "[alpha-002] answer: key B names 'AutoML Tables' "
        "(retired 2024-03-31; use Agent Platform AutoML (tabular))"
    ) in out


def test_deprecated_product_in_a_key() -> None:
    q = by_id(build_questions(), "alpha-002")
    _into_key(q, "Use Vertex Explainable AI")
    problems = problems_in(options=q["options"])
    assert any("key B names 'Vertex Explainable AI' (deprecated 2026-03-16" in p for p in problems)


def test_retired_product_in_a_distractor_is_fine() -> None:
    q = by_id(build_questions(), "alpha-002")
    q["options"][0] = ("Train with AutoML Tables " + q["options"][0])[: len(q["options"][0])]
    assert q["answer"] != ["A"]
    assert problems_in(options=q["options"]) == []


@pytest.mark.parametrize(
    ("sentence", "message"),
    [
        (
            "They run Vertex AI Pipelines nightly.",
            "stem: says 'Vertex AI Pipelines' without the current name: write "
            "'Agent Platform Pipelines' (with '(formerly Vertex AI Pipelines)' the first time)",
        ),
        (
            "They schedule it in Cloud Composer.",
            "says 'Cloud Composer' without the current name: write "
            "'Managed Service for Apache Airflow'",
        ),
        ("They trained it on Vertex AI last year.", "says 'Vertex AI' without the current name"),
        ("Lineage sits in Vertex ML Metadata.", "says 'Vertex ML Metadata' without"),
    ],
)
def test_former_name_without_the_current_one(sentence: str, message: str) -> None:
    stem = by_id(build_questions(), "alpha-002")["stem"] + " " + sentence
    problems = problems_in(stem=stem)
    assert any(message in p for p in problems), problems


@pytest.mark.parametrize(
    "sentence",
    [
        "They run Agent Platform Pipelines (formerly Vertex AI Pipelines) nightly.",
        "They run pipelines on what was previously Vertex AI Pipelines.",
        "The product was renamed from Vertex AI Pipelines last spring.",
        "They run Vertex AI Pipelines, now Agent Platform Pipelines, nightly.",
        "They use Managed Service for Apache Airflow (formerly Cloud Composer) and Agent "
        "Platform (formerly Vertex AI Training and Vertex AI Prediction).",
        "They moved from cloud functions in general to Cloud Run functions.",
    ],
)
def test_former_name_introduced_as_such(sentence: str) -> None:
    stem = by_id(build_questions(), "alpha-002")["stem"] + " " + sentence
    assert problems_in(stem=stem) == []


def test_one_product_two_names_across_the_bank(tmp_path: Path, capsys: Any) -> None:
    def mutate(qs: Bank, bp: dict[str, Any]) -> None:
        q = by_id(qs, "alpha-002")
        q["stem"] += " Lineage goes to Agent Platform ML Metadata (formerly Vertex ML Metadata)."
        q["explanation"] += " Vertex ML Metadata keeps the lineage graph."
        by_id(qs, "beta-002")["stem"] += " Lineage goes to Agent Platform ML Metadata."

    code, out = broken(tmp_path, capsys, mutate)
    assert code == 1
    assert (
        "[Agent Platform ML Metadata] names: one product, two names across the bank: "
        "'Agent Platform ML Metadata' in 2 question(s) (alpha-002, beta-002); "
        "'Vertex ML Metadata' in 1 question(s) (alpha-002); use 'Agent Platform ML Metadata'"
    ) in out
    assert "without the current name" not in out  # the question itself names it


def test_invalid_name_anywhere(tmp_path: Path, capsys: Any) -> None:
    def mutate(qs: Bank, bp: dict[str, Any]) -> None:
        bp["exam"]["bank_minimum"] = 1000  # naming rules bind below the bank minimum too
        by_id(qs, "beta-003")["explanation"] += " Agent Platform Inference serves it."

    code, out = broken(tmp_path, capsys, mutate)
    assert code == 1
    assert (
        "[beta-003] explanation: 'Agent Platform Inference' is not a name Google's "
        "documentation uses; write online inference or batch inference on Agent Platform"
    ) in out


@pytest.mark.parametrize(("old", "code"), [(15, 0), (20, 1)])
def test_share_of_links_to_old_pages(tmp_path: Path, capsys: Any, old: int, code: int) -> None:
    def mutate(qs: Bank, bp: dict[str, Any]) -> None:
        for n, q in enumerate(qs[:old]):
            q["links"] = [f"https://cloud.google.com/vertex-ai/docs/page-{n}"]

    got, out = broken(tmp_path, capsys, mutate)
    assert got == code, out
    assert f"to the old …/vertex-ai/ pages: {old} = {old:.1f}% (at most 15%)" in out
    if code:
        assert "20.0% of links point at the old cloud.google.com/vertex-ai pages" in out


def test_unknown_platform_names_are_reported(tmp_path: Path, capsys: Any) -> None:
    def mutate(qs: Bank, bp: dict[str, Any]) -> None:
        by_id(qs, "alpha-004")["stem"] += " They tried Agent Platform Widget Studio."

    code, out = broken(tmp_path, capsys, mutate)
    assert code == 0
    assert "not in the table (add them if they are product names): " in out
    assert "'Agent Platform Widget Studio' ×1" in out


def test_missing_names_table(tmp_path: Path, capsys: Any) -> None:
    root = write_bank(tmp_path / "content", build_questions())
    (root / "names.yaml").unlink()
    code, out = run_check(root, capsys)
    assert code == 1
    assert "content/names.yaml: file is missing" in out


# -- the cue tool --------------------------------------------------------------------------
def test_cue_tool_prints_figures_per_domain(tmp_path: Path) -> None:
    root = write_bank(tmp_path / "content", build_questions())
    files = sorted(str(p) for p in (root / "questions").glob("*.yaml"))
    result = subprocess.run(
        [sys.executable, "-m", "bot.content.cues", *files],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    out = result.stdout
    assert "100 questions (limits from content/blueprint.yaml)" in out
    for group in ("[all]", "[alpha]", "[beta]"):
        assert group in out
    assert "key strictly shortest: 26% of 82 single-select (at most 30%)" in out
    assert "BREACH" not in out


def test_cue_tool_flags_a_breach(tmp_path: Path) -> None:
    questions = build_questions()
    for q in questions:
        if "choose" in q:
            q["answer"] = list("ABCDE"[: q["choose"]])
    root = write_bank(tmp_path / "content", questions)
    result = subprocess.run(
        [sys.executable, "-m", "bot.content.cues", str(root / "questions" / "beta-1.yaml")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    assert "BREACH: the blind strategy scores 100% on 8 multiple-select questions" in result.stdout
