"""The study plan: member weeks across timezones, fitting to an exam date, pause and resume,
DST-safe weekly sends, and what the scheduler finds due — with a fixed clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, select

from bot.content import ContentStore
from bot.db import Database
from bot.models import Answer, Delivery, Enrolment
from bot.services import deliveries, members, plan, plan_due
from bot.services.errors import InvalidInput, NotFound
from tests.conftest import FIXED_NOW, add, execute, scalar, scalars

USER, OTHER, THIRD, GUILD, CHANNEL = 1001, 1002, 1003, 5001, 7001


async def enrol(
    db: Database,
    content: ContentStore,
    *,
    user: int = USER,
    tz: str = "Europe/Berlin",
    now: datetime = FIXED_NOW,
    guild: int | None = GUILD,
    **options: object,
) -> Enrolment:
    return await db.write(
        plan.enrol,
        content,
        user_id=user,
        guild_id=guild,
        channel_id=options.pop("channel_id", CHANNEL),  # type: ignore[arg-type]
        timezone=tz,
        now=now,
        **options,  # type: ignore[arg-type]
    )


async def find(
    db: Database, now: datetime, kind: str = "remind", content: ContentStore | None = None
) -> plan_due.Dues:
    return (await db.read(plan_due.due, content, now, kinds=[kind]))[kind]


async def answered(db: Database, when: datetime, count: int, user: int = USER) -> None:
    """`count` answers of the member at `when` (what their week's practice counts)."""
    await add(db, *(practice_answer(user, when) for _ in range(count)))


def practice_answer(user: int, when: datetime, guild: int | None = GUILD) -> Answer:
    return Answer(user_id=user, guild_id=guild, question_id="data-001", domain="data",
        subtopic="preprocessing", source="quiz", choice="A", correct=True, response_ms=5000,
        points=0, answered_at=when)  # fmt: skip


async def record(db: Database, dues: plan_due.Dues, now: datetime) -> None:
    """What the caller does: send what is due, record what is stale as skipped."""
    for items, status in ((dues.due, "sent"), (dues.stale, "skipped")):
        for d in items:
            assert await db.write(deliveries.claim, d.key, d.kind, now)
            await db.write(deliveries.finish, d.key, status, now)


async def set_member(db: Database, user: int = USER, **values: object) -> None:
    await db.write(members.upsert_member, user, now=FIXED_NOW, **values)


# -- the calendar ------------------------------------------------------------------------
def test_content_weeks_compress_and_stretch() -> None:
    assert [plan.content_weeks(k, 12) for k in range(1, 13)] == [[k] for k in range(1, 13)]
    six = [plan.content_weeks(k, 6) for k in range(1, 7)]
    assert six == [[1, 2], [3, 4], [5, 6], [7, 8], [9, 10], [11, 12]]
    five = [plan.content_weeks(k, 5) for k in range(1, 6)]
    assert [c for w in five for c in w] == list(range(1, 13))  # each once, in order
    assert all(2 <= len(w) <= 3 for w in five)
    twenty = [plan.content_weeks(k, 20) for k in range(1, 21)]
    flat = [w[0] for w in twenty]
    assert all(len(w) == 1 for w in twenty)
    assert flat == sorted(flat)
    assert set(flat) == set(range(1, 13))
    assert flat[0] == 1
    assert flat[-1] == 12
    assert plan.primary_week(3, 6) == 5
    with pytest.raises(ValueError):
        plan.content_weeks(7, 6)


async def test_enrol_defaults_and_validation(db: Database, content: ContentStore) -> None:
    row = await enrol(db, content, tz="europe/berlin")
    assert row.timezone == "Europe/Berlin"
    assert row.start_date == date(2026, 11, 25)  # a Wednesday in Berlin
    assert (row.reminder_day, row.reminder_time, row.weeks, row.deliver) == (2, "09:00", 12, "dm")
    assert row.status == "active"

    cases = [
        ({"tz": "Berlin"}, "Europe/Berlin"),
        ({"tz": "PST"}, "America/Los_Angeles"),
        ({"reminder_time": "7pm"}, "19:00"),
        ({"reminder_time": "25:00"}, "not a time of day"),
        ({"exam_date": date(2026, 11, 20)}, "exam date is in the past"),
        ({"exam_date": date(2026, 11, 25)}, "exam date is in the past"),
        ({"exam_date": date(2026, 12, 5)}, "at least 2 weeks"),
        ({"deliver": "channel", "channel_id": None}, "server channel"),
        ({"deliver": "email"}, "DM or to a channel"),
        ({"reminder_day": 7}, "Monday"),
        ({"start_date": date(2028, 1, 1)}, "within a year"),
        ({"start_date": date(2026, 6, 1)}, "over already"),
    ]
    for options, message in cases:
        tz = str(options.pop("tz", "Europe/Berlin"))
        with pytest.raises(InvalidInput, match=message):
            kwargs = {"channel_id": CHANNEL, **options}
            await db.write(
                plan.enrol,
                content,
                user_id=OTHER,
                guild_id=GUILD,
                timezone=tz,
                now=FIXED_NOW,
                **kwargs,
            )  # type: ignore[arg-type]


async def test_the_week_across_timezones(db: Database, content: ContentStore) -> None:
    """At one UTC instant Auckland is already on Thursday, Los Angeles still on Wednesday."""
    start = date(2026, 11, 19)
    await enrol(db, content, user=USER, tz="Pacific/Auckland", start_date=start)
    await enrol(db, content, user=OTHER, tz="America/Los_Angeles", start_date=start)
    nz = await db.read(plan.status, content, user_id=USER, now=FIXED_NOW)
    la = await db.read(plan.status, content, user_id=OTHER, now=FIXED_NOW)
    assert (nz.today, la.today) == (date(2026, 11, 26), date(2026, 11, 25))
    assert (nz.position.week, nz.position.day) == (2, 0)
    assert (la.position.week, la.position.day) == (1, 6)
    assert nz.position.label == "Week 2 of 12 — Phase 1: ML fundamentals review"
    assert la.position.plan_week.week == 1

    # enrolled "today": each starts on their own local date, kickoffs on their own weekday
    auckland = await enrol(db, content, user=USER, tz="Pacific/Auckland")
    angeles = await enrol(db, content, user=OTHER, tz="America/Los_Angeles")
    assert (auckland.start_date, angeles.start_date) == (date(2026, 11, 26), date(2026, 11, 25))
    assert (auckland.reminder_day, angeles.reminder_day) == (3, 2)
    nz_next, la_next = (
        plan.next_reminder(auckland, FIXED_NOW),
        plan.next_reminder(angeles, FIXED_NOW),
    )
    assert nz_next == datetime(2026, 11, 25, 20, 0, tzinfo=UTC)  # Thu 09:00 NZDT
    assert la_next == datetime(2026, 11, 25, 17, 0, tzinfo=UTC)  # 06:30 there: 09:00 is ahead


async def test_position_before_start_and_after_the_end(db: Database, content: ContentStore) -> None:
    row = await enrol(db, content, start_date=date(2026, 12, 1))
    before = plan.position(row, date(2026, 11, 25), content)
    assert (before.week, before.started, before.finished, before.day) == (0, False, False, -6)
    assert before.label.startswith("Week 1 of 12 starts on Tue 01 Dec")
    after = plan.position(row, date(2026, 12, 1) + timedelta(weeks=12), content)
    assert (after.week, after.finished) == (13, True)
    assert after.label == "Plan finished (12 weeks)"


async def test_fitting_the_plan_to_an_exam_date(db: Database, content: ContentStore) -> None:
    start = date(2026, 11, 25)
    short = await enrol(db, content, start_date=start, exam_date=start + timedelta(weeks=6))
    assert short.weeks == 6
    first = plan.position(short, start, content)
    assert first.content_weeks == (1, 2)
    assert first.target == 80  # weeks 1 and 2 of the plan: 40 + 40
    last = plan.position(short, start + timedelta(weeks=5, days=6), content)
    assert (last.week, last.content_weeks, last.phase) == (6, (11, 12), 4)

    long = await enrol(db, content, start_date=start, exam_date=start + timedelta(weeks=20, days=3))
    assert long.weeks == 20
    covered = [plan.position(long, start + timedelta(weeks=k), content) for k in range(20)]
    assert [p.content_weeks[0] for p in covered][:4] == [1, 1, 2, 2]
    assert {p.content_weeks[0] for p in covered} == set(range(1, 13))
    assert covered[0].target == 40

    far = await enrol(db, content, start_date=start, exam_date=start + timedelta(weeks=80))
    assert far.weeks == 52


async def test_pause_and_resume_shift_the_plan(db: Database, content: ContentStore) -> None:
    await enrol(db, content, start_date=date(2026, 11, 2))  # a Monday: week 4 on Nov 25
    row = await db.write(plan.pause, user_id=USER, now=FIXED_NOW)
    assert row.paused_on == date(2026, 11, 25)
    with pytest.raises(InvalidInput, match="already paused"):
        await db.write(plan.pause, user_id=USER, now=FIXED_NOW)
    later = FIXED_NOW + timedelta(days=10)
    frozen = await db.read(plan.status, content, user_id=USER, now=later)
    assert (frozen.position.week, frozen.position.day) == (4, 2)
    assert frozen.position.label.endswith("(paused)")
    assert frozen.next_reminder is None
    assert await find(db, later) == ([], [])  # paused members get no kickoffs
    row = await db.write(plan.resume, user_id=USER, now=later)
    assert row.start_date == date(2026, 11, 12)  # moved by the 10 days paused
    resumed = await db.read(plan.status, content, user_id=USER, now=later)
    assert (resumed.position.week, resumed.position.day) == (4, 2)
    with pytest.raises(InvalidInput, match="not paused"):
        await db.write(plan.resume, user_id=USER, now=later)


async def test_resume_refits_to_the_exam_date(db: Database, content: ContentStore) -> None:
    start = date(2026, 11, 2)
    await enrol(db, content, start_date=start, exam_date=start + timedelta(weeks=12))
    await db.write(plan.pause, user_id=USER, now=FIXED_NOW)
    row = await db.write(plan.resume, user_id=USER, now=FIXED_NOW + timedelta(weeks=3))
    assert row.exam_date == start + timedelta(weeks=12)  # the exam does not move
    assert row.start_date == start + timedelta(weeks=3)
    assert row.weeks == 9  # the plan is compressed onto the weeks left
    pos = plan.position(row, date(2026, 12, 16), content)
    assert pos.week == 4
    assert pos.content_weeks == (5, 6)


async def test_not_enrolled_and_stop(db: Database, content: ContentStore) -> None:
    for action in (plan.pause, plan.resume, plan.stop):
        with pytest.raises(NotFound, match="/plan start"):
            await db.write(action, user_id=USER, now=FIXED_NOW)
    await enrol(db, content)
    assert (await db.write(plan.stop, user_id=USER, now=FIXED_NOW)).status == "stopped"
    with pytest.raises(NotFound, match="not enrolled"):
        await db.read(plan.status, content, user_id=USER, now=FIXED_NOW)
    with pytest.raises(InvalidInput):
        await db.write(plan.record_outcome, user_id=USER, outcome="maybe", now=FIXED_NOW)


# -- what is due -----------------------------------------------------------------------------
async def test_kickoff_due_then_stale_and_once(db: Database, content: ContentStore) -> None:
    # enrolled on Tuesday; the plan starts Wednesday Nov 25, kickoffs Wednesdays 09:00 Berlin
    await enrol(db, content, start_date=date(2026, 11, 25), now=FIXED_NOW - timedelta(days=1))
    moment = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
    assert await find(db, moment - timedelta(minutes=1)) == ([], [])
    due = await find(db, FIXED_NOW)
    assert [(d.key, d.week, d.due_at, d.deliver) for d in due.due] == [
        (f"remind:{USER}:1", 1, moment, "dm")
    ]
    assert due.stale == []
    stale = await find(db, moment + timedelta(hours=25))
    assert (stale.due, [d.key for d in stale.stale]) == ([], [f"remind:{USER}:1"])
    await record(db, due, FIXED_NOW)
    assert await find(db, FIXED_NOW + timedelta(hours=1)) == ([], [])
    nxt = await find(db, moment + timedelta(weeks=1))
    assert [d.key for d in nxt.due] == [f"remind:{USER}:2"]


async def test_kickoff_before_enrolling_is_not_sent(db: Database, content: ContentStore) -> None:
    row = await enrol(db, content)  # Wednesday 15:30 Berlin: today's 09:00 kickoff has passed
    assert await find(db, FIXED_NOW + timedelta(minutes=5)) == ([], [])
    assert plan.next_reminder(row, FIXED_NOW) == datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
    due = await find(db, datetime(2026, 12, 2, 8, 0, tzinfo=UTC))
    assert [d.key for d in due.due] == [f"remind:{USER}:2"]


async def test_dms_closed_channel_delivery_and_shards(db: Database, content: ContentStore) -> None:
    start = date(2026, 11, 25)
    earlier = FIXED_NOW - timedelta(days=1)
    await enrol(db, content, user=USER, start_date=start, now=earlier, guild=1)
    await enrol(db, content, user=OTHER, start_date=start, now=earlier, guild=2, deliver="channel")
    await enrol(db, content, user=THIRD, start_date=start, now=earlier, guild=None, channel_id=None)
    for user in (USER, OTHER, THIRD):
        await set_member(db, user, dms_closed=True)
    # closed DMs: a kickoff still goes to the member's channel; without one, nothing is tried
    assert sorted(d.user_id for d in (await find(db, FIXED_NOW)).due) == sorted([USER, OTHER])
    await set_member(db, USER, dms_closed=False)
    found = await db.read(
        plan_due.due, None, FIXED_NOW, kinds=["remind"], shard_filter=lambda g: g == 1
    )
    got = found["remind"]
    assert [(d.user_id, d.guild_id) for d in got.due] == [(USER, 1)]


async def test_reports_weekly_and_opt_out(db: Database, content: ContentStore) -> None:
    await enrol(db, content, start_date=date(2026, 11, 25), now=FIXED_NOW - timedelta(days=1))
    await enrol(
        db, content, user=OTHER, start_date=date(2026, 11, 25), now=FIXED_NOW - timedelta(days=1)
    )
    await set_member(db, OTHER, reports_enabled=False)
    # the first kickoff has no week of plan behind it: no report yet
    assert await find(db, FIXED_NOW, "report") == ([], [])
    week_later = await find(db, FIXED_NOW + timedelta(weeks=1), "report")
    assert [(d.key, d.period, d.deliver) for d in week_later.due] == [
        (f"report:{USER}:2026-W49", "2026-W49", "dm")
    ]
    await record(db, week_later, FIXED_NOW + timedelta(weeks=1))
    assert await find(db, FIXED_NOW + timedelta(weeks=1, days=1), "report") == ([], [])


async def test_one_dm_at_a_kickoff_carries_the_report(db: Database, content: ContentStore) -> None:
    await enrol(db, content, start_date=date(2026, 11, 25), now=FIXED_NOW - timedelta(days=1))
    week_two = FIXED_NOW + timedelta(weeks=1)
    found = await db.read(plan_due.due, content, week_two)
    (kickoff,) = found["remind"].due
    assert (kickoff.key, kickoff.report) == (f"remind:{USER}:2", f"report:{USER}:2026-W49")
    assert found["report"].due == []  # not a second DM
    at_first = await db.read(plan_due.due, content, FIXED_NOW)
    assert [(d.key, d.report) for d in at_first["remind"].due] == [(f"remind:{USER}:1", None)]


async def test_nudge_mid_week_when_behind(db: Database, content: ContentStore) -> None:
    await enrol(db, content, start_date=date(2026, 11, 25), now=FIXED_NOW - timedelta(days=1))
    nudge_at = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)  # Saturday 09:00 Berlin
    assert await find(db, nudge_at - timedelta(minutes=1), "nudge", content) == ([], [])
    await answered(db, FIXED_NOW - timedelta(hours=7), 5)  # before the kickoff: not this week
    await answered(db, FIXED_NOW, 19)
    due = await find(db, nudge_at, "nudge", content)
    assert [(d.key, d.due_at) for d in due.due] == [(f"nudge:{USER}:1", nudge_at)]
    await answered(db, nudge_at - timedelta(hours=1), 1)  # half of week 1's target of 40
    assert await find(db, nudge_at, "nudge", content) == ([], [])
    await execute(db, delete(Answer))
    await set_member(db, USER, nudges_enabled=False)
    assert await find(db, nudge_at, "nudge", content) == ([], [])


