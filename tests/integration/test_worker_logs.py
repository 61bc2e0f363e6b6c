"""A worker whose database is down logs one line per failing job, not two tracebacks a run."""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask

from hub.db import get_db
from hub.logs import JsonFormatter
from jobs.failures import failures
from jobs.registry import JobRegistry
from jobs.spec import JobContext, JobSpec, RunCounts
from jobs.worker import HEARTBEAT_JOB, Worker
from tests import conftest
from tests.integration.workers import wait_until


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[dict[str, object]] = []
        self.setFormatter(JsonFormatter())

    def emit(self, record: logging.LogRecord) -> None:
        line = self.format(record)
        assert "\n" not in line
        self.lines.append(json.loads(line))


@pytest.fixture
def kept() -> Iterator[_Lines]:
    """Every line the hub's and APScheduler's loggers write during the test."""
    handler = _Lines()
    loggers = [logging.getLogger(name) for name in ("hub", "apscheduler")]
    for logger in loggers:
        logger.addHandler(handler)
    failures.forget()
    yield handler
    for logger in loggers:
        logger.removeHandler(handler)
    failures.forget()


@pytest.fixture
def down(tmp_path: Path) -> Iterator[Flask]:
    """The hub on a PostgreSQL address where nothing listens: the database is down."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    database = conftest.TestDatabase("postgresql", f"postgresql+psycopg://hub@127.0.0.1:{port}/hub")
    flask_app = conftest.make_app(database, tmp_path)
    yield flask_app
    get_db(flask_app).dispose()


def test_a_database_outage_logs_one_line_per_job_not_a_traceback_per_run(
    down: Flask, kept: _Lines
) -> None:
    runs: list[int] = []

    def touch_the_database(ctx: JobContext) -> RunCounts:
        runs.append(1)
        ctx.session.connection()
        return RunCounts()

    registry = JobRegistry()
    for name in ("test.loud", "test.quiet"):
        registry.add(
            JobSpec(
                name,
                touch_the_database,
                IntervalTrigger(seconds=0.05),
                "Touch the database",
                quiet=name == "test.quiet",
                start_at_once=True,
            )
        )
    worker = Worker(down, registry)
    worker.start()
    try:
        # Many failed runs of each job (the loud one fails to record its start already).
        assert wait_until(lambda: len(runs) >= 10 and len(worker_failures(kept)) >= 3)
        assert wait_until(lambda: len(runs) >= 20)
    finally:
        worker.stop()
    errors = worker_failures(kept)
    # The worker's heartbeat fails too, and is logged the same way: once.
    assert sorted((str(line["job"]), line["msg"]) for line in errors) == [
        ("test.loud", "job failed"),
        ("test.quiet", "job failed"),
        (HEARTBEAT_JOB, "job failed"),
    ]
    assert all("OperationalError" in str(line["error"]) for line in errors)
    assert all("Traceback" in str(line["exc"]) for line in errors)
    # Nothing else: APScheduler never saw an exception, and no run logged twice.
    assert [line for line in kept.lines if line["level"] in ("error", "critical")] == errors
    # (Its expected skips reach this test's handler demoted to debug; the hub writes none.)
    assert [
        line
        for line in kept.lines
        if str(line["logger"]).startswith("apscheduler") and line["level"] != "debug"
    ] == []


def worker_failures(kept: _Lines) -> list[dict[str, object]]:
    return [line for line in kept.lines if line["level"] == "error"]
