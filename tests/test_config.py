from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.config import (
    DEFAULT_DATABASE_URL,
    Settings,
    ToolSettings,
    describe_error,
    packaged_content,
)


def settings_error(**env: str) -> str:
    with pytest.raises(ValidationError) as info:
        Settings(**env)  # type: ignore[arg-type]
    return describe_error(info.value)


def test_defaults(clean_env: Path) -> None:
    s = Settings(discord_token="abc")  # type: ignore[arg-type]
    assert s.database_url == DEFAULT_DATABASE_URL
    # no content/ where the bot runs: the bank that came with it
    assert s.content_dir == packaged_content()
    assert (s.content_dir / "blueprint.yaml").exists()
    assert s.dev_guild_id is None
    assert s.log_level == "INFO"
    assert (s.log_format, s.backup_dir, s.backup_keep) == ("text", None, 7)
    assert (s.metrics_port, s.metrics_host) == (None, "127.0.0.1")


def test_a_content_folder_where_the_bot_runs_is_used(clean_env: Path) -> None:
    (clean_env / "content").mkdir()
    assert Settings(discord_token="abc").content_dir == Path("content")  # type: ignore[arg-type]


def test_tool_settings_need_no_token_and_check_their_values(clean_env: Path) -> None:
    assert ToolSettings().database_url == DEFAULT_DATABASE_URL
    with pytest.raises(ValidationError, match=r"log_format"):
        ToolSettings(log_format="xml")
    with pytest.raises(ValidationError):
        ToolSettings(metrics_port=70000)


def test_missing_token_names_the_fix(clean_env: Path) -> None:
    message = settings_error()
    assert "DISCORD_TOKEN is not set" in message
    assert ".env.example" in message
    assert "\n" not in message


def test_empty_token_is_missing(clean_env: Path) -> None:
    assert "DISCORD_TOKEN is not set" in settings_error(discord_token="")


def test_reads_dotenv(clean_env: Path) -> None:
    (clean_env / ".env").write_text("DISCORD_TOKEN=from-file\nDEV_GUILD_ID=123\nLOG_LEVEL=debug\n")
    s = Settings()  # type: ignore[call-arg]
    assert s.discord_token.get_secret_value() == "from-file"
    assert s.dev_guild_id == 123
    assert s.log_level == "DEBUG"


def test_environment_beats_dotenv(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (clean_env / ".env").write_text("DISCORD_TOKEN=from-file\n")
    monkeypatch.setenv("DISCORD_TOKEN", "from-env")
    assert Settings().discord_token.get_secret_value() == "from-env"  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("not a url", "is not a database URL"),
        ("mysql://root@localhost/x", "uses driver 'mysql'"),
        ("postgresql://u@h/db", "uses driver 'postgresql'"),
    ],
)
def test_bad_database_url(clean_env: Path, url: str, expected: str) -> None:
    message = settings_error(discord_token="t", database_url=url)
    assert "DATABASE_URL" in message
    assert expected in message


def test_bad_log_level(clean_env: Path) -> None:
    assert "LOG_LEVEL" in settings_error(discord_token="t", log_level="LOUD")


def test_shards(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "t")
    monkeypatch.setenv("SHARD_COUNT", "4")
    monkeypatch.setenv("SHARD_IDS", "0, 2")
    s = Settings()  # type: ignore[call-arg]
    assert s.shard_count == 4
    assert s.shard_ids == [0, 2]
    assert "outside 0..3" in settings_error(discord_token="t", shard_count="4", shard_ids="5")
    monkeypatch.delenv("SHARD_COUNT")
    assert "SHARD_IDS needs SHARD_COUNT" in settings_error(discord_token="t", shard_ids="1")


def test_token_is_secret(clean_env: Path) -> None:
    s = Settings(discord_token="super-secret")  # type: ignore[arg-type]
    assert "super-secret" not in repr(s)
