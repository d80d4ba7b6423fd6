"""The migrations produce exactly the models' schema, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from bot.db import Database
from bot.models import Base


def _diff(connection: Connection) -> list[Any]:
    ctx = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(ctx, Base.metadata))


async def test_migrations_match_models(db: Database) -> None:
    assert await db.read(lambda s: _diff(s.connection())) == []


async def test_every_model_table_exists(db: Database) -> None:
    tables = await db.read(lambda s: set(inspect(s.connection()).get_table_names()))
    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables


async def test_upgrade_is_idempotent(db: Database) -> None:
    from bot.migrate import upgrade

    await upgrade(db.engine)
    assert await db.read(lambda s: _diff(s.connection())) == []


async def test_0002_keeps_the_enrolments(db_url: str) -> None:
    """Upgrading a database at 0001 keeps its enrolments, with next_at not worked out."""
    from sqlalchemy import text

    from bot.db import Database
    from bot.migrate import upgrade

    db = Database.from_url(db_url)

    def back_to_0001(session: Session) -> None:  # as a bot of that version left it
        _downgrade(session.connection(), "0001")
        session.execute(
            text(
                "INSERT INTO enrolments (user_id, timezone, start_date, weeks, reminder_time, "
                "reminder_day, deliver, status, created_at) VALUES (7, 'UTC', '2026-11-02', 12, "
                "'09:00', 0, 'dm', 'active', '2026-11-01 10:00:00')"
            )
        )

    await db.write(back_to_0001)
    await upgrade(db.engine)
    rows = await db.read(lambda s: s.execute(text("SELECT user_id, next_at FROM enrolments")).all())
    await db.close()
    assert [tuple(r) for r in rows] == [(7, None)]


def _downgrade(connection: object, revision: str) -> None:
    from alembic import command

    from bot.migrate import alembic_config

    cfg = alembic_config()
    cfg.attributes["connection"] = connection
    command.downgrade(cfg, revision)


# The revision adding review logs, study days and the cards' stability, and the one before
# it (renumbered when branches merge: keep these two in step with migrations/versions).
BEFORE_LOGS, LOGS_REVISION = "0004", "0005"


async def test_0005_carries_the_history_over(db_url: str) -> None:
    """Upgrading keeps what was answered: answers become review logs and study days (in the
    member's plan timezone), and each card's stability comes out of its JSON."""
    from datetime import UTC, date, datetime

    import sqlalchemy as sa

    from bot.db import Database
    from bot.migrate import upgrade
    from bot.models import Answer, Enrolment, ReviewLog, ReviewParams, StudyDay, UTCDateTime

    cards = sa.table(
        "review_cards",
        sa.column("user_id"),
        sa.column("question_id"),
        sa.column("card"),
        sa.column("due_at", UTCDateTime()),
        sa.column("reviews"),
    )
    late = datetime(2026, 11, 25, 14, 50, tzinfo=UTC)  # 23:50 in Tokyo
    card = (
        '{"card_id": 1, "state": 2, "step": null, "stability": 13.8, "difficulty": 2.1, '
        '"due": "2026-12-09T14:50:00+00:00", "last_review": "2026-11-25T14:50:00+00:00"}'
    )

    def answer(user: int, correct: bool, when: datetime) -> Answer:
        return Answer(user_id=user, guild_id=None, question_id="data-001", domain="data",
            subtopic="preprocessing", source="quiz", choice="A", correct=correct,
            response_ms=5000, points=0, answered_at=when)  # fmt: skip

    def before(session: Session) -> None:  # as a bot of the version before left it
        _downgrade(session.connection(), BEFORE_LOGS)
        session.add_all(
            [
                answer(7, False, late),
                answer(7, True, late.replace(hour=15, minute=10)),  # 00:10 next day in Tokyo
                answer(8, True, late),
                Enrolment(
                    user_id=7,
                    timezone="Asia/Tokyo",
                    start_date=date(2026, 11, 2),
                    weeks=12,
                    reminder_time="09:00",
                    reminder_day=0,
                    deliver="dm",
                    status="active",
                    created_at=late,
                ),
            ]
        )
        session.flush()
        session.execute(
            cards.insert().values(
                user_id=7, question_id="data-001", card=card, due_at=late, reviews=2
            )
        )

    db = Database.from_url(db_url)
    await db.write(before)
    await upgrade(db.engine)

    def after(session: Session) -> tuple[list[Any], ...]:
        return (
            [
                tuple(r)
                for r in session.execute(
                    sa.select(
                        ReviewLog.user_id,
                        ReviewLog.rating,
                        ReviewLog.reviewed_at,
                        ReviewLog.duration_ms,
                    ).order_by(ReviewLog.id)
                )
            ],
            [
                tuple(r)
                for r in session.execute(
                    sa.select(
                        ReviewParams.user_id, ReviewParams.reviews, ReviewParams.parameters
                    ).order_by(ReviewParams.user_id)
                )
            ],
            [
                tuple(r)
                for r in session.execute(
                    sa.select(StudyDay.user_id, StudyDay.day, StudyDay.answered).order_by(
                        StudyDay.user_id, StudyDay.day
                    )
                )
            ],
            [tuple(r) for r in session.execute(sa.text("SELECT stability FROM review_cards"))],
        )

    logs, params, days, stability = await db.read(after)
    await db.close()
    assert logs == [
        (7, 1, late, 5000),
        (7, 3, late.replace(hour=15, minute=10), 5000),
        (8, 3, late, 5000),
    ]
    assert params == [(7, 2, None), (8, 1, None)]
    assert days == [
        (7, date(2026, 11, 25), 1),
        (7, date(2026, 11, 26), 1),
        (8, date(2026, 11, 25), 1),
    ]
    assert stability == [(13.8,)]


# The revision keeping guild calendars and the one before it (renumbered when branches
# merge: keep these two in step with migrations/versions).
BEFORE_CALENDARS, CALENDARS_REVISION = "0006", "0007"


async def test_0007_rebuilds_the_weeks_in_each_guild_timezone(db_url: str) -> None:
    """Upgrading takes each guild's timezone from its daily drops and recounts its week and
    month totals from the answers in that calendar: all-time rows, UTC guilds' rows and the
    drops' answers stay; the drops made before have no timezone."""
    from datetime import UTC, date, datetime

    import sqlalchemy as sa

    from bot.db import Database
    from bot.migrate import upgrade
    from bot.models import UTCDateTime

    def table(name: str, *columns: tuple[str, Any]) -> Any:
        return sa.table(name, *(sa.column(c, t) for c, t in columns))

    when = UTCDateTime()
    settings = table("guild_settings", ("guild_id", sa.BigInteger()),
        ("channel_id", sa.BigInteger()), ("post_time", sa.String()), ("timezone", sa.String()),
        ("domains", sa.String()),
        ("reveal_after_hours", sa.Integer()), ("mode", sa.String()), ("paused", sa.Boolean()),
        ("failures", sa.Integer()), ("setup_by", sa.BigInteger()), ("shard_key", sa.Integer()),
        ("updated_at", when))  # fmt: skip
    answers = table("answers", ("user_id", sa.BigInteger()), ("guild_id", sa.BigInteger()),
        ("question_id", sa.String()), ("domain", sa.String()), ("subtopic", sa.String()),
        ("source", sa.String()), ("choice", sa.String()), ("correct", sa.Boolean()),
        ("points", sa.Integer()), ("answered_at", when))  # fmt: skip
    totals = table("leaderboard_totals", ("guild_id", sa.BigInteger()), ("period", sa.String()),
        ("domain", sa.String()), ("user_id", sa.BigInteger()), ("points", sa.Integer()),
        ("answered", sa.Integer()), ("correct", sa.Integer()), ("reached_at", when))  # fmt: skip
    drops = table("daily_drops", ("id", sa.Integer()), ("guild_id", sa.BigInteger()),
        ("local_date", sa.Date()), ("question_id", sa.String()), ("channel_id", sa.BigInteger()),
        ("status", sa.String()), ("attempts", sa.Integer()), ("due_at", when), ("reveal_at", when),
        ("answers", sa.Integer()), ("shown_answers", sa.Integer()))  # fmt: skip
    drop_answers = table("daily_answers", ("drop_id", sa.Integer()), ("user_id", sa.BigInteger()),
        ("choice", sa.String()), ("correct", sa.Boolean()), ("answered_at", when))  # fmt: skip
    sunday = datetime(2026, 11, 29, 20, 0, tzinfo=UTC)  # Monday 09:00 in Auckland: week 49

    def answer(guild: int, user: int, at: datetime, points: int) -> dict[str, Any]:
        return {"user_id": user, "guild_id": guild, "question_id": "data-001", "domain": "data",
            "subtopic": "preprocessing", "source": "daily", "choice": "A",
            "correct": points > 2, "points": points, "answered_at": at}  # fmt: skip

    def total(guild: int, period: str, user: int, points: int) -> dict[str, Any]:
        return {"guild_id": guild, "period": period, "domain": "*", "user_id": user,
            "points": points, "answered": 1, "correct": 1, "reached_at": sunday}  # fmt: skip

    def before(session: Session) -> None:  # as a bot of the version before left it
        _downgrade(session.connection(), BEFORE_CALENDARS)
        session.execute(settings.insert().values(guild_id=1, channel_id=5, post_time="09:00",
            timezone="Pacific/Auckland", domains="data", reveal_after_hours=12, mode="rotate",
            paused=False, failures=0, setup_by=42, shard_key=0, updated_at=sunday))  # fmt: skip
        session.execute(answers.insert(), [
            answer(1, 7, sunday, 10), answer(1, 7, sunday.replace(day=25), 2),
            answer(1, 8, sunday.replace(day=30), 10), answer(2, 9, sunday, 10),
        ])  # fmt: skip
        session.execute(totals.insert(), [  # what the version before kept: UTC weeks
            total(1, "all", 7, 12), total(1, "all", 8, 10), total(1, "2026-W48", 7, 12),
            total(1, "2026-W49", 8, 10), total(1, "2026-11", 7, 12), total(2, "2026-W48", 9, 10),
        ])  # fmt: skip
        session.execute(drops.insert().values(id=1, guild_id=1, local_date=date(2026, 11, 30),
            question_id="data-001", channel_id=5, status="revealed", attempts=1, due_at=sunday,
            reveal_at=sunday, answers=1, shown_answers=1))  # fmt: skip
        session.execute(drop_answers.insert().values(drop_id=1, user_id=7, choice="A",
            correct=True, answered_at=sunday))  # fmt: skip

    db = Database.from_url(db_url)
    await db.write(before)
    await upgrade(db.engine)

    def after(session: Session) -> tuple[Any, ...]:
        rows = session.execute(
            sa.select(totals.c.guild_id, totals.c.period, totals.c.user_id, totals.c.points)
            .where(totals.c.domain == "*")
            .order_by(totals.c.guild_id, totals.c.period, totals.c.user_id)
        )
        zones = session.execute(sa.text("SELECT guild_id, timezone FROM guilds"))
        kept = session.execute(sa.text("SELECT drop_id, user_id FROM daily_answers"))
        drop = session.execute(sa.text("SELECT local_date, timezone FROM daily_drops"))
        return [tuple(r) for r in rows], [tuple(r) for r in zones], list(kept), list(drop)

    rows, zones, kept, drop = await db.read(after)
    await db.close()
    assert rows == [
        (1, "2026-11", 7, 12), (1, "2026-12", 8, 10),  # Auckland's months and weeks
        (1, "2026-W48", 7, 2), (1, "2026-W49", 7, 10), (1, "2026-W49", 8, 10),
        (1, "all", 7, 12), (1, "all", 8, 10),  # as they were
        (2, "2026-W48", 9, 10),  # a guild in UTC keeps its rows
    ]  # fmt: skip
    assert zones == [(1, "Pacific/Auckland")]
    assert [tuple(r) for r in kept] == [(1, 7)]
    assert [(str(day), zone) for day, zone in drop] == [("2026-11-30", None)]
