"""outbox rows age from their first attempt; running jobs write a heartbeat

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 06:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("outbox", sa.Column("first_attempt_at", sa.DateTime(), nullable=True))
    op.add_column("job_runs", sa.Column("heartbeat_at", sa.DateTime(), nullable=True))
    # Rows already tried keep the age they had (counted from creation); untried rows wait for
    # their first attempt. Running runs count as alive since they started, as before.
    op.execute("UPDATE outbox SET first_attempt_at = created_at WHERE attempts > 0")
    op.execute("UPDATE job_runs SET heartbeat_at = started_at WHERE outcome = 'running'")


def downgrade() -> None:
    with op.batch_alter_table("job_runs", schema=None) as batch_op:
        batch_op.drop_column("heartbeat_at")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("first_attempt_at")
