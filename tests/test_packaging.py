"""The wheel is the whole bot: installed in a fresh venv, `studybot check` and `studybot
migrate` work with no source tree (the migrations and the question bank come with it)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT


def run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, f"{args}: {done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with only the built wheel (and its dependencies) installed."""
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    if uv is None:
        pytest.skip("uv is needed to build a fresh venv quickly (make test installs it)")
    work = tmp_path_factory.mktemp("wheel")
    build_log = run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", work, ROOT, cwd=work)
    assert "Warning" not in build_log, build_log  # a quiet build: no deprecation wall
    assert "deprecat" not in build_log.lower(), build_log
    (wheel,) = work.glob("pmle_study_bot-*.whl")
    venv = work / "venv"
    run(uv, "venv", "--quiet", "--python", sys.executable, venv, cwd=work)
    run(uv, "pip", "install", "--quiet", "--python", venv / "bin" / "python", wheel, cwd=work)
    return venv


def test_the_wheel_checks_its_content_and_migrates_with_no_source_tree(
    installed: Path, tmp_path: Path
) -> None:
    away = tmp_path / "elsewhere"  # no content/ here, and the source tree is not on the path
    away.mkdir()
    env = {
        "PATH": f"{installed / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        "DATABASE_URL": f"sqlite:///{away / 'bot.db'}",
        "HOME": str(tmp_path),
    }
    checked = run(installed / "bin" / "studybot", "check", cwd=away, env=env)
    assert "content OK" in checked
    migrated = run(installed / "bin" / "studybot", "migrate", cwd=away, env=env)
    assert "latest schema" in migrated
    conn = sqlite3.connect(away / "bot.db")
    (version,) = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    conn.close()
    heads = sorted(
        p.name.split("_")[0] for p in (ROOT / "bot" / "migrations" / "versions").glob("0*.py")
    )
    assert version == heads[-1]
    started = subprocess.run(
        [installed / "bin" / "studybot"],
        cwd=away,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    # Every module of the source tree is in the wheel (a new subpackage must be listed in
    # pyproject.toml): imported from the installed bot, away from the source tree.
    modules = sorted(
        ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for package in ("bot", "cogs")
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts
    )
    python = installed / "bin" / "python"
    imported = run(
        python,
        "-c",
        "import importlib, sys; [importlib.import_module(m) for m in sys.argv[1:]]; "
        "print('imported', len(sys.argv) - 1)",
        *modules,
        cwd=away,
        env=env,
    )
    assert f"imported {len(modules)}" in imported
    assert started.returncode == 2  # no token: the one-line answer, from the installed bot
    assert "DISCORD_TOKEN is not set" in started.stderr
    imported = run(
        installed / "bin" / "python", "-c", "import bot; print(bot.__file__)", cwd=away, env=env
    )
    assert str(ROOT) not in imported  # it really ran the installed copy
