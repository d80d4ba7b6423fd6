"""`python -m bot` as a user runs it: clear one-line errors and exit 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT


def run_bot(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DISCORD_TOKEN", "DATABASE_URL", "CONTENT_DIR", "DEV_GUILD_ID"}
    }
    base["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "bot"],
        env={**base, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_without_token_exits_2_with_one_line(tmp_path: Path) -> None:
    result = run_bot({}, tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "DISCORD_TOKEN is not set" in lines[0]
    assert ".env.example" in lines[0]
    assert "Traceback" not in result.stderr


def test_malformed_database_url_exits_2(tmp_path: Path) -> None:
    result = run_bot({"DISCORD_TOKEN": "t", "DATABASE_URL": "nonsense"}, tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "DATABASE_URL" in result.stderr


def test_unreachable_database_exits_2(tmp_path: Path) -> None:
    url = "postgresql+asyncpg://nobody@127.0.0.1:1/none"
    result = run_bot({"DISCORD_TOKEN": "t", "DATABASE_URL": url}, tmp_path)
    assert result.returncode == 2
    assert "cannot reach the database" in result.stderr
    assert "Traceback" not in result.stderr


def test_invalid_content_refuses_to_start(tmp_path: Path) -> None:
    bad = tmp_path / "content"
    (bad / "questions").mkdir(parents=True)
    for name in ("blueprint.yaml", "study_plan.yaml", "resources.yaml"):
        (bad / name).write_text((ROOT / "content" / name).read_text())
    (bad / "questions" / "x.yaml").write_text(
        "questions:\n  - id: lowcode-001\n    domain: lowcode\n"
    )
    env = {
        "DISCORD_TOKEN": "t",
        "CONTENT_DIR": str(bad),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
    }
    result = run_bot(env, tmp_path)
    assert result.returncode == 2
    assert "x.yaml [lowcode-001]" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("token", ["abc.def.secret"])
def test_token_never_logged(token: str) -> None:
    import logging

    from bot.logs import RedactSecrets

    record = logging.LogRecord("x", logging.INFO, "f", 1, "token is %s", (token,), None)
    RedactSecrets([token]).filter(record)
    assert token not in record.getMessage()
    assert "[redacted]" in record.getMessage()
