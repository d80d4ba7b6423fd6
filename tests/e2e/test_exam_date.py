"""Toward the exam date, end to end: reviews due before the exam, the forecast and band in
/progress, /export's attachment, and the weekly FSRS fit in a worker process."""

from __future__ import annotations

import csv
import io
import sqlite3
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot import exports
from bot.app import StudyBot
from bot.content import ContentStore
from bot.db import Database
from bot.models import Answer, ReviewCard, ReviewLog, ReviewParams
from bot.services import forecast, review
from bot.services.answers import record_answer
from tests.conftest import FIXED_NOW, add, get, scalar, scalars
from tests.e2e.conftest import Clock, Runner, World
from tests.e2e.test_quiz import answer, next_question, shown_question, wrong
from tests.emulator import DiscordEmulator, Message
from tests.review_history import seeded

# FIXED_NOW is Wednesday 2026-11-25 14:30 UTC; the exam two weeks away, in Berlin
PLAN = {"timezone": "Europe/Berlin", "exam_date": "2026-12-09", "reminder_time": "18:00"}


def stamp(when: datetime) -> str:
    return f"<t:{int(when.timestamp())}:R>"


async def history(
    url: str, content: ContentStore, user_id: int, qids: list[str], days: list[int]
) -> None:
    """Answer each question right on each of `days` (relative to FIXED_NOW)."""
    db = Database.from_url(url)
    for qid in qids:
        for day in days:
            await db.write(record_answer, content, user_id=user_id, guild_id=None,
                question_id=qid, choice=content.questions[qid].key, source="quiz",
                now=FIXED_NOW + timedelta(days=day))  # fmt: skip
    await db.close()


async def test_reviews_come_due_before_an_exam_two_weeks_away(
    emulator: DiscordEmulator,
    world: World,
    runner: Runner,
    content: ContentStore,
    sqlite_db_url: str,
    clock: Clock,
) -> None:
    due_soon = list(content.by_domain["serving"][:25])  # FSRS: due Mon 30 Nov, 14:30 UTC
    strong = list(content.by_domain["data"][:3])  # FSRS: due long after the exam
    await history(sqlite_db_url, content, world.alice.id, due_soon, [-12, -9])
    await history(sqlite_db_url, content, world.alice.id, strong, [-30, -27, -20, -5])
    bot = await runner.start()
    exam_at = datetime(2026, 12, 8, 23, 0, tzinfo=UTC)
    cards = {c.question_id: c for c in await scalars(bot.db, select(ReviewCard))}
    assert all(cards[q].due_at > exam_at for q in strong)

    joined = await emulator.slash(world.alice, world.channel, "plan start", PLAN)
    assert joined.embeds[0]["title"].startswith("Week 1 of 2")
    early = await emulator.slash(world.alice, world.channel, "review")
    monday = datetime(2026, 11, 30, 14, 30, tzinfo=UTC)
    assert "before your exam on Wed 09 Dec" in early.content
    assert stamp(monday) in early.content  # FSRS's day, before the exam

    clock.now = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
    start = await emulator.slash(world.alice, world.channel, "review")
    message = start.message
    assert message is not None
    assert message.embeds[0]["title"] == "Review · question 1 of 20"  # the day's cap
    shown = []
    for _ in range(20):
        shown.append(shown_question(content, message).id)
        message = await next_question(
            emulator, world, await answer(emulator, world, content, message)
        )
    assert message.embeds[0]["title"].startswith("Review finished: 20/20")
    assert set(shown) <= set(due_soon)

    later = await emulator.slash(world.alice, world.channel, "review")
    tuesday = datetime(2026, 11, 30, 23, 0, tzinfo=UTC)  # local midnight in Berlin
    assert "Nothing is due right now" in later.content
    assert stamp(tuesday) in later.content  # the other five: tomorrow, not past the cap
    reviews = await scalar(
        bot.db, select(func.count()).select_from(Answer).where(Answer.source == "review")
    )
    logs = await scalar(bot.db, select(func.count()).select_from(ReviewLog))
    assert (reviews, logs) == (20, 25 * 2 + 3 * 4 + 20)

    clock.now = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)
    rest = await emulator.slash(world.alice, world.channel, "review")
    assert rest.message is not None
    assert rest.message.embeds[0]["title"] == "Review · question 1 of 5"
    assert shown_question(content, rest.message).id in set(due_soon) - set(shown)
    assert not {shown_question(content, rest.message).id} & set(strong)
    emulator.assert_clean()


def field(message: Message, prefix: str) -> str:
    return next(f["value"] for f in message.embeds[0]["fields"] if f["name"].startswith(prefix))


