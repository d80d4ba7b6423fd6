"""The progress report from running totals, and its chart, on a known answer history."""

from __future__ import annotations

import struct
from datetime import timedelta
from pathlib import Path

import pytest

from bot import charts
from bot.content import ContentStore
from bot.db import Database
from bot.models import Streak
from bot.services import plan, progress
from bot.services.answers import record_answer
from tests.conftest import FIXED_NOW, add

USER, GUILD = 2001, 6001
LAST_WEEK = FIXED_NOW - timedelta(days=7)

# (subtopic, answers, correct, when): 26 answers, 16 of them this ISO week (2026-W48)
HISTORY = [
    ("lowcode.bqml", 6, 6, FIXED_NOW),
    ("lowcode.apis", 6, 3, FIXED_NOW),
    ("scaling.training", 4, 1, FIXED_NOW),
    ("data.preprocessing", 10, 5, LAST_WEEK),
]


async def answer_history(db: Database, content: ContentStore) -> None:
    for topic, answers, correct, when in HISTORY:
        for i, qid in enumerate(content.by_subtopic[topic][:answers]):
            q = content.questions[qid]
            choice = q.key if i < correct else next(x for x in q.letters if x not in q.answer)
            await db.write(
                record_answer,
                content,
                user_id=USER,
                guild_id=GUILD,
                question_id=qid,
                choice=choice,
                source="quiz",
                now=when - timedelta(minutes=i),
            )


async def build(db: Database, content: ContentStore, **options: int) -> progress.ProgressReport:
    return await db.read(progress.report, content, user_id=USER, now=FIXED_NOW, **options)


async def test_report_on_a_known_history(db: Database, content: ContentStore) -> None:
    await answer_history(db, content)
    await add(db, Streak(guild_id=1, user_id=USER, current=3, best=7))
    await add(db, Streak(guild_id=2, user_id=USER, current=5, best=5))
    report = await build(db, content)

    assert (report.week, report.pass_line) == ("2026-W48", 70)
    assert (report.answered_week, report.answered_total) == (16, 26)
    assert report.accuracy == pytest.approx(100 * 15 / 26)
    by_id = {d.id: d for d in report.domains}
    assert [d.id for d in report.domains] == [d.id for d in content.blueprint.domains]
    assert (by_id["lowcode"].answered, by_id["lowcode"].accuracy) == (12, 75.0)
    assert (by_id["data"].answered, by_id["data"].accuracy) == (10, 50.0)
    assert (by_id["scaling"].answered, by_id["scaling"].accuracy) == (4, 25.0)
    assert by_id["serving"].accuracy is None
    assert by_id["lowcode"].short == "Low-code ML"

    # this week 10/16, last week 5/10
    assert report.week_accuracy == pytest.approx(62.5)
    assert report.last_week_accuracy == pytest.approx(50.0)
    assert report.accuracy_change == pytest.approx(12.5)
    assert report.streak == 5
    assert [(p.week, p.answered, p.accuracy) for p in report.trend[-2:]] == [
        ("2026-W47", 10, 50.0),
        ("2026-W48", 16, 62.5),
    ]
    assert len(report.trend) == 8
    assert report.trend[0].week == "2026-W41"
    assert all(p.answered == 0 and p.accuracy is None for p in report.trend[:-2])
    assert report.plan is None
    assert (report.own_week, report.answered_last_week) == (None, 10)  # no plan: ISO weeks


async def test_readiness_and_weak_spots(db: Database, content: ContentStore) -> None:
    await answer_history(db, content)
    report = await build(db, content)
    # lowcode (weight 26) and data (21) have 10+ answers: (26·75 + 21·50) / 47
    assert report.readiness == pytest.approx((26 * 75 + 21 * 50) / 47)
    assert report.readiness_missing == ("scaling", "serving", "pipelines")
    lenient = await build(db, content, min_answers=4)
    assert lenient.readiness == pytest.approx((26 * 75 + 21 * 50 + 23 * 25) / 70)
    assert lenient.readiness_missing == ("serving", "pipelines")

    # ties at 50 %: the one with more answers first
    assert [t.topic for t in report.weakest] == [
        "scaling.training",
        "data.preprocessing",
        "lowcode.apis",
    ]
    assert report.weakest[0].name == content.subtopic_name("scaling.training")

    assert progress.weak_domains(report) == ["scaling", "data"]
    assert progress.weak_domains(report, threshold=80) == ["scaling", "data", "lowcode"]


async def test_report_for_a_new_member(db: Database, content: ContentStore) -> None:
    report = await build(db, content)
    assert (report.answered_week, report.answered_total, report.accuracy) == (0, 0, None)
    assert report.readiness is None
    assert report.readiness_missing == tuple(d.id for d in content.blueprint.domains)
    assert report.accuracy_change is None
    assert (report.streak, report.plan, report.weakest) == (0, None, ())
    assert [p.answered for p in report.trend] == [0] * 8
    assert progress.weak_domains(report) == []


async def test_report_shows_the_plan_position(db: Database, content: ContentStore) -> None:
    await db.write(plan.enrol, content, user_id=USER, guild_id=GUILD, channel_id=None,
        timezone="Europe/Berlin", start_date=FIXED_NOW.date() - timedelta(weeks=4),
        now=FIXED_NOW,
    )  # fmt: skip
    report = await build(db, content)
    assert report.plan == "Week 5 of 12 — Phase 2: Google Cloud ML services"
    await db.write(plan.pause, user_id=USER, now=FIXED_NOW)
    assert (await build(db, content)).plan == (
        "Week 5 of 12 — Phase 2: Google Cloud ML services (paused)"
    )
    await db.write(plan.stop, user_id=USER, now=FIXED_NOW)
    assert (await build(db, content)).plan is None


# -- the chart -------------------------------------------------------------------------------
def png_dimensions(data: bytes) -> tuple[int, int]:
    try:
        import io

        from PIL import Image
    except ImportError:  # read the IHDR chunk: width and height, big-endian, after the tag
        assert data[12:16] == b"IHDR"
        width, height = struct.unpack(">II", data[16:24])
        return width, height
    with Image.open(io.BytesIO(data)) as image:
        image.verify()
        return image.size


async def test_chart_is_a_readable_png(db: Database, content: ContentStore) -> None:
    await answer_history(db, content)
    for report in (await build(db, content), await build(db, content, min_answers=1000)):
        png = charts.render_progress_chart(report, content)
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        assert 10_000 <= len(png) <= 1_000_000
        width, height = png_dimensions(png)
        assert (width, height) == (800, 500)


def test_chart_for_no_answers_and_no_discord(content: ContentStore) -> None:
    empty = progress.ProgressReport(
        user_id=USER,
        week="2026-W48",
        pass_line=70,
        answered_week=0,
        answered_total=0,
        accuracy=None,
        domains=tuple(
            progress.DomainStat(d.id, d.name, progress.short_name(d.id), d.weight, 0, 0, None)
            for d in content.blueprint.domains
        ),
        week_accuracy=None,
        last_week_accuracy=None,
        accuracy_change=None,
        streak=0,
        plan=None,
        readiness=None,
        readiness_missing=(),
        weakest=(),
        trend=tuple(progress.WeekPoint(f"2026-W{w}", 0, 0, None) for w in range(41, 49)),
    )
    png = charts.render_progress_chart(empty, content)
    assert png.startswith(b"\x89PNG")
    assert png_dimensions(png) == (800, 500)
    source = Path(charts.__file__).read_text(encoding="utf-8")
    assert "import discord" not in source
    assert "import matplotlib.pyplot" not in source
