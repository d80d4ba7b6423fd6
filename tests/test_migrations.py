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