async def test_exam_followup(db: Database, content: ContentStore) -> None:
    start, exam = date(2026, 11, 25), date(2026, 12, 20)
    await enrol(db, content, start_date=start, exam_date=exam)
    assert await find(db, datetime(2026, 12, 21, 7, 59, tzinfo=UTC), "examdone") == ([], [])
    due = await find(db, datetime(2026, 12, 21, 8, 0, tzinfo=UTC), "examdone")
    assert [d.key for d in due.due] == [f"examdone:{USER}"]
    await record(db, due, FIXED_NOW)
    assert await find(db, datetime(2026, 12, 22, tzinfo=UTC), "examdone") == ([], [])
    row = await db.write(plan.record_outcome, user_id=USER, outcome="passed", now=FIXED_NOW)
    assert (row.status, row.outcome) == ("finished", "passed")


async def test_reenrolling_starts_the_plan_over(db: Database, content: ContentStore) -> None:
    await enrol(db, content)
    for key in (f"remind:{USER}:1", f"nudge:{USER}:1", f"report:{USER}:2026-W48"):
        await db.write(deliveries.claim, key, key.split(":")[0], FIXED_NOW)
    await enrol(db, content, tz="Asia/Tokyo", reminder_time="07:30")
    keys = set(await scalars(db, select(Delivery.key)))
    rows = list(await scalars(db, select(Enrolment)))
    assert keys == {f"report:{USER}:2026-W48"}
    assert [(r.timezone, r.reminder_time) for r in rows] == [("Asia/Tokyo", "07:30")]


