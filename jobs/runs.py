"""Run one job inside the app context: take its period if it has one, and record the run.

A run is written as ``running`` when it starts (periodic runs in the same transaction as their
period guard; quiet runs, the dispatch loop, only once they find work, so idle ticks write
nothing) and closed when it ends. While it works, a background thread refreshes its
``heartbeat_at`` every quarter of ``[jobs] run_timeout_minutes``. A process killed meanwhile
leaves it running, its period taken and its heartbeat still; ``reap_abandoned`` closes such
runs as ``abandoned`` once their heartbeat is older than the timeout and frees their period,
so the job can run it again. A slow run that is alive keeps beating and keeps its period.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import traceback
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from hub.config import get_config
from hub.db import get_db, get_session, utcnow, write_transaction
from hub.models import JobOutcome, JobPeriod, JobRun
from jobs import guards
from jobs.failures import failures
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
        if spec.quiet and result.outcome == JobOutcome.OK and result.counts.idle:
            return None
        # A quiet run is written once, at its end, when it turns out to be worth keeping.
        run = JobRun(job=spec.name, period=result.period, worker=label, started_at=started)
    late = False
    with write_transaction(session):
        run = session.merge(run)
        if run.id is not None:
            stored = session.scalar(sa.select(JobRun.outcome).where(JobRun.id == run.id))
            late = stored == JobOutcome.ABANDONED
        run.finished_at = utcnow()
        run.outcome = JobOutcome(result.outcome)
        run.delivered = result.counts.delivered
        run.retried = result.counts.retried
        run.dead = result.counts.dead
        run.note = result.counts.note
        run.error = result.error
    if late:
        _finished_late(session, spec, result, label)
    return run.id


def _finished_late(session: Session, spec: JobSpec, result: RunResult, label: str) -> None:
    """Keep the period of a run that ended after the reaper had taken it for abandoned."""
    log.warning(
        "run finished after it was taken for abandoned; raise [jobs] run_timeout_minutes",
        extra={"fields": {"job": spec.name, "period": result.period}},
    )
    if result.period is not None and result.outcome == JobOutcome.OK:
        # The period is done: take it back unless another run already has.
        guards.take(session, spec.name, result.period, label)


def _beat(app: Flask, run_id: int, every: float, done: threading.Event) -> None:
    """Refresh the run's heartbeat until told to stop, in a session of its own."""
    session = get_db(app).sessions()
    try:
        while not done.wait(every):
            try:
                with write_transaction(session):
                    session.execute(
                        sa.update(JobRun)
                        .where(JobRun.id == run_id, JobRun.outcome == JobOutcome.RUNNING)
                        .values(heartbeat_at=utcnow())
                    )
            except SQLAlchemyError:
                # A missed beat is retried at the next one; only many in a row look like death.
                log.warning("heartbeat not written", extra={"fields": {"run_id": run_id}})
    finally:
        session.close()


class _Heartbeat:
    """The thread that keeps a recorded run's heartbeat fresh while its job works."""

    def __init__(self, app: Flask, run_id: int, every: float) -> None:
        self.done = threading.Event()
        self.thread = threading.Thread(
            target=_beat, args=(app, run_id, every, self.done), name="heartbeat", daemon=True
        )
        self.thread.start()

    def stop(self) -> None:
        self.done.set()
        # A beat waiting for a busy database must not hold up the run's end for long.
        self.thread.join(timeout=5)


def heartbeat_seconds(app: Flask) -> float:
    """Return how often a running job refreshes its heartbeat: a quarter of the run timeout."""
    return get_config(app).jobs.run_timeout_minutes * 60 / 4


class _Record:
    """A run's row and heartbeat: written at the start, or when a quiet job finds work."""

    def __init__(
        self, app: Flask, session: Session, spec: JobSpec, label: str, every: float
    ) -> None:
        self.app, self.session, self.spec, self.label, self.every = app, session, spec, label, every
        self.started = utcnow()
        self.period: str | None = None
        self.run: JobRun | None = None
        self.beating: _Heartbeat | None = None

    def new_run(self) -> JobRun:
        return JobRun(
            job=self.spec.name,
            period=self.period,
            worker=self.label,
            started_at=self.started,
            heartbeat_at=utcnow(),
        )

    def start(self) -> int | None:
        """Write the run as running, once, and keep its heartbeat fresh; return its id."""
        if self.run is None:
            run = self.new_run()
            with write_transaction(self.session):
                self.session.add(run)
            self.run = run
        if self.beating is None and self.run.id:
            self.beating = _Heartbeat(self.app, self.run.id, self.every)
        return self.run.id

    def stop_beating(self) -> None:
        if self.beating is not None:
            self.beating.stop()


