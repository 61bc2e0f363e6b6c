"""Job runs as the outbox page, ``hub jobs list`` and the connector status show them.

Every function reads only and leaves the transaction to its caller.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.models import JobOutcome, JobRun
from hub.outbox.connectors import DISPATCH_PREFIX


@dataclass(frozen=True)
class RunSummary:
    id: int
    job: str
    period: str | None
    worker: str
    started_at: datetime
    finished_at: datetime | None
    outcome: str
    delivered: int
    retried: int
    dead: int
    note: str | None
    error: str | None


def _summary(run: JobRun) -> RunSummary:
    return RunSummary(
        id=run.id,
        job=run.job,
        period=run.period,
        worker=run.worker,
        started_at=run.started_at,
        finished_at=run.finished_at,
        outcome=run.outcome,
        delivered=run.delivered,
        retried=run.retried,
        dead=run.dead,
        note=run.note,
        error=run.error,
    )


def latest_runs(
    session: Session, where: sa.ColumnElement[bool] | None = None, *, limit: int = 20
) -> list[RunSummary]:
    """Return the latest runs matching the condition (all when None), newest first."""
    query = sa.select(JobRun).order_by(JobRun.started_at.desc(), JobRun.id.desc()).limit(limit)
    if where is not None:
        query = query.where(where)
    return [_summary(run) for run in session.scalars(query)]


def recent_runs(session: Session, *, job: str | None = None, limit: int = 20) -> list[RunSummary]:
    """Return the latest job runs, newest first, of one job or of all."""
    return latest_runs(session, None if job is None else JobRun.job == job, limit=limit)


def background_runs(session: Session, *, limit: int = 20) -> list[RunSummary]:
    """Return the latest runs of every job but the dispatch loops, newest first."""
    return latest_runs(session, JobRun.job.not_like(f"{DISPATCH_PREFIX}%"), limit=limit)


def abandoned_runs(session: Session, *, limit: int = 20) -> list[RunSummary]:
    """Return the runs the reaper closed because their process died, newest first."""
    return latest_runs(session, JobRun.outcome == JobOutcome.ABANDONED, limit=limit)
