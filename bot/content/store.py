"""Load the content directory into an immutable, indexed ContentStore."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from bot.content.models import Blueprint, Domain, PlanWeek, Question, Resources, StudyPlan

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the content, named by file, question id and field."""

    file: str
    item: str
    field: str
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.item:
            where += f" [{self.item}]"
        if self.field:
            where += f" {self.field}"
        return f"{where}: {self.message}"


class ContentError(Exception):
    """The content failed validation; `problems` says where and why."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        first = problems[0] if problems else "no content"
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(f"invalid content: {first}{more}")


@dataclass(frozen=True)
class ContentStore:
    """Everything the bot teaches, validated and indexed. Never mutated after loading."""

    blueprint: Blueprint
    questions: Mapping[str, Question]
    plan: StudyPlan
    resources: Resources
    by_domain: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    by_subtopic: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    by_section: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        blueprint: Blueprint,
        questions: Iterable[Question],
        plan: StudyPlan,
        resources: Resources,
    ) -> ContentStore:
        ordered = sorted(questions, key=lambda q: q.id)
        by_domain: dict[str, list[str]] = {d.id: [] for d in blueprint.domains}
        by_subtopic: dict[str, list[str]] = {}
        by_section: dict[str, list[str]] = {s.id: [] for s in blueprint.official_sections}
        for q in ordered:
            by_domain.setdefault(q.domain, []).append(q.id)
            by_subtopic.setdefault(f"{q.domain}.{q.subtopic}", []).append(q.id)
            by_section.setdefault(q.section.split(".")[0], []).append(q.id)

        def freeze(d: dict[str, list[str]]) -> Mapping[str, tuple[str, ...]]:
            return MappingProxyType({k: tuple(v) for k, v in d.items()})

        return cls(
            blueprint=blueprint,
            questions=MappingProxyType({q.id: q for q in ordered}),
            plan=plan,
            resources=resources,
            by_domain=freeze(by_domain),
            by_subtopic=freeze(by_subtopic),
            by_section=freeze(by_section),
        )

    # -- lookups ---------------------------------------------------------------------------
    def domain(self, domain_id: str) -> Domain:
        for d in self.blueprint.domains:
            if d.id == domain_id:
                return d
        raise KeyError(domain_id)

    def domain_name(self, domain_id: str) -> str:
        return self.domain(domain_id).name

    def subtopic_name(self, topic: str) -> str:
        """Name of 'domain.subtopic'."""
        domain_id, _, sub = topic.partition(".")
        for s in self.domain(domain_id).subtopics:
            if s.id == sub:
                return s.name
        raise KeyError(topic)

    def section_name(self, section_id: str) -> str:
        for s in self.blueprint.official_sections:
            if s.id == section_id:
                return s.name
        raise KeyError(section_id)

    def week(self, number: int) -> PlanWeek:
        weeks = self.plan.weeks
        return weeks[max(1, min(number, len(weeks))) - 1]

    def weights(self, scheme: str) -> dict[str, int]:
        """Weights by domain ('domains') or by official section ('official')."""
        if scheme == "official":
            return {s.id: s.weight for s in self.blueprint.official_sections}
        return {d.id: d.weight for d in self.blueprint.domains}

    def pool(self, scheme: str, bucket: str) -> tuple[str, ...]:
        index = self.by_section if scheme == "official" else self.by_domain
        return index.get(bucket, ())

    def counts(self) -> dict[str, int]:
        return {d: len(ids) for d, ids in self.by_domain.items()}


# -- loading -------------------------------------------------------------------------------
def _read_yaml(path: Path, root: Path, problems: list[Problem]) -> Any:
    rel = str(path.relative_to(root.parent)) if path.is_relative_to(root.parent) else str(path)
    try:
        with path.open(encoding="utf-8") as fh:
            return yaml.safe_load(fh)
    except FileNotFoundError:
        problems.append(Problem(rel, "", "", "file is missing"))
    except UnicodeDecodeError as exc:
        problems.append(
            Problem(rel, "", "", f"is not UTF-8 text (byte {exc.start}); save it as UTF-8")
        )
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        reason = getattr(exc, "problem", None) or str(exc)
        problems.append(Problem(f"{rel}{line}", "", "", f"bad YAML: {reason}"))
    return None


def _validate(model: type[M], data: Any, file: str, item: str, problems: list[Problem]) -> M | None:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"]) or "(whole)"
            msg = err["msg"].removeprefix("Value error, ")
            problems.append(Problem(file, item, loc, msg))
    return None


def _rel(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root.parent))
    except ValueError:
        return str(path)


def load_parts(
    root: Path,
) -> tuple[
    Blueprint | None,
    list[Question],
    StudyPlan | None,
    Resources | None,
    dict[str, str],
    list[Problem],
]:
    """Parse and validate every file; return what loaded and every problem found."""
    problems: list[Problem] = []
    if not root.is_dir():
        return None, [], None, None, {}, [Problem(str(root), "", "", "content folder not found")]

    bp_path = root / "blueprint.yaml"
    blueprint = _validate(
        Blueprint, _read_yaml(bp_path, root, problems), _rel(bp_path, root), "", problems
    )
    questions: list[Question] = []
    origin: dict[str, str] = {}
    folder = root / "questions"
    files = sorted(folder.glob("*.yaml"))
    for path in sorted(p for p in folder.glob("*") if p.suffix.lower() != ".yaml"):
        why = "rename it to .yaml" if path.suffix.lower() == ".yml" else "not a .yaml file"
        problems.append(Problem(_rel(path, root), "", "", f"is never read: {why}"))
    if not files:
        problems.append(Problem(_rel(folder, root), "", "", "no question files"))
    for path in files:
        rel = _rel(path, root)
        data = _read_yaml(path, root, problems)
        items = data.get("questions") if isinstance(data, dict) else None
        if data is None and not path.exists():
            continue
        if not isinstance(items, list) or not items:
            if not any(p.file.startswith(rel) for p in problems):  # not already reported
                problems.append(
                    Problem(rel, "", "questions", "holds no questions (a list under 'questions:')")
                )
            continue
        for n, raw in enumerate(items, 1):
            qid = str(raw.get("id", f"#{n}")) if isinstance(raw, dict) else f"#{n}"
            q = _validate(Question, raw, rel, qid, problems)
            if q is None:
                continue
            if q.id in origin:
                problems.append(Problem(rel, q.id, "id", f"duplicate id (also in {origin[q.id]})"))
                continue
            origin[q.id] = rel
            questions.append(q)

    plan_path = root / "study_plan.yaml"
    plan = _validate(
        StudyPlan, _read_yaml(plan_path, root, problems), _rel(plan_path, root), "", problems
    )
    res_path = root / "resources.yaml"
    resources = _validate(
        Resources, _read_yaml(res_path, root, problems), _rel(res_path, root), "", problems
    )
    return blueprint, questions, plan, resources, origin, problems


def load_content(root: Path | str) -> ContentStore:
    """Load `root`; raise ContentError naming every problem the bot cannot run with.

    Editorial rules (balance, answer cues, names, freshness) are the content check's
    business (`python -m bot.content check`), not the bot's: the bot starts on a bank that
    is valid but not yet polished.
    """
    from bot.content.rules import structural_problems

    root = Path(root)
    blueprint, questions, plan, resources, origin, problems = load_parts(root)
    if blueprint is not None and plan is not None and resources is not None:
        problems += structural_problems(blueprint, questions, plan, resources, origin)
    if problems or blueprint is None or plan is None or resources is None:
        raise ContentError(sorted(problems))
    return ContentStore.build(blueprint, questions, plan, resources)


__all__ = [
    "ContentError",
    "ContentStore",
    "Problem",
    "load_content",
    "load_parts",
]
