"""Runs whose process died: closed as abandoned after the timeout, and their period freed."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask

from hub.config import (
    CONFIG_FILE_VAR,
    ConfigError,
    environment,
    load_config,
    without_hub_variables,
)
from hub.db import get_session, utcnow, write_transaction
from hub.models import JobPeriod, JobRun
from jobs import guards
from jobs.registry import REAP_RUNS, build_registry
from jobs.runs import reap_abandoned, run_job
from jobs.spec import JobContext, JobSpec, RunCounts
from tests import conftest
from tests.waiting import wait_until

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

INVOICING = "test.invoicing"

# A worker process that takes November for the invoicing job, then hangs until it is killed.
HANGING_RUN = textwrap.dedent(
    """
    import threading
    from apscheduler.triggers.interval import IntervalTrigger
    from hub import create_app
    from hub.config import load_config
    from jobs.runs import run_job
    from jobs.spec import JobSpec

    app = create_app(load_config())
    hang = JobSpec(
        "test.invoicing",
        lambda ctx: threading.Event().wait(),
        IntervalTrigger(hours=1),
        "Invoice a month, slowly",
        period=lambda moment: "2026-11",
    )
    run_job(app, hang, period="2026-11", worker="doomed:1")
    """
)


def _invoicing(calls: list[str | None]) -> JobSpec:
    def invoice(ctx: JobContext) -> RunCounts:
        calls.append(ctx.period)
        return RunCounts(note="invoiced")

    return JobSpec(
        INVOICING,
        invoice,
        IntervalTrigger(hours=1),
        "Invoice last month's orders",
        period=guards.monthly("UTC"),
    )


def _runs(app: Flask) -> list[JobRun]:
    with app.app_context():
        session = get_session()
        found = list(
            session.scalars(sa.select(JobRun).where(JobRun.job == INVOICING).order_by(JobRun.id))
        )
        session.commit()
        return found


def _periods(app: Flask) -> list[tuple[str, str, str]]:
    with app.app_context():
        session = get_session()
        found = session.execute(
            sa.select(JobPeriod.job, JobPeriod.period, JobPeriod.worker).order_by(JobPeriod.id)
        ).all()
        session.commit()
        return [tuple(row) for row in found]


def _left_running(app: Flask, *, minutes_ago: int, period: str | None, worker: str) -> int:
    """Write what a process killed mid-run leaves behind: its run, and its period if any."""
    started = utcnow() - timedelta(minutes=minutes_ago)
    with app.app_context():
        session = get_session()
        with write_transaction(session):
            run = JobRun(job=INVOICING, period=period, worker=worker, started_at=started)
            session.add(run)
            if period is not None:
                session.add(
                    JobPeriod(job=INVOICING, period=period, worker=worker, claimed_at=started)
                )
        return run.id


def _reap(app: Flask) -> RunCounts:
    result = run_job(app, build_registry(app).get(REAP_RUNS))
    assert result.outcome == "ok", result.error
    return result.counts


def test_a_killed_run_holds_its_period_until_the_reaper_frees_it(
    app: Flask, database: conftest.TestDatabase, tmp_path: Path
) -> None:
    script = tmp_path / "hanging_run.py"
    script.write_text(HANGING_RUN, encoding="utf-8")
    env = without_hub_variables(os.environ)
    env[CONFIG_FILE_VAR] = "/dev/null"
    env |= environment(
        {
            "hub": {
                "database_url": database.url,
                "secret_key": "test-secret-key-0123456789abcdef",
                "instance_path": tmp_path / "instance",
                "log_level": "WARNING",
            }
        }
    )
    child = subprocess.Popen([sys.executable, str(script)], env=env, cwd=tmp_path)
    try:
        assert wait_until(lambda: len(_runs(app)) == 1, timeout=30)
    finally:
        child.kill()
        child.wait()
    (left,) = _runs(app)
    assert (left.outcome, left.period, left.worker) == ("running", "2026-11", "doomed:1")
    assert _periods(app) == [(INVOICING, "2026-11", "doomed:1")]

    calls: list[str | None] = []
    assert run_job(app, _invoicing(calls), period="2026-11").outcome == "skipped"
    # Young runs may still be working: the reaper leaves them be.
    assert _reap(app).idle
    assert _runs(app)[0].outcome == "running"

    # Its last heartbeat is what ages: two hours of silence, and it is taken for dead.
    with app.app_context():
        session = get_session()
        with write_transaction(session):
            session.execute(
                sa.update(JobRun).values(heartbeat_at=utcnow() - timedelta(minutes=121))
            )
    assert _reap(app).note == f"closed 1 abandoned run(s): {left.id}"
    (abandoned,) = _runs(app)
    assert abandoned.outcome == "abandoned"
    assert abandoned.finished_at is not None
    assert "doomed:1" in (abandoned.error or "")
    assert f"hub jobs run {INVOICING} --period 2026-11" in (abandoned.error or "")
    assert _periods(app) == []

    again = run_job(app, _invoicing(calls), period="2026-11")
    assert again.outcome == "ok"
    assert calls == ["2026-11"]
    assert [(r.outcome, r.note) for r in _runs(app)] == [
        ("abandoned", None),
        ("ok", "invoiced"),
    ]
    assert [p[:2] for p in _periods(app)] == [(INVOICING, "2026-11")]


def test_the_reaper_frees_only_the_periods_of_the_runs_it_closes(app: Flask) -> None:
    dead_period = _left_running(app, minutes_ago=180, period="2026-10", worker="gone:7")
    dead_plain = _left_running(app, minutes_ago=500, period=None, worker="gone:7")
    young = _left_running(app, minutes_ago=30, period="2026-11", worker="busy:8")
    calls: list[str | None] = []
    assert run_job(app, _invoicing(calls), period="2026-09").outcome == "ok"

    with app.app_context():
        closed = reap_abandoned(get_session(), now=utcnow(), timeout=timedelta(minutes=120))
    assert closed == [dead_period, dead_plain]
    by_id = {run.id: run for run in _runs(app)}
    assert by_id[dead_period].outcome == by_id[dead_plain].outcome == "abandoned"
    assert "Period 2026-10 was freed" in (by_id[dead_period].error or "")
    assert "Period" not in (by_id[dead_plain].error or "")
    assert by_id[young].outcome == "running"
    assert sorted(p[1] for p in _periods(app)) == ["2026-09", "2026-11"]
    with app.app_context():
        assert reap_abandoned(get_session(), now=utcnow(), timeout=timedelta(minutes=120)) == []


def test_a_run_that_ends_after_being_taken_for_abandoned_keeps_its_period(app: Flask) -> None:
    def slow(ctx: JobContext) -> RunCounts:
        # Meanwhile another worker's reaper, three hours on, takes this run for dead.
        later = utcnow() + timedelta(hours=3)
        assert reap_abandoned(ctx.session, now=later, timeout=timedelta(minutes=120))
        assert _periods(ctx.app) == []
        return RunCounts(note="invoiced")

    spec = JobSpec(INVOICING, slow, IntervalTrigger(hours=1), "Slow", period=guards.monthly("UTC"))
    result = run_job(app, spec, period="2026-11", worker="slow:3")
    assert result.outcome == "ok"
    (run,) = _runs(app)
    assert (run.outcome, run.note) == ("ok", "invoiced")
    assert _periods(app) == [(INVOICING, "2026-11", "slow:3")]


def test_a_quiet_periodic_run_is_recorded_while_it_holds_its_period(app: Flask) -> None:
    def look(ctx: JobContext) -> RunCounts:
        (run,) = _runs(ctx.app)
        assert (run.outcome, run.period) == ("running", "2026-11")
        return RunCounts()

    spec = JobSpec(
        INVOICING, look, IntervalTrigger(hours=1), "Quiet", period=guards.monthly("UTC"), quiet=True
    )
    assert run_job(app, spec, period="2026-11").outcome == "ok"
    assert [r.outcome for r in _runs(app)] == ["ok"]


def test_the_run_timeout_is_a_setting_of_at_least_one_minute() -> None:
    environ = {"HUB_CONFIG": "/dev/null", "HUB_SECRET_KEY": "test-secret-key-0123456789abcdef"}
    assert load_config({}, environ=environ).jobs.run_timeout_minutes == 120
    cfg = load_config({}, environ={**environ, "HUB_JOBS_RUN_TIMEOUT_MINUTES": "0"})
    with pytest.raises(ConfigError, match="run_timeout_minutes"):
        cfg.validate()


def test_the_reaper_follows_the_configured_timeout(
    app: Flask, database: conftest.TestDatabase, tmp_path: Path
) -> None:
    _left_running(app, minutes_ago=20, period="2026-11", worker="gone:9")
    assert _reap(app).idle
    quick = conftest.make_app(database, tmp_path / "quick", jobs={"run_timeout_minutes": 15})
    try:
        result = run_job(quick, build_registry(quick).get(REAP_RUNS))
    finally:
        from hub.db import get_db

        get_db(quick).dispose()
    assert result.counts.note is not None and result.counts.note.startswith("closed 1")
    assert [r.outcome for r in _runs(app)] == ["abandoned"]
    assert _periods(app) == []


def test_a_slow_run_that_is_alive_keeps_beating_and_is_not_reaped(app: Flask) -> None:
    def slow(ctx: JobContext) -> RunCounts:
        # Three hours into the month's invoicing, well past the two-hour run timeout.
        with write_transaction(ctx.session):
            ctx.session.execute(
                sa.update(JobRun).values(
                    started_at=utcnow() - timedelta(hours=3),
                    heartbeat_at=utcnow() - timedelta(hours=3),
                )
            )
        assert wait_until(
            lambda: (_runs(ctx.app)[0].heartbeat_at or EPOCH) > utcnow() - timedelta(minutes=1),
            timeout=30,
        )
        closed = reap_abandoned(ctx.session, now=utcnow(), timeout=timedelta(minutes=120))
        assert closed == []
        assert [r.outcome for r in _runs(ctx.app)] == ["running"]
        assert _periods(ctx.app) == [(INVOICING, "2026-11", "slow:4")]
        return RunCounts(note="invoiced")

    spec = JobSpec(INVOICING, slow, IntervalTrigger(hours=1), "Slow", period=guards.monthly("UTC"))
    result = run_job(app, spec, period="2026-11", worker="slow:4", heartbeat_every=0.05)
    assert result.outcome == "ok", result.error
    (run,) = _runs(app)
    assert (run.outcome, run.note) == ("ok", "invoiced")
    assert _periods(app) == [(INVOICING, "2026-11", "slow:4")]


def test_a_run_is_written_with_its_first_heartbeat(app: Flask) -> None:
    calls: list[str | None] = []
    assert run_job(app, _invoicing(calls), period="2026-10").outcome == "ok"
    (run,) = _runs(app)
    assert run.heartbeat_at is not None and run.heartbeat_at >= run.started_at
