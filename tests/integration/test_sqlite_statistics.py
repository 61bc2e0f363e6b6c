"""SQLite's planner gets statistics, so a claim walks the pending index instead of sorting."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from hub.db import get_db, get_session, refresh_statistics, write_transaction
from hub.models import OutboxRow


def _claim_plan(app: Flask) -> str:
    with app.app_context():
        rows = (
            get_session()
            .execute(
                sa.text(
                    "EXPLAIN QUERY PLAN SELECT id FROM outbox WHERE connector = 'noop'"
                    " AND status = 'pending' AND next_attempt_at <= '2100-01-01'"
                    " ORDER BY id LIMIT 100"
                )
            )
            .all()
        )
        return " ".join(str(row[-1]) for row in rows)


def test_statistics_steer_claims_to_the_pending_index(app: Flask, backend: str) -> None:
    with app.app_context():
        session = get_session()
        with write_transaction(session):
            session.add_all(
                OutboxRow(
                    connector="noop",
                    topic="order.created",
                    aggregate_type="order",
                    aggregate_ref=f"C-{i % 50}",
                    payload={},
                    status="delivered" if i % 4 else "pending",
                )
                for i in range(400)
            )
    refresh_statistics(get_db(app).engine)
    if backend != "sqlite":
        return  # PostgreSQL's autovacuum keeps its own statistics; nothing to do there.
    with app.app_context():
        analysed = get_session().scalars(sa.text("SELECT tbl FROM sqlite_stat1")).all()
    assert "outbox" in analysed
    plan = _claim_plan(app)
    assert "ix_outbox_pending" in plan
    assert "TEMP B-TREE" not in plan
