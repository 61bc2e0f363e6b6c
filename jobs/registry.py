"""The jobs a worker schedules: the outbox's own, and those later features register here.

Later features add one line each to ``build_registry``, e.g. a monthly invoicing run that is
tried hourly and guarded per month::

    registry.add(JobSpec("invoicing.monthly", run_monthly_invoicing,
                         IntervalTrigger(hours=1), "Invoice last month's orders",
                         period=guards.monthly(cfg.hub.timezone)))
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask
from sqlalchemy.engine import Engine

from connectors.base import Connector
from hub import accounts, idempotency
from hub.config import get_config
from hub.db import refresh_statistics, utcnow, write_transaction
from hub.ledger.delivery_results import record_facts
from hub.models import BillingMode
from hub.outbox.connectors import ConnectorSet, connectors_for, dispatch_job_name
from jobs import claims, invoicing, sheet_summaries
from jobs.dispatcher import DispatchSettings, drain
from jobs.retry import RetryPolicy
from jobs.runs import prune_runs, reap_abandoned
from jobs.spec import JobContext, JobFunction, JobSpec, RunCounts
from jobs.stripe_inbox import stripe_jobs

REAP = "outbox.reap"
PRUNE = "outbox.prune"
REAP_RUNS = "runs.reap"


class UnknownJob(LookupError):
    """No job has that name; the message lists the known ones."""


class JobRegistry:
    """Jobs by name, in the order they were added."""

    def __init__(self) -> None:
        self._jobs: dict[str, JobSpec] = {}

    def add(self, spec: JobSpec) -> None:
        if spec.name in self._jobs:
            raise ValueError(f"job {spec.name!r} is registered twice")
        self._jobs[spec.name] = spec

    def get(self, name: str) -> JobSpec:
        spec = self._jobs.get(name)
        if spec is None:
            known = ", ".join(self._jobs) or "none"
            raise UnknownJob(f"No job named {name!r}; known jobs: {known}.")
        return spec

    def __iter__(self) -> Iterator[JobSpec]:
        return iter(list(self._jobs.values()))

    def __len__(self) -> int:
        return len(self._jobs)


def _dispatch(connector: Connector, settings: DispatchSettings) -> JobFunction:
    def run(ctx: JobContext) -> RunCounts:
        return drain(
            ctx.session,
            connector,
            settings,
            stopping=ctx.stopping,
            nudged=ctx.nudged,
            started=ctx.record_start,
        )

    return run


def _reap(policy: RetryPolicy) -> JobFunction:
    def run(ctx: JobContext) -> RunCounts:
        requeued, dead = claims.reap(
            ctx.session, now=utcnow(), max_attempts=policy.max_attempts, max_age=policy.max_age
        )
        return RunCounts(retried=requeued, dead=dead)

    return run


def _reap_runs(timeout: timedelta) -> JobFunction:
    def run(ctx: JobContext) -> RunCounts:
        closed = reap_abandoned(ctx.session, now=utcnow(), timeout=timeout)
        if not closed:
            return RunCounts()
        ids = ", ".join(str(run_id) for run_id in closed)
        return RunCounts(note=f"closed {len(closed)} abandoned run(s): {ids}")

    return run


def _prune(retention: timedelta) -> JobFunction:
    def run(ctx: JobContext) -> RunCounts:
        cutoff = utcnow() - retention
        rows = claims.prune(ctx.session, before=cutoff)
        runs = prune_runs(ctx.session, before=cutoff)
        with write_transaction(ctx.session):
            keys = idempotency.prune(ctx.session, before=utcnow() - idempotency.KEEP_FOR)
            accounts.prune_throttles(ctx.session, before=cutoff)
        # The outbox's shape changes as it drains and fills; keep SQLite's plans current.
        bind = ctx.session.get_bind()
        refresh_statistics(bind if isinstance(bind, Engine) else bind.engine)
        if not rows and not runs and not keys:
            return RunCounts()
        return RunCounts(
            note=f"pruned {rows} delivered row(s), {runs} job run(s), {keys} idempotency key(s)"
        )

    return run


def dispatch_settings(app: Flask) -> DispatchSettings:
    """Return the dispatcher's settings from ``[jobs]``."""
    jobs = get_config(app).jobs
    return DispatchSettings(
        batch_size=max(1, jobs.batch_size),
        lease_seconds=jobs.lease_seconds,
        policy=RetryPolicy.from_settings(jobs),
        facts=record_facts,
    )


def build_registry(app: Flask, connectors: ConnectorSet | None = None) -> JobRegistry:
    """Return every job the worker runs, for the app's configuration and connectors."""
    jobs = get_config(app).jobs
    settings = dispatch_settings(app)
    registry = JobRegistry()
    for connector in connectors or connectors_for(app):
        registry.add(
            JobSpec(
                dispatch_job_name(connector.name),
                _dispatch(connector, settings),
                IntervalTrigger(seconds=jobs.dispatch_interval_seconds),
                f"Deliver due outbox events to {connector.name}",
                quiet=True,
                start_at_once=True,
            )
        )
    registry.add(
        JobSpec(
            REAP,
            _reap(settings.policy),
            IntervalTrigger(seconds=max(1.0, min(60.0, jobs.lease_seconds / 4))),
            "Hand back outbox rows whose worker stopped before recording the outcome",
            quiet=True,
            start_at_once=True,
        )
    )
    run_timeout = timedelta(minutes=jobs.run_timeout_minutes)
    registry.add(
        JobSpec(
            REAP_RUNS,
            _reap_runs(run_timeout),
            # Often enough to free a period soon after the timeout, seldom enough to cost nothing.
            IntervalTrigger(seconds=max(30.0, min(300.0, run_timeout.total_seconds() / 4))),
            f"Close job runs still running after {jobs.run_timeout_minutes} minutes "
            "(their process died) as abandoned, and free their period",
            quiet=True,
            start_at_once=True,
        )
    )
    registry.add(
        JobSpec(
            PRUNE,
            _prune(timedelta(days=jobs.retention_days)),
            IntervalTrigger(hours=1),
            f"Delete delivered outbox rows and job runs older than {jobs.retention_days} days"
            " and API idempotency keys older than a day",
            quiet=True,
        )
    )
    for spec in stripe_jobs(app):
        registry.add(spec)
    for mode in (BillingMode.MONTHLY, BillingMode.WEEKLY):
        registry.add(
            JobSpec(
                f"invoicing.{mode.value}",
                invoicing.invoicing_job(mode),
                IntervalTrigger(hours=1),
                f"Invoice the last complete {invoicing.PERIOD_NAMES[mode]}'s done orders of the "
                f"customers billed {mode.value}",
                period=invoicing.previous(mode, get_config(app).hub.timezone),
            )
        )
    registry.add(
        JobSpec(
            "invoicing.per_order",
            invoicing.left_waiting_job,
            IntervalTrigger(hours=1),
            "Invoice the done orders of customers billed per order that no invoice holds yet "
            "(done before billing was set up, or while the customer had no e-mail)",
            quiet=True,
        )
    )
    summaries = sheet_summaries.job(get_config(app), connectors or connectors_for(app))
    if summaries is not None:
        registry.add(summaries)
    return registry
