"""`python -m bot` started as a user would (environment only), answering a slash command."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

from tests.e2e.conftest import World
from tests.emulator import DiscordEmulator
from tests.launcher import LAUNCHER, environment


async def test_the_real_entry_point_answers_a_slash_command(
    emulator: DiscordEmulator, world: World, tmp_path: Path
) -> None:
    proc = await start_process(emulator, f"sqlite:///{tmp_path / 'bot.db'}", tmp_path)
    try:
        await emulator.wait_ready(timeout=30)
        result = await emulator.slash(world.alice, world.channel, "studybot about")
        assert result.embeds[0]["title"] == "PMLE study bot"
        assert (tmp_path / "bot.db").exists()  # created and migrated on first start
    finally:
        proc.send_signal(signal.SIGINT)
        _, stderr = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0, stderr.decode()
    log = stderr.decode()
    assert "synced" in log
    assert emulator.token not in log  # the token is never logged
    emulator.assert_clean()


MEMBERS = 40


async def seed_due_kickoffs(url: str, user_ids: list[int]) -> None:
    """Members a week into the plan whose week-2 kickoff fell due five minutes ago (UTC)."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import insert

    from bot.db import Database
    from bot.models import Enrolment

    now = datetime.now(UTC)
    moment = now - timedelta(minutes=5)
    rows = [
        {
            "user_id": uid,
            "guild_id": None,
            "channel_id": None,
            "timezone": "UTC",
            "start_date": moment.date() - timedelta(days=7),
            "exam_date": None,
            "weeks": 12,
            "reminder_time": f"{moment:%H:%M}",
            "reminder_day": moment.weekday(),
            "deliver": "dm",
            "status": "active",
            "paused_on": None,
            "outcome": None,
            "created_at": now - timedelta(days=8),
            "next_at": None,
        }
        for uid in user_ids
    ]
    db = Database.from_url(url)
    await db.write(lambda s: s.execute(insert(Enrolment), rows))
    await db.close()


async def start_process(
    emulator: DiscordEmulator, url: str, cwd: Path, **settings: str
) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        str(LAUNCHER),
        cwd=cwd,
        env=environment(emulator, url, **settings),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_sigterm_mid_tick_stops_cleanly_and_nothing_is_lost_or_doubled(
    emulator: DiscordEmulator, world: World, sqlite_db_url: str, tmp_path: Path
) -> None:
    import json

    members = [emulator.add_member(world.guild, f"m{i}") for i in range(MEMBERS)]
    await seed_due_kickoffs(sqlite_db_url, [m.id for m in members])

    def delivered() -> int:
        return sum(len(emulator.dms(m)) for m in members)

    proc = await start_process(emulator, sqlite_db_url, tmp_path, LOG_FORMAT="json")
    await emulator.wait_ready(timeout=30)
    await emulator.wait_for(lambda: delivered() >= 10, timeout=30)  # the tick is sending
    proc.send_signal(signal.SIGTERM)
    _, stderr = await asyncio.wait_for(proc.communicate(), 30)
    log = stderr.decode()
    assert proc.returncode == 0, log
    assert "Traceback" not in log
    lines = [json.loads(line) for line in log.splitlines() if line.strip()]  # all JSON
    messages = [line["message"] for line in lines]
    assert "stopping: letting the work in flight finish" in messages
    assert messages[-1] == "stopped"
    first_run = delivered()
    assert first_run < MEMBERS  # stopped mid-tick: some sends were still to come

    await emulator.disconnect_all()
    proc = await start_process(emulator, sqlite_db_url, tmp_path, LOG_FORMAT="json")
    await emulator.wait_ready(timeout=30)
    await emulator.wait_for(lambda: delivered() >= MEMBERS, timeout=60)
    await asyncio.sleep(1.0)  # a double would show up now
    proc.send_signal(signal.SIGINT)
    _, stderr = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0, stderr.decode()
    for member in members:  # one DM each, exactly once: the kickoff carrying the report
        (dm,) = emulator.dms(member)
        assert [e["title"][:13] for e in dm.embeds] == ["Week 2 of 12 ", "Your progress"]
    emulator.assert_clean()
