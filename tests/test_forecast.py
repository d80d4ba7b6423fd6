"""The recall forecast, the readiness band and the study streak, with a fixed clock."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.content import ContentStore
from bot.db import Database
from bot.models import ReviewCard, StudyDay
from bot.services import forecast, plan, progress, readiness, streaks
from bot.services.answers import record_answer
from tests.conftest import FIXED_NOW, add, scalars

USER = 5001
EXAM_DAY = date(2026, 12, 9)
EXAM_AT = datetime(2026, 12, 8, 23, 0, tzinfo=UTC)  # midnight in Berlin


def stored_card(qid: str, stability: float, last_review: datetime) -> ReviewCard:
    return ReviewCard(
        user_id=USER,
        question_id=qid,
        card="{}",  # the forecast reads the columns only
        due_at=last_review + timedelta(days=round(stability)),
        reviews=1,
        stability=stability,
        last_review=last_review,
    )


# -- the forecast -------------------------------------------------------------------------------
async def test_forecast_on_a_hand_checked_example(db: Database, content: ContentStore) -> None:
    lowcode = content.by_domain["lowcode"]
    q1, q2, q3 = lowcode[:3]
    await add(
        db,
        stored_card(q1, 10.0, EXAM_AT - timedelta(days=10)),  # t = S: recall 0.9 exactly
        stored_card(q2, 4.0, EXAM_AT - timedelta(days=12)),  # t = 3S
        stored_card(q3, 50.0, EXAM_AT),  # reviewed at the very moment: 1.0
    )
    await db.write(plan.enrol, content, user_id=USER, guild_id=None, channel_id=None,
        timezone="Europe/Berlin", exam_date=EXAM_DAY, now=FIXED_NOW)  # fmt: skip
    found = await db.read(forecast.forecast, content, user_id=USER, now=FIXED_NOW)
    assert (found.at, found.exam_day) == (EXAM_AT, EXAM_DAY)

    # FSRS 6: R(t) = (1 + F·t/S)^-d, d = 0.1542, F = 0.9^(-1/d) - 1 ≈ 0.98047; so R(S) = 0.9
    # and R(3S) = (1 + 3F)^-d = 3.94142^-0.1542 ≈ 0.80944, worked out by hand.
    expected = 0.9 + 0.80944 + 1.0
    low = found.domain("lowcode")
    assert (low.questions, low.seen) == (len(lowcode), 3)
    assert low.expected == pytest.approx(expected, abs=1e-4)
    assert low.share == pytest.approx(100 * expected / len(lowcode), abs=1e-3)
    assert found.domain("data").share == 0  # nothing seen: unknown counts as 0
    assert found.overall == pytest.approx(100 * expected / len(content.questions), abs=1e-3)
    sections = {s.id: s for s in found.sections}
    for qid in (q1, q2, q3):
        assert sections[content.questions[qid].section[0]].seen >= 1
    assert sum(s.seen for s in found.sections) == 3
    assert sum(s.expected for s in found.sections) == pytest.approx(expected, abs=1e-4)
    assert sum(s.questions for s in found.sections) == len(content.questions)

    # without an exam date ahead the horizon is now: the same cards, remembered better
    await db.write(plan.stop, user_id=USER, now=FIXED_NOW)
    today = await db.read(forecast.forecast, content, user_id=USER, now=FIXED_NOW)
    assert (today.at, today.exam_day) == (FIXED_NOW, None)
    assert today.domain("lowcode").expected > low.expected


def test_summarise_ignores_questions_gone_from_the_bank(content: ContentStore) -> None:
    qid = content.by_domain["serving"][0]
    found = forecast.summarise(content, {qid: 0.5, "gone-999": 1.0}, FIXED_NOW, None)
    assert found.domain("serving").expected == 0.5
    assert found.overall == pytest.approx(50 / len(content.questions))


# -- the readiness band -------------------------------------------------------------------------
def test_wilson_interval_by_hand_and_shrinking() -> None:
    # p = 0.8, n = 10, z = 1.96: centre (0.8 + 0.19208) / 1.38415 = 0.71676, half-width
    # 1.96·√(0.016 + 0.0096040) / 1.38415 = 0.22658
    low, high = readiness.wilson(8, 10)
    assert (low, high) == (pytest.approx(49.02, abs=0.01), pytest.approx(94.33, abs=0.01))
    widths = [readiness.wilson(8 * k, 10 * k) for k in (1, 10, 100)]
    spans = [hi - lo for lo, hi in widths]
    assert spans[0] > spans[1] > spans[2]
    assert spans[2] == pytest.approx(2 * 1.96 * math.sqrt(0.16 / 1000) * 100, rel=0.01)
    assert all(lo < 80 < hi for lo, hi in widths)
    assert readiness.wilson(0, 0) == (0.0, 100.0)
    assert readiness.wilson(10, 10)[1] == pytest.approx(100.0)
    assert readiness.wilson(0, 10)[0] == 0.0


def test_band_is_ready_only_when_its_lower_edge_clears_the_pass_line() -> None:
    weights = (26, 21, 23, 15, 15)
    few = readiness.band(((w, 9, 10) for w in weights), 70)  # 90% of 10 in every domain
    many = readiness.band(((w, 900, 1000) for w in weights), 70)  # 90% of 1000
    assert few.low < 70 < few.high
    assert not few.ready  # 90% on ten answers proves little
    assert many.ready
    assert many.low == pytest.approx(readiness.wilson(900, 1000)[0])
    assert few.width > many.width
    # a domain never answered spans 0-100 and pulls the band wide
    gap = readiness.band([(26, 900, 1000), (21, 0, 0)], 70)
    lo, hi = readiness.wilson(900, 1000)
    assert gap.low == pytest.approx(26 * lo / 47)
    assert gap.high == pytest.approx((26 * hi + 21 * 100) / 47)
    assert not gap.ready


async def test_report_carries_band_forecast_sections_and_streak(
    db: Database, content: ContentStore
) -> None:
    qids = content.by_domain["lowcode"][:12]
    for i, qid in enumerate(qids):
        q = content.questions[qid]
        choice = q.key if i < 9 else next(x for x in q.letters if x not in q.answer)
        await db.write(record_answer, content, user_id=USER, guild_id=None, question_id=qid,
            choice=choice, source="quiz", now=FIXED_NOW - timedelta(days=i % 3))  # fmt: skip
    report = await db.read(progress.report, content, user_id=USER, now=FIXED_NOW)
    low = report.domain("lowcode")
    assert (low.answered, low.correct) == (12, 9)
    assert (low.low, low.high) == pytest.approx(readiness.wilson(9, 12))
    assert report.band is not None
    assert not report.ready
    assert report.band.low == pytest.approx(26 * low.low / 100)  # four domains unanswered
    assert report.forecast is not None
    assert report.forecast.exam_day is None
    assert report.forecast.domain("lowcode").seen == 12
    sections = {s.id: s for s in report.sections}
    assert sum(s.answered for s in report.sections) == 12
    assert sum(s.correct for s in report.sections) == 9
    first = content.questions[qids[0]].section[0]
    assert sections[first].answered >= 1
    assert report.study is not None
    assert (report.study.current, report.study.today) == (3, True)  # today and two before


# -- the study streak ---------------------------------------------------------------------------
def test_streak_counts_consecutive_days_up_to_today_or_yesterday() -> None:
    d = date(2026, 11, 25)
    days = [d, d - timedelta(1), d - timedelta(2), d - timedelta(5), d - timedelta(6)]
    assert streaks.count(days, d) == streaks.StudyStreak(3, 3, True, 5)
    assert streaks.count(days, d + timedelta(1)).current == 3  # tomorrow: still alive
    assert streaks.count(days, d + timedelta(2)).current == 0  # a day missed: gone
    assert streaks.count(days, d + timedelta(2)).best == 3
    assert streaks.count([], d) == streaks.StudyStreak(0, 0, False, 0)


async def answer_at(db: Database, content: ContentStore, when: datetime) -> None:
    qid = content.by_domain["data"][0]
    await db.write(record_answer, content, user_id=USER, guild_id=None, question_id=qid,
        choice=content.questions[qid].key, source="quiz", now=when)  # fmt: skip


async def test_streak_across_a_timezones_midnight(db: Database, content: ContentStore) -> None:
    await db.write(plan.enrol, content, user_id=USER, guild_id=None, channel_id=None,
        timezone="Asia/Tokyo", now=FIXED_NOW)  # fmt: skip
    # 14:50 and 15:10 UTC on one UTC day are 23:50 and 00:10 in Tokyo: two local days
    await answer_at(db, content, datetime(2026, 11, 25, 14, 50, tzinfo=UTC))
    await answer_at(db, content, datetime(2026, 11, 25, 15, 10, tzinfo=UTC))
    found = await db.read(streaks.streak, USER, datetime(2026, 11, 25, 16, 0, tzinfo=UTC))
    assert (found.current, found.today, found.days) == (2, True, 2)
    # the next local day ends at 15:00 UTC on the 26th; nothing answered: yesterday keeps it
    late = datetime(2026, 11, 26, 14, 59, tzinfo=UTC)
    assert (await db.read(streaks.streak, USER, late)).current == 2
    after = datetime(2026, 11, 27, 15, 1, tzinfo=UTC)  # the 28th in Tokyo: broken
    assert (await db.read(streaks.streak, USER, after)).current == 0

    # in UTC (no plan) the same two answers fall on one day
    other = USER + 1
    qid = content.by_domain["data"][1]
    for minute in (50, 70):
        when = datetime(2026, 11, 25, 14, 0, tzinfo=UTC) + timedelta(minutes=minute)
        await db.write(record_answer, content, user_id=other, guild_id=None, question_id=qid,
            choice="A", source="quiz", now=when)  # fmt: skip
    utc = await db.read(streaks.streak, other, datetime(2026, 11, 25, 16, 0, tzinfo=UTC))
    assert (utc.current, utc.days) == (1, 1)


async def test_streak_across_a_dst_change(db: Database, content: ContentStore) -> None:
    await db.write(plan.enrol, content, user_id=USER, guild_id=None, channel_id=None,
        timezone="America/New_York", now=datetime(2026, 10, 30, 12, 0, tzinfo=UTC))  # fmt: skip
    # New York falls back on Sunday 1 Nov 2026 (EDT, UTC-4, to EST, UTC-5)
    moments = [
        datetime(2026, 10, 31, 3, 30, tzinfo=UTC),  # Fri 30 Oct 23:30 EDT
        datetime(2026, 11, 1, 3, 45, tzinfo=UTC),  # Sat 31 Oct 23:45 EDT
        datetime(2026, 11, 1, 4, 15, tzinfo=UTC),  # Sun 1 Nov 00:15 EDT
        datetime(2026, 11, 2, 4, 30, tzinfo=UTC),  # Sun 1 Nov 23:30 EST (UTC says 2 Nov)
        datetime(2026, 11, 2, 5, 30, tzinfo=UTC),  # Mon 2 Nov 00:30 EST
    ]
    for when in moments:
        await answer_at(db, content, when)
    found = await db.read(streaks.streak, USER, datetime(2026, 11, 2, 20, 0, tzinfo=UTC))
    assert (found.current, found.best, found.days, found.today) == (4, 4, 4, True)
    kept = sorted(await scalars(db, select(StudyDay.day).where(StudyDay.user_id == USER)))
    assert kept == [date(2026, 10, 30), date(2026, 10, 31), date(2026, 11, 1), date(2026, 11, 2)]
