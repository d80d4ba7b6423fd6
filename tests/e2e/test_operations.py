"""Running the bot as a service, end to end: health and metrics scraped while members use
it, members' own data exported and deleted, and a guild's data gone 30 days after the bot
leaves it."""

from __future__ import annotations

import asyncio
import json
import socket
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.app import StudyBot
from bot.content import ContentStore
from bot.models import Answer, Guild, GuildSettings, LeaderboardTotal, ReviewCard
from tests.conftest import get, scalar
from tests.e2e.conftest import Clock, Runner, World
from tests.emulator import DiscordEmulator


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def until(fetch: Any, ok: Any, attempts: int = 200) -> Any:
    """Poll `fetch()` (a coroutine) until `ok(result)`: for what the bot does on a gateway
    event, which arrives on its own time."""
    for _ in range(attempts):
        got = await fetch()
        if ok(got):
            return got
        await asyncio.sleep(0.01)
    raise AssertionError(f"never came: {got!r}")


def metric(text: str, wanted: str, /, **labels: str) -> float:
    """The value of one sample in Prometheus' text format (0 when absent)."""
    want = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        key, _, value = line.rpartition(" ")
        sample, _, rest = key.partition("{")
        got = ",".join(sorted(rest.rstrip("}").split(","))) if rest else ""
        if sample == wanted and got == want:
            return float(value)
    return 0.0


async def answer_first_question(
    emulator: DiscordEmulator, world: World, content: ContentStore
) -> None:
    start = await emulator.slash(world.alice, world.channel, "quiz", {"questions": 5})
    assert start.message is not None
    footer = start.message.embeds[0]["footer"]["text"]
    q = content.questions[footer.rsplit("· ", 1)[-1].strip()]
    if q.multiple:
        menu = start.message.selects()[0]["custom_id"]
        await emulator.select(world.alice, start.message, menu, sorted(q.answer))
    else:
        await emulator.click(world.alice, start.message, f"quiz:a:1:0:{q.answer[0]}")


