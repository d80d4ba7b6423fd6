"""The layers of ARCHITECTURE.md, held by reading the code's imports and attributes."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# namedtuple's documented methods carry an underscore so as not to clash with field names
PUBLIC_UNDERSCORE = {"_make", "_replace", "_asdict", "_fields"}


def modules(*globs: str) -> list[Path]:
    return sorted(p for g in globs for p in ROOT.glob(g))


def imported(path: Path) -> Iterator[tuple[int, str]]:
    """(line, module) for every import in the file (relative imports resolved)."""
    inside = path.is_relative_to(ROOT)
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1]) if inside else ""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            for alias in node.names:
                yield node.lineno, f"{base}.{alias.name}" if base else alias.name


def breaches(paths: list[Path], forbidden: tuple[str, ...]) -> list[str]:
    found = []
    for path in paths:
        for line, module in imported(path):
            if any(module == f or module.startswith(f + ".") for f in forbidden):
                found.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    return found


def test_services_import_no_discord_and_no_cog() -> None:
    assert breaches(modules("bot/services/**/*.py"), ("discord", "cogs", "bot.db")) == []


def test_bot_imports_no_cog() -> None:
    assert breaches(modules("bot/**/*.py"), ("cogs",)) == []


def test_cogs_use_services_not_models_or_sql() -> None:
    forbidden = ("sqlalchemy", "bot.models", "bot.db")
    assert breaches(modules("cogs/**/*.py"), forbidden) == []


def test_no_cog_imports_another_cog() -> None:
    found = []
    for path in modules("cogs/**/*.py"):
        own = path.relative_to(ROOT / "cogs").parts[0].removesuffix(".py")
        for line, module in imported(path):
            parts = module.split(".")
            if parts[0] == "cogs" and len(parts) > 1 and parts[1] != own:
                found.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    assert found == []


def private_uses(path: Path) -> Iterator[str]:
    """Underscore names of other modules: imported, or read as attributes of something that
    is not `self` or `cls`."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module != "__future__":
            if any(part.startswith("_") for part in node.module.split(".")):
                yield f"{node.lineno}: from {node.module}"
            for alias in node.names:
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    yield f"{node.lineno}: imports {alias.name} from {node.module}"
        elif isinstance(node, ast.Attribute):
            name = node.attr
            if not name.startswith("_") or name.startswith("__") or name in PUBLIC_UNDERSCORE:
                continue
            owner = node.value
            if isinstance(owner, ast.Name) and owner.id in ("self", "cls"):
                continue
            yield f"{node.lineno}: .{name}"


@pytest.mark.parametrize("area", ["bot", "cogs"])
def test_no_private_names_of_other_modules(area: str) -> None:
    found = [
        f"{path.relative_to(ROOT)}:{use}"
        for path in modules(f"{area}/**/*.py")
        for use in private_uses(path)
    ]
    assert found == []


def test_the_checks_find_what_they_look_for(tmp_path: Path) -> None:
    """The rules above can fail: a file breaking each is caught."""
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import discord\n"
        "from sqlalchemy.util.concurrency import await_\n"
        "from other import _hidden\n"
        "x = connection._conn\n"
        "y = self._mine\n",
        encoding="utf-8",
    )
    assert [m for _, m in imported(bad)] == [
        "discord",
        "sqlalchemy.util.concurrency.await_",
        "other._hidden",
    ]
    assert list(private_uses(bad)) == ["3: imports _hidden from other", "4: ._conn"]
