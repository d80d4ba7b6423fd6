"""toward the exam date: review logs and parameters, study days, card stability

Adds `review_logs` (every FSRS review, for the optimizer), `review_params` (a member's
FSRS parameters and their weekly fit), `study_days` (the study streak) and two columns of
`review_cards` that the recall forecast reads (stability, last_review).

The history already recorded is carried over: every answer was an FSRS review (rated Good
when right, Again when wrong), so the answers become review logs and study days (the local
date in the member's plan timezone, else UTC), and each card's stability and last review
are read from its JSON.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 13:16:39
"""

import json
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from alembic import op

import bot.models

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 20_000
GOOD, AGAIN = 3, 1  # fsrs Rating values, as bot/services/review.py rates answers

answers = sa.table(
    "answers",
    sa.column("id", sa.Integer()),
    sa.column("user_id", sa.BigInteger()),
    sa.column("question_id", sa.String()),
    sa.column("correct", sa.Boolean()),
    sa.column("response_ms", sa.Integer()),
    sa.column("answered_at", bot.models.UTCDateTime()),
)
cards = sa.table(
    "review_cards",
    sa.column("user_id", sa.BigInteger()),
    sa.column("question_id", sa.String()),
    sa.column("card", sa.Text()),
    sa.column("stability", sa.Float()),
    sa.column("last_review", bot.models.UTCDateTime()),
)
enrolments = sa.table("enrolments", sa.column("user_id", sa.BigInteger()), sa.column("timezone"))
logs = sa.table(
    "review_logs",
    sa.column("user_id", sa.BigInteger()),
    sa.column("question_id", sa.String()),
    sa.column("rating", sa.Integer()),
    sa.column("reviewed_at", bot.models.UTCDateTime()),
    sa.column("duration_ms", sa.Integer()),
)
params = sa.table(
    "review_params",
    sa.column("user_id", sa.BigInteger()),
    sa.column("reviews", sa.Integer()),
    sa.column("fitted_on", sa.Integer()),
)
days = sa.table(
    "study_days",
    sa.column("user_id", sa.BigInteger()),
    sa.column("day", sa.Date()),
    sa.column("answered", sa.Integer()),
)


def upgrade() -> None:
    op.create_table(
        "review_logs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("question_id", sa.String(length=40), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("reviewed_at", bot.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_logs")),
    )
    with op.batch_alter_table("review_logs", schema=None) as batch_op:
        batch_op.create_index("ix_review_logs_user_time", ["user_id", "reviewed_at"], unique=False)
    op.create_table(
        "review_params",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("parameters", sa.Text(), nullable=True),
        sa.Column("reviews", sa.Integer(), nullable=False),
        sa.Column("fitted_on", sa.Integer(), nullable=False),
        sa.Column("fitted_at", bot.models.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_review_params")),
    )
    op.create_table(
        "study_days",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("answered", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "day", name=op.f("pk_study_days")),
    )
    with op.batch_alter_table("review_cards", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stability", sa.Float(), nullable=True))
        batch_op.add_column(
            sa.Column("last_review", bot.models.UTCDateTime(timezone=True), nullable=True)
        )
    conn = op.get_bind()
    _logs_from_answers(conn)
    _card_columns(conn)
    _study_days(conn)


def _logs_from_answers(conn: sa.Connection) -> None:
    rating = sa.case((answers.c.correct, GOOD), else_=AGAIN)
    conn.execute(
        logs.insert().from_select(
            ["user_id", "question_id", "rating", "reviewed_at", "duration_ms"],
            sa.select(
                answers.c.user_id,
                answers.c.question_id,
                rating,
                answers.c.answered_at,
                answers.c.response_ms,
            ).order_by(answers.c.id),
        )
    )
    conn.execute(
        params.insert().from_select(
            ["user_id", "reviews", "fitted_on"],
            sa.select(answers.c.user_id, sa.func.count(), sa.literal(0)).group_by(
                answers.c.user_id
            ),
        )
    )


def _card_columns(conn: sa.Connection) -> None:
    rows = conn.execute(sa.select(cards.c.user_id, cards.c.question_id, cards.c.card)).all()
    update = (
        cards.update()
        .where(cards.c.user_id == sa.bindparam("uid"), cards.c.question_id == sa.bindparam("qid"))
        .values(stability=sa.bindparam("s"), last_review=sa.bindparam("lr"))
    )
    for i in range(0, len(rows), BATCH):
        values = []
        for uid, qid, text in rows[i : i + BATCH]:
            card = json.loads(text)
            last = card.get("last_review")
            values.append(
                {
                    "uid": uid,
                    "qid": qid,
                    "s": card.get("stability"),
                    "lr": datetime.fromisoformat(last).astimezone(UTC) if last else None,
                }
            )
        conn.execute(update, values)


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _study_days(conn: sa.Connection) -> None:
    zones = {uid: _zone(tz) for uid, tz in conn.execute(sa.select(enrolments))}
    utc = ZoneInfo("UTC")
    counted: Counter[tuple[int, object]] = Counter()
    last = 0
    while True:
        page = conn.execute(
            sa.select(answers.c.id, answers.c.user_id, answers.c.answered_at)
            .where(answers.c.id > last)
            .order_by(answers.c.id)
            .limit(BATCH)
        ).all()
        if not page:
            break
        for _id, uid, when in page:
            counted[(uid, when.astimezone(zones.get(uid, utc)).date())] += 1
        last = page[-1][0]
    rows = [{"user_id": u, "day": d, "answered": n} for (u, d), n in counted.items()]
    for i in range(0, len(rows), BATCH):
        conn.execute(days.insert(), rows[i : i + BATCH])


def downgrade() -> None:
    with op.batch_alter_table("review_cards", schema=None) as batch_op:
        batch_op.drop_column("last_review")
        batch_op.drop_column("stability")
    op.drop_table("study_days")
    op.drop_table("review_params")
    with op.batch_alter_table("review_logs", schema=None) as batch_op:
        batch_op.drop_index("ix_review_logs_user_time")
    op.drop_table("review_logs")
