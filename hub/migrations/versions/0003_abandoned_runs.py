"""job runs: an "abandoned" outcome for runs left running by a process that died

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 04:00:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_NAME = "ck_job_runs_outcome_known"


def upgrade() -> None:
    # SQLite cannot alter a CHECK constraint: batch mode copies the table with the new one.
    with op.batch_alter_table("job_runs", schema=None) as batch_op:
        batch_op.drop_constraint(op.f(_NAME), type_="check")
        batch_op.create_check_constraint(
            op.f(_NAME), "outcome IN ('running', 'ok', 'failed', 'abandoned')"
        )


def downgrade() -> None:
    # The older schema has no word for these runs; they read as failed, which they were.
    op.execute("UPDATE job_runs SET outcome = 'failed' WHERE outcome = 'abandoned'")
    with op.batch_alter_table("job_runs", schema=None) as batch_op:
        batch_op.drop_constraint(op.f(_NAME), type_="check")
        batch_op.create_check_constraint(op.f(_NAME), "outcome IN ('running', 'ok', 'failed')")
