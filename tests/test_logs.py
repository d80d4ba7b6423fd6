"""Logs: one JSON object per line with the context of the interaction or send; no token."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from bot import logs


@pytest.fixture(autouse=True)
def _keep_handlers() -> Iterator[None]:
    """setup_logging replaces the root handlers: put pytest's back afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def capture(fmt: str, token: str) -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    logs.setup_logging("INFO", secrets=[token], fmt=fmt)
    handler = logging.getLogger().handlers[0]
    handler.setStream(stream)  # type: ignore[attr-defined]
    return logging.getLogger("bot.test"), stream


def test_json_lines_carry_the_context_and_never_the_token() -> None:
    token = "MTIz.secret.token"
    log, stream = capture("json", token)
    with logs.context(guild=5, user=7, custom_id="quiz:a:1:0:B"):
        log.info("answered %s", "B")
        with logs.context(key="remind:7:2"):
            log.warning("token %s leaked?", token)
    try:
        raise RuntimeError(f"boom {token}")
    except RuntimeError:
        log.exception("failed")
    log.info("no context")
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert lines[0]["message"] == "answered B"
    assert (lines[0]["guild"], lines[0]["user"], lines[0]["custom_id"]) == (5, 7, "quiz:a:1:0:B")
    assert lines[0]["level"] == "INFO"
    assert lines[0]["logger"] == "bot.test"
    assert lines[1]["key"] == "remind:7:2"
    assert lines[1]["guild"] == 5  # contexts nest
    assert "[redacted]" in lines[1]["message"]
    assert "RuntimeError" in lines[2]["exception"]
    assert token not in stream.getvalue()
    assert "guild" not in lines[3]


def test_text_lines_show_the_context_too() -> None:
    log, stream = capture("text", "t0ken")
    with logs.context(guild=5, command="quiz"):
        log.info("hello")
    assert stream.getvalue().rstrip().endswith("bot.test: hello [guild=5 command=quiz]")
