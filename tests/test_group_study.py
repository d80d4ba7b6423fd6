"""Mock-exam days, the radar and the weak-spots drop, as services with a fixed clock."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, timedelta

import pytest

from bot.content import ContentStore
from bot.db import Database
from bot.enums import AnswerSource
from bot.models import DailyDrop
from bot.services import daily, exam, mock_day, weak_spots
from bot.services.answers import record_answer
from bot.services.errors import InvalidInput
from tests.conftest import FIXED_NOW, add

GUILD, CHANNEL, ADMIN = 1, 10, 5
NOW = FIXED_NOW


# -- the mock-exam day's window and result ----------------------------------------------------
async def plan(db: Database, content: ContentStore, **kw: object) -> mock_day.MockDay:
    options: dict[str, object] = {
        "day": "2026-11-26",
        "time": "18:00",
        "timezone": "Europe/Berlin",
        "length": "half",
        **kw,
    }
    return await db.write(
        mock_day.schedule,
        content,
        guild_id=GUILD,
        channel_id=CHANNEL,
        user_id=ADMIN,
        now=NOW,
        rng=random.Random(1),
        **options,
    )


async def test_the_start_window(db: Database, content: ContentStore) -> None:
    day = await plan(db, content)
    starts = day.starts_at
    assert (starts.hour, day.closes_at - starts) == (17, timedelta(hours=1))
    with pytest.raises(InvalidInput):
        await plan(db, content)  # one at a time
    assert await db.read(mock_day.due, starts - timedelta(seconds=1)) == mock_day.MockDue(
        [], [], [], []
    )
    with pytest.raises(mock_day.WindowClosed):  # not open yet
        await db.write(mock_day.start_entry, content, day_id=day.id, user_id=7, now=starts)
    assert (await db.read(mock_day.due, starts)).opens == [day.id]
    assert await db.write(mock_day.claim_open, day.id, starts) is not None
    assert await db.write(mock_day.claim_open, day.id, starts) is None  # once

    step, resumed = await db.write(
        mock_day.start_entry, content, day_id=day.id, user_id=7, now=starts, rng=random.Random(2)
    )
    assert not resumed
    assert step.session.deadline_at == starts + timedelta(minutes=60)
    again, resumed = await db.write(
        mock_day.start_entry, content, day_id=day.id, user_id=7, now=starts
    )
    assert resumed
    assert again.session.id == step.session.id
    last = day.closes_at - timedelta(seconds=1)
    other, _ = await db.write(
        mock_day.start_entry, content, day_id=day.id, user_id=8, now=last, rng=random.Random(3)
    )
    with pytest.raises(mock_day.WindowClosed):
        await db.write(mock_day.start_entry, content, day_id=day.id, user_id=9, now=day.closes_at)

    assert (await db.read(mock_day.due, day.closes_at)).closes == [day.id]
    closed = await db.write(mock_day.claim_close, day.id, day.closes_at)
    assert closed is not None
    assert closed[1] == 2
    assert await db.write(mock_day.claim_close, day.id, day.closes_at) is None

    # member 7 answers one question right and submits; member 8's exam is still running
    q = step.question
    await db.write(
        exam.pick_answer,
        content,
        session_id=step.session.id,
        user_id=7,
        position=0,
        choice=q.key,
        now=starts,
    )
    await db.write(exam.grade, content, session_id=step.session.id, now=starts, user_id=7)
    assert await db.write(mock_day.claim_result, content, day.id, day.closes_at) is None
    ends = other.session.deadline_at
    assert ends is not None
    await db.write(exam.grade, content, session_id=other.session.id, now=ends, expired=True)
    res = await db.write(mock_day.claim_result, content, day.id, ends)
    assert res is not None
    assert [(s.user_id, s.right, s.total) for s in res.scores] == [(7, 1, 25), (8, 0, 25)]
    assert res.passed == 0
    assert sum(t for _r, t in res.by_bucket.values()) == 50
    assert set(res.by_bucket) <= {s.id for s in content.blueprint.official_sections}
    assert res.splits == []  # one answer per question: nobody to split with
    assert await db.write(mock_day.claim_result, content, day.id, ends) is None  # once


async def test_missed_and_cancelled_days(db: Database, content: ContentStore) -> None:
    day = await plan(db, content)
    assert (await db.read(mock_day.due, day.closes_at)).missed == [day.id]
    skipped = await db.write(mock_day.skip_missed, day.id, day.closes_at)
    assert skipped is not None
    assert skipped.status == "missed"
    again = await plan(db, content, day="2026-11-27")
    cancelled = await db.write(mock_day.cancel, GUILD)
    assert (cancelled.id, cancelled.status) == (again.id, "cancelled")
    with pytest.raises(InvalidInput):
        await plan(db, content, day="26.11.2026")


def test_the_most_split_questions_come_first() -> None:
    even = mock_day.Split("a", 5, 10, {})
    lopsided = mock_day.Split("b", 9, 10, {})
    agreed = mock_day.Split("c", 10, 10, {})
    assert (even.split, round(lopsided.split, 2), agreed.split) == (1.0, 0.2, 0.0)


# -- the radar --------------------------------------------------------------------------------
def section_questions(content: ContentStore, section: str, n: int) -> list[str]:
    return list(content.by_section[section][:n])


async def answer(
    db: Database, content: ContentStore, qid: str, right: bool, when: object, guild: int = GUILD
) -> None:
    q = content.questions[qid]
    choice = q.key if right else next(x for x in q.letters if x not in q.answer)
    await db.write(
        record_answer,
        content,
        user_id=42,
        guild_id=guild,
        question_id=qid,
        choice=choice,
        source=AnswerSource.QUIZ,
        now=when,
    )


async def test_radar_figures(db: Database, content: ContentStore) -> None:
    for qid in section_questions(content, "4", 4):  # 3 of 4 right in section 4
        await answer(db, content, qid, qid != content.by_section["4"][0], NOW - timedelta(days=2))
    await answer(db, content, content.by_section["2"][0], False, NOW - timedelta(days=1))
    await answer(db, content, content.by_section["2"][1], True, NOW - timedelta(days=31))  # old
    await answer(db, content, content.by_section["1"][0], False, NOW, guild=GUILD + 1)  # elsewhere
    radar = await db.read(weak_spots.radar, content, GUILD, NOW)
    figures = {s.section: (s.answered, s.correct, s.accuracy) for s in radar.sections}
    assert figures == {
        "1": (0, 0, None),
        "2": (1, 0, 0.0),
        "3": (0, 0, None),
        "4": (4, 3, 75.0),
        "5": (0, 0, None),
        "6": (0, 0, None),
    }
    assert radar.answered == 5


# -- the weak-spots choice ----------------------------------------------------------------------
async def weak_guild(db: Database, content: ContentStore) -> None:
    await db.write(
        daily.configure,
        content,
        guild_id=GUILD,
        channel_id=CHANNEL,
        time="09:00",
        timezone="UTC",
        role_id=None,
        domains=None,
        reveal_after=12,
        setup_by=ADMIN,
        shard_key=0,
        now=NOW - timedelta(days=30),
        mode="weak-spots",
    )
    for section, right_share in (
        ("1", 0.9),
        ("2", 0.9),
        ("3", 0.3),
        ("4", 0.9),
        ("5", 0.6),
        ("6", 0.9),
    ):
        for i, qid in enumerate(section_questions(content, section, 10)):
            await answer(db, content, qid, i < right_share * 10, NOW - timedelta(days=3))


async def choose(db: Database, content: ContentStore, seed: int, today: date) -> weak_spots.Pick:
    return await db.read(
        weak_spots.choose_drop,
        content,
        guild_id=GUILD,
        domains=[d.id for d in content.blueprint.domains],
        today=today,
        now=NOW,
        rng=random.Random(seed),
    )


async def test_most_drops_come_from_the_weakest_sections(
    sqlite_db: Database, content: ContentStore
) -> None:
    await weak_guild(sqlite_db, content)
    picks = [await choose(sqlite_db, content, seed, NOW.date()) for seed in range(40)]
    counts = Counter(p.section for p in picks)
    assert counts["3"] >= 14  # the weakest: half the drops, give or take chance
    assert counts["3"] + counts["5"] >= 24
    weakest = next(p for p in picks if p.section == "3")
    assert "Scaling prototypes into ML models" in weakest.reason
    assert "the group's weakest section: 30% right over the last 30 days (10 answers)" in (
        weakest.reason
    )
    assert weakest.question_id in content.by_section["3"]


async def test_every_section_comes_round_every_three_weeks(
    sqlite_db: Database, content: ContentStore
) -> None:
    await weak_guild(sqlite_db, content)
    today = NOW.date()
    drops = []
    for back in range(25, 0, -1):  # 25 days of drops from sections 3 and 5 only
        section = "3" if back % 2 else "5"
        qid = content.by_section[section][back]
        drops.append(
            DailyDrop(
                guild_id=GUILD,
                local_date=today - timedelta(days=back),
                question_id=qid,
                channel_id=CHANNEL,
                status="revealed",
                attempts=1,
                due_at=NOW - timedelta(days=back),
                reveal_at=NOW - timedelta(days=back),
                answers=0,
                shown_answers=0,
            )
        )
    await add(sqlite_db, *drops)
    pick = await choose(sqlite_db, content, 1, today)
    assert pick.section == "1"  # waited 25 days (since the first drop), the first of the longest
    assert "had not come up for 25 days" in pick.reason
    # a new guild's sections are not overdue: the first drop counts from today
    fresh = await sqlite_db.read(
        weak_spots.choose_drop,
        content,
        guild_id=GUILD + 1,
        domains=["serving"],
        today=today,
        now=NOW,
        rng=random.Random(1),
    )
    assert "no answers there in the last 30 days" in fresh.reason
    assert content.questions[fresh.question_id].domain == "serving"
