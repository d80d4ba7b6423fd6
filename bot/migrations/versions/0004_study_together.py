"""Study together: live group quizzes, mock-exam days, the daily weak-spots mode

New tables live_quizzes, live_quiz_items, live_answers, mock_days and mock_entries;
guild_settings.mode (rotate | weak-spots, existing guilds keep rotating) and
daily_drops.reason (why weak-spots mode picked the question).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 13:11:22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.models

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "live_quizzes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("channel_id", sa.BigInteger(), nullable=False),
        sa.Column("live_channel_id", sa.BigInteger(), nullable=True),
        sa.Column("started_by", sa.BigInteger(), nullable=False),
        sa.Column("scope", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("participants", sa.Integer(), nullable=False),
        sa.Column("next_at", bot.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("started_at", bot.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", bot.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("end_note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_live_quizzes")),
        sa.UniqueConstraint("live_channel_id", name=op.f("uq_live_quizzes_live_channel_id")),
    )
    with op.batch_alter_table("live_quizzes", schema=None) as batch_op:
        batch_op.create_index("ix_live_quizzes_status_next", ["status", "next_at"], unique=False)

    op.create_table(
        "mock_days",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("channel_id", sa.BigInteger(), nullable=False),
        sa.Column("scheduled_by", sa.BigInteger(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("starts_at", bot.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closes_at", bot.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("length", sa.String(length=8), nullable=False),
        sa.Column("scheme", sa.String(length=16), nullable=False),
        sa.Column("question_ids", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("created_at", bot.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mock_days")),
    )
    with op.batch_alter_table("mock_days", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mock_days_guild_id"), ["guild_id"], unique=False)
        batch_op.create_index("ix_mock_days_status_starts", ["status", "starts_at"], unique=False)

    op.create_table(
        "live_answers",
        sa.Column("quiz_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("choice", sa.String(length=8), nullable=False),
        sa.Column("correct", sa.Boolean(), nullable=False),
        sa.Column("response_ms", sa.Integer(), nullable=False),
        sa.Column("answered_at", bot.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["quiz_id"],
            ["live_quizzes.id"],
            name=op.f("fk_live_answers_quiz_id_live_quizzes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("quiz_id", "user_id", "position", name=op.f("pk_live_answers")),
    )
    op.create_table(
        "live_quiz_items",
        sa.Column("quiz_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("question_id", sa.String(length=40), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("shown_at", bot.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("deadline_at", bot.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revealed_at", bot.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("answers", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["quiz_id"],
            ["live_quizzes.id"],
            name=op.f("fk_live_quiz_items_quiz_id_live_quizzes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("quiz_id", "position", name=op.f("pk_live_quiz_items")),
    )
    op.create_table(
        "mock_entries",
        sa.Column("day_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("started_at", bot.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["day_id"],
            ["mock_days.id"],
            name=op.f("fk_mock_entries_day_id_mock_days"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("day_id", "user_id", name=op.f("pk_mock_entries")),
    )
    with op.batch_alter_table("daily_drops", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reason", sa.Text(), nullable=True))

    with op.batch_alter_table("guild_settings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("mode", sa.String(length=16), server_default="rotate", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("guild_settings", schema=None) as batch_op:
        batch_op.drop_column("mode")

    with op.batch_alter_table("daily_drops", schema=None) as batch_op:
        batch_op.drop_column("reason")

    op.drop_table("mock_entries")
    op.drop_table("live_quiz_items")
    op.drop_table("live_answers")
    with op.batch_alter_table("mock_days", schema=None) as batch_op:
        batch_op.drop_index("ix_mock_days_status_starts")
        batch_op.drop_index(batch_op.f("ix_mock_days_guild_id"))

    op.drop_table("mock_days")
    with op.batch_alter_table("live_quizzes", schema=None) as batch_op:
        batch_op.drop_index("ix_live_quizzes_status_next")

    op.drop_table("live_quizzes")
