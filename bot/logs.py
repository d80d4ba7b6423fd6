"""Logging: configured once, as text or one JSON object per line, secrets never written.

Every line logged while an interaction or a scheduled send is handled carries its context
(guild, user, command or custom_id, delivery key …): `context(...)` sets it for the task
at hand, a filter copies it onto each record, and both formats print it.
"""

from __future__ import annotations

import contextvars
import json
import logging
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s%(where)s"
_CONTEXT: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "log_context", default=None
)


@contextmanager
def context(**fields: Any) -> Iterator[None]:
    """Add `fields` (guild=…, user=…, command=…) to every line logged inside the block."""
    merged = {**(_CONTEXT.get() or {}), **{k: v for k, v in fields.items() if v is not None}}
    token = _CONTEXT.set(merged)
    try:
        yield
    finally:
        _CONTEXT.reset(token)


def bind(**fields: Any) -> None:
    """Add `fields` to the context of the current task (for code that cannot wrap a block,
    such as a command check: the task ends with the interaction)."""
    _CONTEXT.set({**(_CONTEXT.get() or {}), **{k: v for k, v in fields.items() if v is not None}})


class RedactSecrets(logging.Filter):
    """Replace any secret (the bot token) in a record with a placeholder."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "[redacted]")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        if any(s in message for s in self.secrets):
            record.msg, record.args = self.redact(message), None
        if record.exc_info and record.exc_text is None:
            record.exc_text = self.redact(logging.Formatter().formatException(record.exc_info))
        return True


class AddContext(logging.Filter):
    """Copy the current context onto the record (`record.context`, and `where` as text)."""

    def filter(self, record: logging.LogRecord) -> bool:
        fields = _CONTEXT.get() or {}
        record.context = fields
        record.where = (
            (" [" + " ".join(f"{k}={v}" for k, v in fields.items()) + "]") if fields else ""
        )
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the context, and the
    traceback when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "context", None) or {})
        if record.exc_info:
            entry["exception"] = record.exc_text or self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def setup_logging(level: str = "INFO", secrets: Iterable[str] = (), fmt: str = "text") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(FORMAT))
    handler.addFilter(RedactSecrets(secrets))
    handler.addFilter(AddContext())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("discord").setLevel(max(logging.INFO, logging.getLevelName(level)))
    logging.getLogger("discord.http").setLevel(logging.WARNING)
    logging.getLogger("discord.gateway").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
