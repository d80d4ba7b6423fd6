"""The progress report's week, with a fixed clock: a member with a plan has "this week" and
"last week" counted in their own plan week (kickoff to kickoff, in their timezone), as the
kickoff's "last week: X of Y" is; a member without one has the UTC ISO week, and says so."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from bot.content import ContentStore
from bot.db import Database
from bot.models import Enrolment
from bot.services import plan_due, plan_sends, plan_week, progress
from bot.services.answers import record_answer
from cogs.plan import render
from tests.test_members_week import MONDAY, at
from tests.test_plan import USER, enrol


async def answers(
    db: Database, content: ContentStore, when: datetime, count: int, right: int | None = None
) -> None:
    """`count` quiz answers of the member, the first `right` of them right (all by
    default), a minute apart from `when` on: through the running totals, as the bot
    records them."""
    right = count if right is None else right
    for i, qid in enumerate(content.by_subtopic["data.preprocessing"][:count]):
        q = content.questions[qid]
        choice = q.key if i < right else next(x for x in q.letters if x not in q.answer)
        await db.write(record_answer, content, user_id=USER, guild_id=None, question_id=qid,
            choice=choice, source="quiz", now=when + timedelta(minutes=i))  # fmt: skip


async def kickoff(db: Database, content: ContentStore, now: datetime) -> plan_sends.Composed:
    """Compose the kickoff due at `now` as the plan tick does, with the report it carries."""
    (item,) = (await db.read(plan_due.due, content, now))["remind"].due
    assert item.report is not None  # the week's report rides in the kickoff
    composed = await db.write(plan_sends.claim_and_compose, content, item, now)
    assert composed is not None
    assert composed.report is not None
    return composed


async def report(db: Database, content: ContentStore, now: datetime) -> progress.ProgressReport:
    return await db.read(progress.report, content, user_id=USER, now=now)


async def test_auckland_kickoff_report_counts_their_own_week(
    db: Database, content: ContentStore
) -> None:
    """Monday 09:00 in Auckland is Sunday 20:00 UTC, a day before the UTC ISO week turns:
    the Monday mornings there before 09:00 belong to the week that is ending."""
    await enrol(db, content, tz="Pacific/Auckland", start_date=MONDAY, now=at(-3, 0))
    await answers(db, content, at(-1, 19), 3)  # Monday 08:00 there: before week 1's kickoff
    await answers(db, content, at(-1, 21), 6, right=2)  # Monday 10:00 there, ISO W48 in UTC
    await answers(db, content, at(2, 12), 4, right=2)  # Wednesday
    await answers(db, content, at(6, 19, 50), 6, right=4)  # next Monday 08:50 there, ISO W49

    sent = await kickoff(db, content, at(6, 20))  # week 2's kickoff, Monday 09:00 there
    assert sent.last_week == (16, 40)
    rep = sent.report
    assert rep is not None
    assert rep.answered_week == 0  # not the 10 of the ISO week in UTC
    assert rep.answered_last_week == 16  # as the kickoff counts
    assert rep.own_week == progress.OwnWeek(at(6, 20), at(13, 20), "Pacific/Auckland")
    assert (rep.week_accuracy, rep.last_week_accuracy, rep.accuracy_change) == (None, 50.0, None)
    assert rep.trend[-1].answered == 10  # the chart's ISO week in UTC: another span
    embed = render.report_embed(content, rep)
    assert embed.title == "Your progress · plan week from Mon 07 Dec"
    assert embed.description is not None
    assert embed.description.startswith(
        "**0** answers this plan week (since Mon 07 Dec 09:00 Pacific/Auckland), "
        "**16** the week before, **19** in all."
    )

    await answers(db, content, at(6, 20, 30), 4, right=3)  # Monday 09:30 there
    later = await report(db, content, at(8, 12))  # /progress on Wednesday
    assert (later.answered_week, later.answered_last_week) == (4, 16)
    assert (later.week_accuracy, later.accuracy_change) == (75.0, 25.0)
    assert "(+25 points on the week before)" in (
        render.report_embed(content, later).description or ""
    )


async def test_los_angeles_kickoff_report_counts_their_own_week(
    db: Database, content: ContentStore
) -> None:
    """Monday 09:00 in Los Angeles is 17:00 UTC, hours after the UTC ISO week turned: a
    Sunday evening there (Monday in UTC) belongs to the week that is ending."""
    await enrol(db, content, tz="America/Los_Angeles", start_date=MONDAY, now=at(-3, 0))
    await answers(db, content, at(0, 16), 2)  # Monday 08:00 there: before week 1's kickoff
    await answers(db, content, at(2, 12), 6, right=3)  # Wednesday
    await answers(db, content, at(7, 2), 4)  # Sunday 18:00 there, Monday (ISO W50) in UTC

    sent = await kickoff(db, content, at(7, 17))  # week 2's kickoff, Monday 09:00 there
    assert sent.last_week == (10, 40)
    rep = sent.report
    assert rep is not None
    assert rep.answered_week == 0  # not the 4 of the ISO week in UTC
    assert (rep.answered_last_week, rep.last_week_accuracy) == (10, 70.0)
    assert rep.own_week == progress.OwnWeek(at(7, 17), at(14, 17), "America/Los_Angeles")
    assert (rep.week, rep.trend[-1].answered) == ("2026-W50", 4)  # what the old report said
    assert (render.report_embed(content, rep).description or "").startswith(
        "**0** answers this plan week (since Mon 07 Dec 09:00 America/Los_Angeles), "
        "**10** the week before, **12** in all."
    )

    await answers(db, content, at(7, 18), 5)  # Monday 10:00 there
    later = await report(db, content, at(8, 0))  # Monday 16:00 there
    assert (later.answered_week, later.answered_last_week) == (5, 10)
    assert (later.week_accuracy, later.last_week_accuracy) == (100.0, 70.0)
    assert later.accuracy_change == pytest.approx(30.0)


async def test_without_a_plan_the_report_counts_the_utc_iso_week(
    db: Database, content: ContentStore
) -> None:
    await answers(db, content, datetime(2026, 11, 29, 23, 0, tzinfo=UTC), 4, right=2)  # W48
    await answers(db, content, datetime(2026, 11, 30, 1, 0, tzinfo=UTC), 3)  # W49
    rep = await report(db, content, datetime(2026, 12, 2, 12, 0, tzinfo=UTC))
    assert rep.own_week is None
    assert (rep.week, rep.answered_week, rep.answered_last_week) == ("2026-W49", 3, 4)
    assert (rep.week_accuracy, rep.last_week_accuracy, rep.accuracy_change) == (100.0, 50.0, 50.0)
    embed = render.report_embed(content, rep)
    assert embed.title == "Your progress · 2026-W49 (UTC)"
    assert (embed.description or "").startswith(
        "**3** answers this week (Mon–Sun UTC), **4** last week, **7** in all "
        "(+50 points on last week)."
    )


async def test_the_week_before_spans_the_end_of_summer_time(
    db: Database, content: ContentStore
) -> None:
    """Los Angeles leaves summer time on Sunday 1 November 2026: the week before Monday 2
    November's kickoff is 169 hours long, and answers in its last hour count for it."""
    await enrol(db, content, tz="America/Los_Angeles", start_date=MONDAY - timedelta(weeks=5),
        now=at(-40, 0))  # fmt: skip
    before = datetime(2026, 10, 26, 16, 0, tzinfo=UTC)  # Monday 09:00 PDT
    kickoff = datetime(2026, 11, 2, 17, 0, tzinfo=UTC)  # Monday 09:00 PST
    await answers(db, content, before - timedelta(minutes=1), 1)  # 08:59 PDT: the week before
    await answers(db, content, before, 2, right=1)
    await answers(db, content, kickoff - timedelta(minutes=30), 3)  # 08:30 PST, hour 169

    def weeks(session: Session) -> plan_week.TwoWeeks:
        enrolment = session.get(Enrolment, USER)
        assert enrolment is not None
        return plan_week.two_weeks(session, enrolment, kickoff)

    found = await db.read(weeks)
    assert (found.before, found.start) == (before, kickoff)
    assert found.end == kickoff + timedelta(days=7)  # winter time throughout
    assert (found.last_week, found.this_week) == ((5, 4), (0, 0))
    rep = await report(db, content, kickoff)
    assert (rep.answered_last_week, rep.last_week_accuracy) == (5, 80.0)
