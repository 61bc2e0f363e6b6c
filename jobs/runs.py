"""Run one job inside the app context: take its period if it has one, and record the run."""

from __future__ import annotations

import logging
import os
import socket
import threading
import traceback
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from hub.db import get_session, utcnow, write_transaction
from hub.models import JobOutcome, JobRun
from jobs import guards
from jobs.spec import JobContext, JobSpec, RunCounts

log = logging.getLogger("hub.jobs")


def worker_label() -> str:
    """Name this process in run rows and guards: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class RunResult:
    """How a run ended: ``ok``, ``failed``, or ``skipped`` when another run had its period."""

    job: str
    outcome: str
    period: str | None
    counts: RunCounts
    error: str | None = None
    run_id: int | None = None


def _finish(
    session: Session,
    run: JobRun | None,
    spec: JobSpec,
    result: RunResult,
    label: str,
    started: datetime,
) -> int | None:
    if run is None:
        if spec.quiet and result.outcome == JobOutcome.OK.value and result.counts.idle:
            return None
        # A quiet run is written once, at its end, when it turns out to be worth keeping.
        run = JobRun(job=spec.name, period=result.period, worker=label, started_at=started)
    with write_transaction(session):
        run = session.merge(run)
        run.finished_at = utcnow()
        run.outcome = result.outcome
        run.delivered = result.counts.delivered
        run.retried = result.counts.retried
        run.dead = result.counts.dead
        run.note = result.counts.note
        run.error = result.error
    return run.id


def run_job(
    app: Flask,
    spec: JobSpec,
    *,
    period: str | None = None,
    stopping: threading.Event | None = None,
    nudged: threading.Event | None = None,
    worker: str | None = None,
) -> RunResult:
    """Run the job once now, in a fresh app context, and record how it went."""
    label = worker or worker_label()
    with app.app_context():
        session = get_session()
        started = utcnow()
        if period is None and spec.period is not None:
            period = spec.period(started)
        if period is not None and not guards.take(session, spec.name, period, label):
            log.info("job skipped", extra={"fields": {"job": spec.name, "period": period}})
            return RunResult(spec.name, "skipped", period, RunCounts())
        run: JobRun | None = None
        if not spec.quiet:
            with write_transaction(session):
                run = JobRun(job=spec.name, period=period, worker=label, started_at=started)
                session.add(run)
        ctx = JobContext(
            app=app,
            session=session,
            started_at=started,
            period=period,
            stopping=stopping or threading.Event(),
            nudged=nudged or threading.Event(),
        )
        try:
            counts = spec.run(ctx)
        except Exception as exc:
            session.rollback()
            log.exception("job failed", extra={"fields": {"job": spec.name, "period": period}})
            if period is not None:
                guards.give_back(session, spec.name, period, label)
            text = "".join(traceback.format_exception(exc))
            result = RunResult(spec.name, JobOutcome.FAILED.value, period, RunCounts(), text)
        else:
            result = RunResult(spec.name, JobOutcome.OK.value, period, counts)
        run_id = _finish(session, run, spec, result, label, started)
        return RunResult(result.job, result.outcome, period, result.counts, result.error, run_id)


def last_runs(session: Session, job: str, limit: int = 5) -> list[JobRun]:
    """Return the job's latest runs, newest first."""
    runs = list(
        session.scalars(
            sa.select(JobRun)
            .where(JobRun.job == job)
            .order_by(JobRun.started_at.desc(), JobRun.id.desc())
            .limit(limit)
        )
    )
    session.commit()
    return runs


def prune_runs(session: Session, *, before: datetime) -> int:
    """Delete finished runs that started before the cutoff."""
    with write_transaction(session):
        result = session.execute(
            sa.delete(JobRun).where(
                JobRun.started_at < before, JobRun.outcome != JobOutcome.RUNNING.value
            ),
            execution_options={"synchronize_session": False},
        )
    return cast(sa.CursorResult[Any], result).rowcount
