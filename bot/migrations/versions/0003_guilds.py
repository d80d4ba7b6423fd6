"""guilds: a guild's own timezone, and when the bot left it

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.models

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "guilds",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=True),
        sa.Column("left_at", bot.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", bot.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("guild_id", name=op.f("pk_guilds")),
    )
    with op.batch_alter_table("guilds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_guilds_left_at"), ["left_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("guilds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_guilds_left_at"))
    op.drop_table("guilds")
