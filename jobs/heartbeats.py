"""The worker's own heartbeat: one row per running worker, refreshed even while it is idle.

Job runs say what work was done; an idle dispatch loop writes no run (jobs/runs.py), so they
cannot tell a quiet worker from a dead one. This row can: the worker refreshes it every
``[jobs] heartbeat_seconds`` from a scheduler job of its own, and deletes it when it stops.
A row left to age belongs to a worker that hangs or died (hub/outbox/status.py reads them).
"""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.db import utcnow, write_transaction
from hub.models import WorkerHeartbeat

#: Rows of workers unheard for this long are dropped: the page lists the recent ones only.
FORGET_AFTER = timedelta(days=1)


def beat(session: Session, worker: str, *, started_at: datetime) -> None:
    """Record that this worker is alive now, and forget workers unheard for a day."""
    now = utcnow()
    with write_transaction(session):
        updated = session.execute(
            sa.update(WorkerHeartbeat)
            .where(WorkerHeartbeat.worker == worker)
            .values(last_seen_at=now)
            .execution_options(synchronize_session=False)
        )
        if not updated.rowcount:  # type: ignore[attr-defined]
            session.add(
                WorkerHeartbeat(
                    worker=worker,
                    host=socket.gethostname(),
                    pid=os.getpid(),
                    started_at=started_at,
                    last_seen_at=now,
                )
            )
        session.execute(
            sa.delete(WorkerHeartbeat)
            .where(WorkerHeartbeat.last_seen_at < now - FORGET_AFTER)
            .execution_options(synchronize_session=False)
        )


def forget(session: Session, worker: str) -> None:
    """Remove the worker's row: it stopped cleanly, so it is neither alive nor silent."""
    with write_transaction(session):
        session.execute(
            sa.delete(WorkerHeartbeat)
            .where(WorkerHeartbeat.worker == worker)
            .execution_options(synchronize_session=False)
        )