# -- daylight saving -------------------------------------------------------------------------
DST_CASES = [
    # Berlin springs forward on Sunday 2026-03-29 (02:00 → 03:00)
    (
        "Europe/Berlin",
        date(2026, 3, 16),
        {
            "09:00": ["2026-03-22 08:00", "2026-03-29 07:00", "2026-04-05 07:00"],
            "02:30": ["2026-03-22 01:30", "2026-03-29 01:00", "2026-04-05 00:30"],  # → 03:00
        },
    ),
    # New York falls back on Sunday 2026-11-01 (02:00 → 01:00): 01:30 happens twice
    (
        "America/New_York",
        date(2026, 10, 19),
        {
            "09:00": ["2026-10-25 13:00", "2026-11-01 14:00", "2026-11-08 14:00"],
            "01:30": ["2026-10-25 05:30", "2026-11-01 05:30", "2026-11-08 06:30"],
        },
    ),
]


@pytest.mark.parametrize(("tz", "start", "expected"), DST_CASES, ids=["berlin", "new-york"])
async def test_weekly_kickoffs_across_dst(
    sqlite_db: Database,
    content: ContentStore,
    tz: str,
    start: date,
    expected: dict[str, list[str]],
) -> None:
    """Ticking every hour for three weeks: one kickoff a week, at the local reminder time."""
    created = datetime.combine(start, time(), tzinfo=UTC) - timedelta(days=2)
    users = dict(enumerate(expected, start=1))
    for user, at in users.items():
        await enrol(
            sqlite_db, content, user=user, tz=tz, start_date=start, now=created,
            reminder_time=at, reminder_day=6,
        )  # fmt: skip
    sent: dict[int, list[tuple[str, datetime]]] = {user: [] for user in users}
    now = created
    while now < datetime.combine(start + timedelta(weeks=3), time(), tzinfo=UTC):
        dues = await find(sqlite_db, now)
        assert dues.stale == []
        await record(sqlite_db, dues, now)
        for d in dues.due:
            assert now - d.due_at < timedelta(hours=1)
            sent[d.user_id].append((d.key, d.due_at))
        now += timedelta(hours=1)
    zone = ZoneInfo(tz)
    for user, at in users.items():
        keys = [key for key, _ in sent[user]]
        assert keys == [f"remind:{user}:{k}" for k in (1, 2, 3)]
        moments = [f"{when:%Y-%m-%d %H:%M}" for _, when in sent[user]]
        assert moments == expected[at]
        if at == "09:00":
            assert {when.astimezone(zone).time() for _, when in sent[user]} == {time(9, 0)}


