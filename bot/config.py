"""Settings from the environment and `.env`, validated once at start-up."""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

DEFAULT_DATABASE_URL = "sqlite:///data/studybot.db"
# sqlite+aiosqlite is what earlier versions wrote in .env: it means the same file
SUPPORTED_DRIVERS = ("sqlite", "sqlite+pysqlite", "sqlite+aiosqlite", "postgresql+asyncpg")
LOG_LEVELS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")
LOG_FORMATS = ("text", "json")
DEFAULT_CONTENT = Path("content")


def packaged_content() -> Path:
    """The question bank that came with the bot: installed with the package (a wheel
    carries content/ as `studybot_content`), or the source tree's own content/."""
    spec = find_spec("studybot_content")
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    return Path(__file__).resolve().parent.parent / "content"


class ToolSettings(BaseSettings):
    """What every `studybot` command reads (no token needed): every key is documented in
    `.env.example`."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    database_url: str = DEFAULT_DATABASE_URL
    content_dir: Path = DEFAULT_CONTENT
    log_level: str = "INFO"
    log_format: str = "text"
    backup_dir: Path | None = None
    backup_keep: int = Field(default=7, ge=1, le=365)
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    metrics_host: str = "127.0.0.1"

    @field_validator("backup_dir", "metrics_port", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("content_dir")
    @classmethod
    def _content_found(cls, value: Path) -> Path:
        # run from anywhere after `pip install`: the bank that came with the package
        if value == DEFAULT_CONTENT and not value.exists():
            return packaged_content()
        return value

    @field_validator("log_format")
    @classmethod
    def _valid_format(cls, value: str) -> str:
        fmt = value.lower()
        if fmt not in LOG_FORMATS:
            raise ValueError(f"must be one of {', '.join(LOG_FORMATS)}")
        return fmt

    @field_validator("database_url")
    @classmethod
    def _valid_url(cls, value: str) -> str:
        try:
            url = make_url(value)
        except ArgumentError:
            raise ValueError(
                "is not a database URL (expected e.g. sqlite:///data/studybot.db "
                "or postgresql+asyncpg://user@host/dbname)"
            ) from None
        if url.drivername not in SUPPORTED_DRIVERS:
            raise ValueError(
                f"uses driver {url.drivername!r}; use one of {', '.join(SUPPORTED_DRIVERS)}"
            )
        return value

    @field_validator("log_level")
    @classmethod
    def _valid_level(cls, value: str) -> str:
        level = value.upper()
        if level not in LOG_LEVELS:
            raise ValueError(f"must be one of {', '.join(LOG_LEVELS)}")
        return level


class Settings(ToolSettings):
    """The bot's settings: the tool settings and what talking to Discord needs."""

    discord_token: SecretStr = Field(min_length=1)
    dev_guild_id: int | None = None
    shard_count: int | None = Field(default=None, ge=1)
    shard_ids: list[int] | None = None
    owner_ids: list[int] = Field(default_factory=list)

    @field_validator("dev_guild_id", "shard_count", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("shard_ids", "owner_ids", mode="before")
    @classmethod
    def _comma_list(cls, value: object) -> object:
        if isinstance(value, str):
            return [int(part) for part in value.replace(" ", "").split(",") if part]
        if isinstance(value, int):
            return [value]
        return value

    @model_validator(mode="after")
    def _shards_fit(self) -> Settings:
        if self.shard_ids and self.shard_count is None:
            raise ValueError("SHARD_IDS needs SHARD_COUNT")
        if self.shard_ids and self.shard_count is not None:
            bad = [i for i in self.shard_ids if not 0 <= i < self.shard_count]
            if bad:
                raise ValueError(f"SHARD_IDS {bad} are outside 0..{self.shard_count - 1}")
        return self


def describe_error(exc: Exception) -> str:
    """One line for a settings error, naming what to set and where."""
    from pydantic import ValidationError

    if not isinstance(exc, ValidationError):
        return str(exc)
    parts = []
    for err in exc.errors():
        field = ".".join(str(p) for p in err["loc"]).upper() or "settings"
        if field == "DISCORD_TOKEN" and (err["type"] == "missing" or not err.get("input")):
            return (
                "DISCORD_TOKEN is not set: copy .env.example to .env and put your bot token "
                "there (or export DISCORD_TOKEN), then run again."
            )
        msg = err["msg"].removeprefix("Value error, ")
        parts.append(f"{field} {msg}")
    return "Invalid settings: " + "; ".join(parts) + " (see .env.example)."