async def test_progress_and_the_weekly_report_show_the_forecast_and_the_band(
    emulator: DiscordEmulator, world: World, bot: StudyBot, content: ContentStore, clock: Clock
) -> None:
    await emulator.slash(world.alice, world.channel, "plan start", PLAN)
    quiz = await emulator.slash(
        world.alice, world.channel, "quiz", {"domain": "lowcode", "questions": 5}
    )
    message = quiz.message
    assert message is not None
    for position in range(5):
        q = shown_question(content, message)
        message = await answer(
            emulator, world, content, message, wrong(q) if position == 4 else None
        )
        message = await next_question(emulator, world, message)

    result = await emulator.slash(world.alice, world.channel, "progress")
    report = result.followups[0] if result.followups else result.message
    assert report is not None
    names = [f["name"] for f in report.embeds[0]["fields"]]
    domains = field(report, "Accuracy by domain")
    assert any("recall on exam day (Wed 09 Dec)" in n for n in names)
    expected = await bot.db.read(forecast.forecast, content, user_id=world.alice.id, now=bot.now())
    low = expected.domain("lowcode")
    assert low.seen == 5
    assert f"80% of 5 (38–96%) · recall {low.share:.0f}%" in domains  # Wilson(4, 5)
    assert "no answers yet · recall 0%" in domains
    ready = field(report, "Readiness")
    assert "Band (95%): " in ready
    assert "Not ready yet" in ready
    assert "recall" in field(report, "By official exam-guide section")
    assert field(report, "Study streak").startswith("🔥 1 day, today counts")
    assert f"**{expected.overall:.0f}%** of the bank" in report.embeds[0]["description"]
    name, data, _kind = report.attachments[0]
    assert name == "progress.png"
    assert data[:8] == b"\x89PNG\r\n\x1a\n"

    # the weekly report by DM rides in the second kickoff (Wednesday 18:00 in Berlin, a week
    # of plan behind it) and says the same
    clock.now = datetime(2026, 12, 2, 17, 0, tzinfo=UTC)
    cog = bot.get_cog("PlanCog")
    assert cog is not None
    sent = await cog.jobs.tick(clock.now)  # type: ignore[attr-defined]
    assert sent == {"remind": 1}
    dm = next(m for m in emulator.dms(world.alice) if m.attachments)
    assert dm.embeds[0]["title"].startswith("Week 2")
    assert dm.embeds[1]["title"].startswith("Your progress")
    later = await bot.db.read(forecast.forecast, content, user_id=world.alice.id, now=clock.now)
    share = later.domain("lowcode").share
    fields = {f["name"]: f["value"] for f in dm.embeds[1]["fields"]}
    accuracy = next(v for k, v in fields.items() if k.startswith("Accuracy by domain"))
    assert f"80% of 5 (38–96%) · recall {share:.0f}%" in accuracy
    assert "Band (95%): " in next(v for k, v in fields.items() if k.startswith("Readiness"))
    assert "Study streak" in fields
    emulator.assert_clean()


async def test_export_arrives_as_an_attachment(
    emulator: DiscordEmulator, world: World, bot: StudyBot, content: ContentStore, tmp_path: Path
) -> None:
    nothing = await emulator.slash(world.alice, world.channel, "export")
    assert nothing.ephemeral
    reply = nothing.followups[0] if nothing.followups else nothing.message
    assert reply is not None
    assert "Nothing to export" in reply.content
    assert not reply.attachments

    quiz = await emulator.slash(world.alice, world.channel, "quiz", {"questions": 5})
    message = quiz.message
    assert message is not None
    missed = []
    for position in range(5):
        q = shown_question(content, message)
        if position % 2 == 0:
            missed.append(q.id)
        message = await answer(
            emulator, world, content, message, wrong(q) if position % 2 == 0 else None
        )
        message = await next_question(emulator, world, message)

    anki = await emulator.slash(world.alice, world.channel, "export")
    assert anki.ephemeral
    sent = anki.followups[0] if anki.followups else anki.message
    assert sent is not None
    assert sent.content.startswith("3 questions you last answered wrong")
    name, data, _kind = sent.attachments[0]
    assert name == "pmle-missed.apkg"
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        (tmp_path / "c.anki2").write_bytes(package.read("collection.anki2"))
    with sqlite3.connect(tmp_path / "c.anki2") as conn:
        guids = {g for (g,) in conn.execute("SELECT guid FROM notes")}
    assert guids == {exports.guid(q) for q in missed}

    sheet = await emulator.slash(world.alice, world.channel, "export", {"format": "csv"})
    sent = sheet.followups[0] if sheet.followups else sheet.message
    assert sent is not None
    name, data, _kind = sent.attachments[0]
    assert name == "pmle-missed.csv"
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert sorted(r["id"] for r in rows) == sorted(missed)
    assert all(r["explanation"] and r["answer"] and r["links"] for r in rows)
    emulator.assert_clean()


@pytest.mark.optimizer
async def test_the_weekly_fit_runs_in_a_worker_process(
    emulator: DiscordEmulator,
    world: World,
    runner: Runner,
    content: ContentStore,
    sqlite_db_url: str,
    clock: Clock,
) -> None:
    pytest.importorskip("torch", reason="the optimizer extra is not installed")
    db = Database.from_url(sqlite_db_url)
    await add(db, *seeded(world.alice.id, FIXED_NOW - timedelta(days=400)))
    await db.close()
    bot = await runner.start()
    refit = bot.scheduler.tick("review-params")
    assert await refit(clock.now) == 1
    params = await get(bot.db, ReviewParams, world.alice.id)
    assert params is not None
    assert params.parameters is not None
    assert (params.fitted_at, params.fitted_on) == (clock.now, params.reviews)
    assert await refit(clock.now + timedelta(days=1)) == 0

    # the next answer is scheduled with alice's own parameters
    quiz = await emulator.slash(world.alice, world.channel, "quiz", {"questions": 5})
    assert quiz.message is not None
    q = shown_question(content, quiz.message)
    await answer(emulator, world, content, quiz.message)
    card = await get(bot.db, ReviewCard, (world.alice.id, q.id))
    mine = review.scheduler_for(params.parameters)
    assert card is not None
    assert card.stability == pytest.approx(mine.parameters[2])  # her first-Good stability
    assert mine.parameters[2] != review.DEFAULT_SCHEDULER.parameters[2]
    emulator.assert_clean()
