"""The worker: an APScheduler 3 BackgroundScheduler running the registry's jobs.

Every job runs inside ``with app.app_context()`` (jobs/runs.py), one instance at a time
(``max_instances=1``), late runs coalesced into one. ``hub worker`` runs one Worker in its own
process; ``hub serve`` starts that process once, beside the web server, so neither gunicorn's
workers nor a reloader ever start a second scheduler. Several worker processes, on several
machines, are safe: leases and period guards live in the database.

Stopping (SIGTERM, SIGINT): the dispatch loop stops claiming, finishes the chunk it is
delivering, records its outcomes and hands the rest of its claim back; the scheduler then
waits for every running job before the process exits. ``run_worker`` handles both signals
before it builds the app, so a stop that arrives during start-up ends it cleanly too.

A job that fails, or whose run cannot be recorded (the database is down), is logged through
jobs/failures.py, never by APScheduler: one full line, then a count while it repeats.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from types import FrameType

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask
from sqlalchemy.exc import SQLAlchemyError

from hub import logs
from hub.config import get_config
from hub.db import get_db, refresh_statistics, utcnow
from hub.outbox.connectors import connector_of, connectors_for
from jobs import heartbeats
from jobs.failures import failures
from jobs.registry import JobRegistry, build_registry
from jobs.runs import run_job, worker_label
from jobs.spec import JobSpec
from jobs.wakeup import wake_source

log = logging.getLogger("hub.jobs.worker")

#: The scheduler job that keeps this worker's heartbeat row fresh (jobs/heartbeats.py).
HEARTBEAT_JOB = "worker.heartbeat"


class Worker:
    """Schedule the jobs of one process and stop them without losing work."""

    def __init__(self, app: Flask, registry: JobRegistry | None = None) -> None:
        self.app = app
        self.registry = registry if registry is not None else build_registry(app)
        self.label = worker_label()
        self.started_at = utcnow()
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._running: set[str] = set()
        self._nudged = {spec.name: threading.Event() for spec in self.registry}
        self._dispatchers = {
            name: spec.name for spec in self.registry if (name := connector_of(spec.name))
        }
        self.scheduler = BackgroundScheduler(
            timezone=UTC,
            job_defaults={"max_instances": 1, "coalesce": True, "misfire_grace_time": 30},
        )
        self._wake = wake_source(get_db(app).engine, self.wake, self.stopping)

    def start(self) -> None:
        """Schedule every job and start the wake-up thread."""
        refresh_statistics(get_db(self.app).engine)
        now = datetime.now(UTC)
        for spec in self.registry:
            options = {"next_run_time": now} if spec.start_at_once else {}
            self.scheduler.add_job(
                self._run, spec.trigger, args=[spec], id=spec.name, name=spec.name, **options
            )
        # Not a registry job: it records no run, and beats while every job is idle.
        self.scheduler.add_job(
            self._beat,
            IntervalTrigger(seconds=get_config(self.app).jobs.heartbeat_seconds),
            id=HEARTBEAT_JOB,
            name=HEARTBEAT_JOB,
            next_run_time=now,
        )
        self.scheduler.add_listener(self._after_run, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
        self.scheduler.start()
        if self._dispatchers:
            self._wake.start()
            self._wake.ready.wait(timeout=10)
        for off in connectors_for(self.app).off.values():
            log.info("connector off", extra={"fields": {"connector": off.name, "why": off.message}})
        log.info(
            "worker started",
            extra={"fields": {"worker": self.label, "jobs": [s.name for s in self.registry]}},
        )

    def _run(self, spec: JobSpec) -> None:
        with self._lock:
            self._running.add(spec.name)
        try:
            run_job(
                self.app,
                spec,
                stopping=self.stopping,
                nudged=self._nudged[spec.name],
                worker=self.label,
            )
        except Exception as exc:
            # The run could not even be recorded (most likely the database is unreachable):
            # logged here, once, rather than as APScheduler's traceback.
            failures.failed(spec.name, exc, worker=self.label)
        finally:
            with self._lock:
                self._running.discard(spec.name)

    def _beat(self) -> None:
        session = get_db(self.app).sessions()
        try:
            heartbeats.beat(session, self.label, started_at=self.started_at)
        except SQLAlchemyError as exc:
            # The next beat tries again; only a long silence makes the worker look dead.
            failures.failed(HEARTBEAT_JOB, exc, worker=self.label)
        else:
            failures.succeeded(HEARTBEAT_JOB)
        finally:
            session.close()

    def _forget(self) -> None:
        session = get_db(self.app).sessions()
        try:
            heartbeats.forget(session, self.label)
        except SQLAlchemyError as exc:
            # Its row then ages and reads as a silent worker, until it is a day old.
            log.warning(
                "heartbeat not removed", extra={"fields": {"worker": self.label, "error": str(exc)}}
            )
        finally:
            session.close()

    def wake(self, connectors: set[str] | None) -> None:
        """Bring the dispatch jobs of these connectors (None: all) forward to now."""
        for connector, job in self._dispatchers.items():
            if connectors is None or connector in connectors:
                self._nudged[job].set()
                with self._lock:
                    running = job in self._running
                # A running drain sees the flag itself; one about to finish is caught by
                # _after_run, once APScheduler has counted it as finished.
                if not running:
                    self._bring_forward(job)

    def _after_run(self, event: JobExecutionEvent) -> None:
        nudged = self._nudged.get(event.job_id)
        if nudged is not None and nudged.is_set() and event.job_id in self._dispatchers.values():
            self._bring_forward(event.job_id)

    def _bring_forward(self, job: str) -> None:
        if self.stopping.is_set():
            return
        with contextlib.suppress(JobLookupError):  # the scheduler is shutting down
            self.scheduler.modify_job(job, next_run_time=datetime.now(UTC))

    def stop(self) -> None:
        """Stop claiming, let running jobs finish or hand back their work, then return."""
        log.info("worker stopping", extra={"fields": {"worker": self.label}})
        self.stopping.set()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        if self._wake.is_alive():
            self._wake.join(timeout=5)
        self._forget()
        get_db(self.app).dispose()
        log.info("worker stopped", extra={"fields": {"worker": self.label}})


class _StopDuringStartUp(BaseException):
    """A stop signal arrived while the worker was starting: nothing runs yet to finish."""


class _StopSignals:
    """SIGTERM and SIGINT: abandon the start-up at once, later ask the worker to stop."""

    def __init__(self) -> None:
        self.asked = threading.Event()
        self.starting = True
        self.signal: str | None = None
        signal.signal(signal.SIGTERM, self._handle)
        signal.signal(signal.SIGINT, self._handle)

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        self.signal = signal.Signals(signum).name
        self.asked.set()
        if self.starting:
            # Interrupt whatever start-up is doing (waiting for the database, say).
            self.starting = False
            raise _StopDuringStartUp(self.signal)
        log.info("stop requested", extra={"fields": {"signal": self.signal}})


def run_worker(build_app: Callable[[], Flask], registry: JobRegistry | None = None) -> None:
    """Handle stop signals, build the app, and run a worker until SIGTERM or SIGINT."""
    stop = _StopSignals()
    app: Flask | None = None
    try:
        # Until the app sets its own level, at least the start and stop lines are shown.
        logs.configure()
        app = build_app()
        worker = Worker(app, registry)
        stop.starting = False
    except _StopDuringStartUp:
        label = worker_label()
        log.info("worker stopping", extra={"fields": {"worker": label, "signal": stop.signal}})
        if app is not None:
            get_db(app).dispose()
        log.info("worker stopped", extra={"fields": {"worker": label, "while": "starting"}})
        return
    try:
        if not stop.asked.is_set():
            worker.start()
        while not stop.asked.wait(timeout=1.0):
            pass
    finally:
        worker.stop()