async def test_health_and_metrics_while_members_practise(
    emulator: DiscordEmulator,
    world: World,
    runner: Runner,
    content: ContentStore,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    port = free_port()
    bot = await runner.start(metrics_port=port)
    base = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{base}/healthz") as response:
            starting = response.status, await response.json()
        await emulator.wait_for(bot.is_ready, timeout=10)  # discord.py: ~2 s after the guilds
        async with http.get(f"{base}/metrics") as response:
            before = await response.text()
        await answer_first_question(emulator, world, content)
        await emulator.slash(world.alice, world.channel, "quiz", {"domain": "nope"})
        await bot.scheduler.tick("daily")(bot.now())  # as the scheduler would run it
        async with http.get(f"{base}/metrics") as response:
            assert response.status == 200
            assert response.headers["Content-Type"].startswith("text/plain")
            after = await response.text()
        async with http.get(f"{base}/healthz") as response:
            assert response.status == 200
            healthy = await response.json()
        monkeypatch.setattr(bot.scheduler, "seconds_since_last_run", lambda: 600.0)
        async with http.get(f"{base}/healthz") as response:
            assert response.status == 503
            failing = await response.json()

    ok = {"kind": "command", "name": "quiz", "outcome": "ok"}
    assert metric(before, "studybot_interactions_total", **ok) == 0
    assert metric(after, "studybot_interactions_total", **ok) == 1
    refused = {"kind": "command", "name": "quiz", "outcome": "refused"}
    assert metric(after, "studybot_interactions_total", **refused) == 1  # the unknown domain
    click = {"kind": "component", "name": "quiz:a", "outcome": "ok"}
    assert metric(after, "studybot_interactions_total", **click) == 1
    assert metric(after, "studybot_interaction_seconds_count", kind="command") == 2
    assert metric(after, "studybot_db_write_seconds_count") > metric(
        before, "studybot_db_write_seconds_count"
    )
    assert metric(after, "studybot_guilds") == 1
    assert metric(after, "studybot_gateway_latency_seconds") >= 0
    assert "studybot_event_loop_stalls" in after
    assert metric(after, "studybot_job_seconds_count", job="daily") == 0  # run by hand
    if starting[0] != 200:  # scraped before discord.py's on_ready
        assert starting[0] == 503
        assert starting[1]["reasons"] == ["gateway not connected"]
    assert healthy["status"] == "ok"
    assert healthy["guilds"] == 1
    assert failing["status"] == "failing"
    assert failing["reasons"] == ["no scheduled job ran for 600 s"]
    emulator.assert_clean()


async def test_my_data_export_then_delete_then_export_again(
    emulator: DiscordEmulator, world: World, bot: StudyBot, content: ContentStore
) -> None:
    await answer_first_question(emulator, world, content)
    await emulator.slash(world.alice, world.channel, "plan start", {"timezone": "Europe/Berlin"})

    exported = await emulator.slash(world.alice, world.channel, "studybot mydata export")
    assert exported.ephemeral
    (attachment,) = exported.message.attachments  # type: ignore[union-attr]
    data = json.loads(attachment.data)
    assert data["user_id"] == world.alice.id
    assert len(data["answers"]) == 1
    assert len(data["practice_sessions"]) == 1
    assert len(data["practice_sessions"][0]["questions"]) == 5
    assert len(data["review_cards"]) == 1
    assert data["study_plan"][0]["timezone"] == "Europe/Berlin"
    assert data["leaderboard_totals"]  # points in the server

    asked = await emulator.slash(world.alice, world.channel, "studybot mydata delete")
    assert asked.message is not None
    confirm = asked.message.buttons()[0]["custom_id"]
    asked.message.visible_to = world.bob.id  # bob forging alice's confirmation: refused
    refused = await emulator.click(world.bob, asked.message, confirm)
    assert "not for you" in refused.content
    asked.message.visible_to = world.alice.id
    done = await emulator.click(world.alice, asked.message, confirm)
    assert done.message is not None
    assert "records about you are deleted" in done.message.content
    assert done.message.components == []

    again = await emulator.slash(world.alice, world.channel, "studybot mydata export")
    empty = json.loads(again.message.attachments[0].data)  # type: ignore[union-attr]
    assert all(v == [] for v in empty.values() if isinstance(v, list))
    assert await scalar(bot.db, select(func.count()).select_from(Answer)) == 0
    assert await scalar(bot.db, select(func.count()).select_from(ReviewCard)) == 0
    assert await scalar(bot.db, select(func.count()).select_from(LeaderboardTotal)) == 0
    emulator.assert_clean()


async def test_a_guilds_data_goes_30_days_after_the_bot_leaves(
    emulator: DiscordEmulator, world: World, bot: StudyBot, content: ContentStore, clock: Clock
) -> None:
    await emulator.slash(
        world.admin,
        world.channel,
        "daily setup",
        {"channel": world.channel, "time": "09:00", "timezone": "Europe/Berlin"},  # type: ignore[dict-item]
    )
    await answer_first_question(emulator, world, content)
    await emulator.wait_for(bot.is_ready, timeout=10)  # joins before on_ready are not events
    gid = world.guild.id
    emulator.remove_bot(world.guild)
    await emulator.wait_for(lambda: bot.get_guild(gid) is None)
    left = await until(lambda: get(bot.db, Guild, gid), lambda g: g and g.left_at)
    assert left.left_at == clock.now
    purge = bot.scheduler.tick("guild-cleanup")

    clock.advance(days=29)
    await purge(clock.now)
    assert await get(bot.db, GuildSettings, gid) is not None  # still within 30 days

    emulator.readd_bot(world.guild)  # back before the 30 days: everything stays
    await until(lambda: get(bot.db, Guild, gid), lambda g: g and not g.left_at)
    clock.advance(days=40)
    await purge(clock.now)
    assert await get(bot.db, GuildSettings, gid) is not None

    emulator.remove_bot(world.guild)
    await until(lambda: get(bot.db, Guild, gid), lambda g: g and g.left_at)
    clock.advance(days=31)
    await purge(clock.now)
    assert await get(bot.db, GuildSettings, gid) is None
    assert await get(bot.db, Guild, gid) is None
    boards = select(func.count()).select_from(LeaderboardTotal)
    assert await scalar(bot.db, boards.where(LeaderboardTotal.guild_id == gid)) == 0
    # alice keeps her own history, no longer tied to the guild
    answers = await scalar(bot.db, select(func.count()).select_from(Answer))
    assert answers == 1
    assert await scalar(bot.db, select(Answer.guild_id)) is None
    emulator.assert_clean()