# -- next_at: a tick reads only the enrolments whose moment has come ---------------------
async def tick(db: Database, content: ContentStore, now: datetime) -> plan_due.Found:
    """What the plan job does: find (every kind), record, then settle the quiet rows."""
    found = await db.read(plan_due.due, content, now)
    for dues in found.values():
        await record(db, dues, now)
    await db.write(plan_due.settle, found.settled)
    return found


async def next_at(db: Database, user: int = USER) -> datetime | None:
    return await scalar(db, select(Enrolment.next_at).where(Enrolment.user_id == user))


async def test_a_tick_reads_only_enrolments_whose_moment_has_come(
    db: Database, content: ContentStore
) -> None:
    start = FIXED_NOW.astimezone(ZoneInfo("Europe/Berlin")).date()
    await enrol(db, content, start_date=start, reminder_time="23:30", reminder_day=start.weekday())
    kickoff = datetime.combine(start, time(23, 30), ZoneInfo("Europe/Berlin")).astimezone(UTC)
    assert await next_at(db) is None  # new: not worked out yet

    first = await tick(db, content, FIXED_NOW)
    assert not any(d.due for d in first.values())
    assert [(uid, when) for uid, _, when in first.settled] == [(USER, kickoff)]
    assert await next_at(db) == kickoff

    quiet = await tick(db, content, kickoff - timedelta(minutes=1))
    assert quiet.settled == []  # not even read
    assert not any(d.due for d in quiet.values())

    at_kickoff = await tick(db, content, kickoff)
    assert [d.key for d in at_kickoff["remind"].due] == [f"remind:{USER}:1"]
    assert at_kickoff.settled == []  # it had something to send: read again next tick
    after = await tick(db, content, kickoff + timedelta(minutes=1))
    assert not any(d.due for d in after.values())
    nudge = datetime.combine(start + timedelta(days=3), time(23, 30), ZoneInfo("Europe/Berlin"))
    assert await next_at(db) == nudge.astimezone(UTC)


async def test_settle_leaves_an_enrolment_made_again_since_the_read(
    db: Database, content: ContentStore
) -> None:
    await enrol(db, content)
    found = await db.read(plan_due.due, content, FIXED_NOW)
    assert [uid for uid, _, _ in found.settled] == [USER]
    await enrol(db, content, now=FIXED_NOW + timedelta(seconds=30), reminder_time="07:00")
    await db.write(plan_due.settle, found.settled)
    assert await next_at(db) is None  # the new schedule is still looked at


async def test_changes_that_affect_sends_have_the_tick_look_again(
    db: Database, content: ContentStore
) -> None:
    from bot.services import members

    await enrol(db, content)
    await tick(db, content, FIXED_NOW)
    assert await next_at(db) is not None
    await db.write(members.upsert_member, USER, now=FIXED_NOW, reports_enabled=True)
    assert await next_at(db) is None

    await tick(db, content, FIXED_NOW)
    await db.write(plan.pause, user_id=USER, now=FIXED_NOW)
    await db.write(plan.resume, user_id=USER, now=FIXED_NOW + timedelta(days=9))
    assert await next_at(db) is None
