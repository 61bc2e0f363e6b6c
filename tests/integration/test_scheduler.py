"""The scheduler: jobs in the app context, run history, and the once-per-period guard."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
import sqlalchemy as sa
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask, current_app, has_app_context

from hub.db import Base, get_db, get_session
from hub.models import JobOutcome, JobPeriod, JobRun, OutboxRow, OutboxStatus
from hub.outbox.connectors import ConnectorSet
from jobs import guards
from jobs.registry import JobRegistry, UnknownJob, build_registry
from jobs.runs import run_job
from jobs.spec import JobContext, JobSpec, RunCounts
from jobs.worker import HEARTBEAT_JOB, Worker
from tests import conftest
from tests.integration.workers import add_events, recorder
from tests.waiting import wait_until

Row = TypeVar("Row", bound=Base)


def _rows(app: Flask, model: type[Row]) -> list[Row]:
    with app.app_context():
        session = get_session()
        found = list(session.scalars(sa.select(model).order_by(sa.column("id"))))
        session.commit()
        return found


def _spec(
    run: Callable[[JobContext], RunCounts], *, name: str = "test.job", **kwargs: Any
) -> JobSpec:
    return JobSpec(name, run, IntervalTrigger(hours=1), "A job for the tests", **kwargs)


def _registry(*specs: JobSpec) -> JobRegistry:
    registry = JobRegistry()
    for spec in specs:
        registry.add(spec)
    return registry


@pytest.fixture
def second_app(app: Flask, database: conftest.TestDatabase, tmp_path: Path) -> Iterator[Flask]:
    """Another app on the same database, with its own engine: a second worker machine."""
    other = conftest.make_app(database, tmp_path / "second")
    yield other
    get_db(other).dispose()


def test_a_run_is_recorded_with_its_start_end_outcome_and_counts(app: Flask) -> None:
    result = run_job(app, _spec(lambda ctx: RunCounts(delivered=3, retried=2, dead=1, note="x")))
    (run,) = _rows(app, JobRun)
    assert run.id == result.run_id
    assert (run.job, run.outcome, run.delivered, run.retried, run.dead, run.note) == (
        "test.job",
        "ok",
        3,
        2,
        1,
        "x",
    )
    assert run.finished_at is not None and run.finished_at >= run.started_at
    assert run.error is None


def test_a_failing_run_is_recorded_with_its_error(app: Flask) -> None:
    def broken(ctx: JobContext) -> RunCounts:
        raise RuntimeError("the sheet is gone")

    result = run_job(app, _spec(broken))
    (run,) = _rows(app, JobRun)
    assert (result.outcome, run.outcome) == ("failed", "failed")
    assert "RuntimeError: the sheet is gone" in (run.error or "")


def test_a_period_is_run_once_then_skipped_and_a_new_period_runs_again(app: Flask) -> None:
    calls: list[str | None] = []

    def run(ctx: JobContext) -> RunCounts:
        calls.append(ctx.period)
        return RunCounts()

    spec = _spec(run, period=guards.monthly("UTC"))
    assert run_job(app, spec, period="2026-11").outcome == "ok"
    assert run_job(app, spec, period="2026-11").outcome == "skipped"
    assert run_job(app, spec, period="2026-12").outcome == "ok"
    assert calls == ["2026-11", "2026-12"]
    assert [(p.job, p.period) for p in _rows(app, JobPeriod)] == [
        ("test.job", "2026-11"),
        ("test.job", "2026-12"),
    ]


def test_a_failed_run_gives_its_period_back_for_a_later_try(app: Flask) -> None:
    attempts: list[int] = []

    def flaky(ctx: JobContext) -> RunCounts:
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("Stripe is down")
        return RunCounts()

    spec = _spec(flaky, period=guards.monthly("UTC"))
    assert run_job(app, spec, period="2026-11").outcome == "failed"
    assert _rows(app, JobPeriod) == []
    assert run_job(app, spec, period="2026-11").outcome == "ok"
    assert [r.outcome for r in _rows(app, JobRun)] == ["failed", "ok"]


def test_periods_follow_the_business_time_zone() -> None:
    new_year_in_paris = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    assert guards.monthly("Europe/Paris")(new_year_in_paris) == "2027-01"
    assert guards.monthly("UTC")(new_year_in_paris) == "2026-12"


def test_two_schedulers_racing_for_a_monthly_job_run_it_once(app: Flask, second_app: Flask) -> None:
    at_the_guard = threading.Barrier(2, timeout=20)
    ran: list[str] = []

    def period(moment: datetime) -> str:
        # Both schedulers reach the guard before either takes it: a real race for the row.
        at_the_guard.wait()
        return "2026-11"

    def invoice(ctx: JobContext) -> RunCounts:
        ran.append(str(current_app.instance_path))
        return RunCounts(note="invoiced")

    workers = [
        Worker(flask_app, _registry(_spec(invoice, period=period, start_at_once=True)))
        for flask_app in (app, second_app)
    ]
    for worker in workers:
        worker.start()
    try:
        assert wait_until(lambda: len(_rows(app, JobRun)) == 1 and not at_the_guard.n_waiting)
    finally:
        for worker in workers:
            worker.stop()
    assert len(ran) == 1
    (claim,) = _rows(app, JobPeriod)
    assert (claim.job, claim.period) == ("test.job", "2026-11")
    (run,) = _rows(app, JobRun)
    assert (run.outcome, run.note, run.worker) == ("ok", "invoiced", claim.worker)


def test_the_worker_runs_each_job_in_the_app_context_one_instance_at_a_time(app: Flask) -> None:
    seen: list[tuple[bool, bool]] = []
    done = threading.Event()

    def check(ctx: JobContext) -> RunCounts:
        # Flask types current_app as the app it stands for, not as the proxy it is.
        here = current_app._get_current_object()  # type: ignore[attr-defined]
        seen.append((has_app_context(), here is app))
        done.set()
        return RunCounts()

    worker = Worker(app, _registry(_spec(check, start_at_once=True)))
    worker.start()
    try:
        assert done.wait(timeout=20)
        jobs = {job.id: job for job in worker.scheduler.get_jobs()}
        assert set(jobs) == {"test.job", HEARTBEAT_JOB}
        assert {(job.max_instances, job.coalesce) for job in jobs.values()} == {(1, True)}
    finally:
        worker.stop()
    assert seen == [(True, True)]
    assert not worker.scheduler.running


def test_quiet_dispatch_runs_are_recorded_only_when_they_did_something(
    app: Flask, tmp_path: Path
) -> None:
    registry = build_registry(app, ConnectorSet(live={"recording": recorder(tmp_path)}))
    dispatch = registry.get("outbox.dispatch.recording")
    assert run_job(app, dispatch).run_id is None
    assert _rows(app, JobRun) == []
    add_events(app, ["C-1", "C-2"])
    result = run_job(app, dispatch)
    (run,) = _rows(app, JobRun)
    assert (run.id, run.job, run.delivered) == (result.run_id, "outbox.dispatch.recording", 2)


def test_the_registry_holds_dispatch_per_live_connector_reaping_and_pruning(
    app: Flask, tmp_path: Path
) -> None:
    registry = build_registry(app, ConnectorSet(live={"recording": recorder(tmp_path)}))
    assert [spec.name for spec in registry] == [
        "outbox.dispatch.recording",
        "outbox.reap",
        "runs.reap",
        "outbox.prune",
        "stripe.inbox",
        "invoicing.monthly",
        "invoicing.weekly",
        "invoicing.per_order",
    ]
    with pytest.raises(ValueError, match="registered twice"):
        registry.add(registry.get("outbox.reap"))
    with pytest.raises(UnknownJob) as unknown:
        registry.get("invoicing.daily")
    # The message reads as written: no KeyError quoting to work around.
    assert str(unknown.value) == (
        "No job named 'invoicing.daily'; known jobs: "
        "outbox.dispatch.recording, outbox.reap, runs.reap, outbox.prune, stripe.inbox, "
        "invoicing.monthly, invoicing.weekly, invoicing.per_order."
    )


def test_pruning_removes_old_delivered_rows_and_old_runs_only(app: Flask, tmp_path: Path) -> None:
    from datetime import timedelta

    from hub.db import utcnow, write_transaction

    old, recent, waiting = add_events(app, ["C-1", "C-2", "C-3"])
    long_ago = utcnow() - timedelta(days=31)
    with app.app_context():
        session = get_session()
        with write_transaction(session):
            for row_id, when in ((old, long_ago), (recent, utcnow())):
                row = session.get(OutboxRow, row_id)
                assert row is not None
                row.status, row.delivered_at = OutboxStatus.DELIVERED, when
            session.add(
                JobRun(job="outbox.reap", worker="w", started_at=long_ago, outcome=JobOutcome.OK)
            )
            session.add(
                JobRun(job="outbox.reap", worker="w", started_at=utcnow(), outcome=JobOutcome.OK)
            )
    result = run_job(app, build_registry(app).get("outbox.prune"))
    assert result.counts.note == "pruned 1 delivered row(s), 1 job run(s), 0 idempotency key(s)"
    with app.app_context():
        session = get_session()
        assert set(session.scalars(sa.select(OutboxRow.id))) == {recent, waiting}
    runs = _rows(app, JobRun)
    assert [(r.job, r.note) for r in runs] == [
        ("outbox.reap", None),
        ("outbox.prune", "pruned 1 delivered row(s), 1 job run(s), 0 idempotency key(s)"),
    ]


def test_the_prune_job_function_deletes_old_idempotency_keys(
    app: Flask, users: conftest.Users
) -> None:
    from datetime import timedelta

    from hub.db import utcnow, write_transaction
    from hub.models import IdempotencyKey

    headers = {**conftest.api_headers(app, users.concierge), "Idempotency-Key": "prune-me-1"}
    created = app.test_client().post("/api/v1/customers", json={"name": "A"}, headers=headers)
    assert created.status_code == 201
    with app.app_context():
        session = get_session()
        with write_transaction(session):
            session.execute(
                sa.update(IdempotencyKey).values(created_at=utcnow() - timedelta(days=2))
            )
    with app.app_context():
        prune = build_registry(app).get("outbox.prune")
        ctx = JobContext(
            app=app,
            session=get_session(),
            started_at=utcnow(),
            period=None,
            stopping=threading.Event(),
            nudged=threading.Event(),
        )
        counts = prune.run(ctx)
    assert counts.note == "pruned 0 delivered row(s), 0 job run(s), 1 idempotency key(s)"
    assert _rows(app, IdempotencyKey) == []
