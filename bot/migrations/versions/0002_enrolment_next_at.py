"""enrolments.next_at: plan ticks read only the enrolments whose moment has come

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 20:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.models

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("enrolments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("next_at", bot.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.drop_index("ix_enrolments_status")
        batch_op.create_index("ix_enrolments_status_next", ["status", "next_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("enrolments", schema=None) as batch_op:
        batch_op.drop_index("ix_enrolments_status_next")
        batch_op.create_index("ix_enrolments_status", ["status"], unique=False)
        batch_op.drop_column("next_at")
