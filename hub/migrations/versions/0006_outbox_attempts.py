"""outbox rows know whether their connector got them, and how many leases they lost

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 01:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "outbox",
        sa.Column("handed_over", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column(
        "outbox",
        sa.Column("lost_leases", sa.Integer(), nullable=False, server_default="0"),
    )


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("lost_leases")
        batch_op.drop_column("handed_over")