def run_job(
    app: Flask,
    spec: JobSpec,
    *,
    period: str | None = None,
    stopping: threading.Event | None = None,
    nudged: threading.Event | None = None,
    worker: str | None = None,
    heartbeat_every: float | None = None,
) -> RunResult:
    """Run the job once now, in a fresh app context, and record how it went.

    Job failures are logged (repeats summarised, jobs/failures.py) and recorded; a failure
    to record the run itself, such as a database outage, is raised to the caller.
    """
    label = worker or worker_label()
    every = heartbeat_every if heartbeat_every is not None else heartbeat_seconds(app)
    with app.app_context():
        session = get_session()
        record = _Record(app, session, spec, label, every)
        started = record.started
        if period is None and spec.period is not None:
            period = spec.period(started)
        record.period = period
        if period is not None:
            # A periodic run is always recorded, quiet or not, with its period guard: it is
            # what the reaper looks for when its process dies holding the period.
            run = record.new_run()
            if not guards.take(session, spec.name, period, label, run=run):
                log.info("job skipped", extra={"fields": {"job": spec.name, "period": period}})
                return RunResult(spec.name, "skipped", period, RunCounts())
            record.run = run
            record.start()
        elif not spec.quiet:
            record.start()
        ctx = JobContext(
            app=app,
            session=session,
            started_at=started,
            period=period,
            stopping=stopping or threading.Event(),
            nudged=nudged or threading.Event(),
            record_start=record.start,
        )
        failure: Exception | None = None
        try:
            counts = spec.run(ctx)
        except Exception as exc:
            session.rollback()
            failure = exc
            if period is not None:
                guards.give_back(session, spec.name, period, label)
            text = "".join(traceback.format_exception(exc))
            result = RunResult(spec.name, JobOutcome.FAILED, period, RunCounts(), text)
        else:
            result = RunResult(spec.name, JobOutcome.OK, period, counts)
        finally:
            record.stop_beating()
        run_id = _finish(session, record.run, spec, result, label, started)
        # Logged once the run is on record: when recording fails too, the caller logs that.
        if failure is not None:
            failures.failed(spec.name, failure, period=period)
        else:
            failures.succeeded(spec.name)
        return RunResult(result.job, result.outcome, period, result.counts, result.error, run_id)


def prune_runs(session: Session, *, before: datetime) -> int:
    """Delete finished runs that started before the cutoff."""
    with write_transaction(session):
        result = session.execute(
            sa.delete(JobRun).where(
                JobRun.started_at < before, JobRun.outcome != JobOutcome.RUNNING
            ),
            execution_options={"synchronize_session": False},
        )
    return cast(sa.CursorResult[Any], result).rowcount


def abandoned_message(run: JobRun, timeout: timedelta) -> str:
    """Say why a run was closed as abandoned and how to run its period again."""
    minutes = int(timeout.total_seconds() // 60)
    text = (
        f"Abandoned: still marked running but silent for more than {minutes} minute(s) on "
        f"{run.worker}, so that process most likely died (killed, or its machine restarted)."
    )
    if run.period is None:
        return text
    return (
        f"{text} Period {run.period} was freed: the job runs it again at its next trigger, "
        f"or now with `hub jobs run {run.job} --period {run.period}`."
    )


def reap_abandoned(session: Session, *, now: datetime, timeout: timedelta) -> list[int]:
    """Close running runs whose heartbeat is older than the timeout, freeing their periods."""
    with write_transaction(session):
        stale = list(
            session.scalars(
                sa.select(JobRun)
                .where(
                    JobRun.outcome == JobOutcome.RUNNING,
                    # Runs written before heartbeats existed have only their start.
                    sa.func.coalesce(JobRun.heartbeat_at, JobRun.started_at) < now - timeout,
                )
                .order_by(JobRun.id)
                # Two reapers at once: the second waits, then finds these rows closed.
                .with_for_update()
            )
        )
        for run in stale:
            run.outcome = JobOutcome.ABANDONED
            run.finished_at = now
            run.error = abandoned_message(run, timeout)
            if run.period is not None:
                session.execute(
                    sa.delete(JobPeriod).where(
                        JobPeriod.job == run.job,
                        JobPeriod.period == run.period,
                        JobPeriod.worker == run.worker,
                    )
                )
    return [run.id for run in stale]
