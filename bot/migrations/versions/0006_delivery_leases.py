"""deliveries: claims are leases, and a sent delivery keeps its message id

Adds `deliveries.lease_until` (a claim nobody renewed past it is taken over) and
`deliveries.message_id` (the message the member sees). A claim left by an earlier version
gets a lease that has already lapsed, so the first tick after the upgrade retries it.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.models

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("lease_until", bot.models.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("message_id", sa.BigInteger(), nullable=True))
    op.execute("UPDATE deliveries SET lease_until = claimed_at WHERE status = 'claimed'")


def downgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_column("message_id")
        batch_op.drop_column("lease_until")
