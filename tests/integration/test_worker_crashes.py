"""Real ``hub worker`` processes killed over and over by one event: only that event dies."""

from __future__ import annotations

import signal
import time
from collections import Counter
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from hub.db import get_session
from hub.models import JobRun
from hub.outbox.connectors import ConnectorSet
from hub.outbox.status import connector_statuses
from tests import conftest
from tests.integration.workers import (
    WorkerProcess,
    add_events,
    outbox,
    recording_log,
    statuses,
    wait_until,
)

pytestmark = pytest.mark.slow

MAX_ATTEMPTS = 3


@pytest.fixture
def started(database: conftest.TestDatabase, tmp_path: Path) -> Iterator[list[WorkerProcess]]:
    """The worker processes a test starts; any left running is killed at the end."""
    workers: list[WorkerProcess] = []
    yield workers
    for worker in workers:
        worker.ensure_stopped()


def _dispatch_runs(app: Flask) -> list[JobRun]:
    with app.app_context():
        session = get_session()
        found = list(
            session.scalars(
                sa.select(JobRun)
                .where(JobRun.job == "outbox.dispatch.recording")
                .order_by(JobRun.id)
            )
        )
        session.commit()
        return found


def _ended_or(worker: WorkerProcess, done: Callable[[], bool]) -> bool:
    return worker.process.poll() is not None or done()


def test_a_worker_restarted_after_each_crash_delivers_every_other_event_exactly_once(
    app: Flask,
    database: conftest.TestDatabase,
    tmp_path: Path,
    started: list[WorkerProcess],
) -> None:
    log = recording_log(tmp_path)
    # The event before the poison takes longer than the recording interval, so everything
    # delivered before the poison is on record when the poison kills the worker.
    log.set_faults({"P": {"kill": True}, "A-4": {"sleep": 0.3}})
    before = add_events(app, [f"A-{n}" for n in range(5)])
    (poison,) = add_events(app, ["P"])
    after = add_events(app, [f"B-{n}" for n in range(30)])
    innocent = before + after

    def settled() -> bool:
        return statuses(app) == {"delivered": len(innocent), "dead": 1}

    deaths: list[int] = []
    deadline = time.monotonic() + 180
    while not settled():
        assert time.monotonic() < deadline, statuses(app)
        worker = WorkerProcess(
            database,
            tmp_path,
            f"worker-{len(started)}",
            lease_seconds=2,
            max_attempts=MAX_ATTEMPTS,
        )
        started.append(worker)
        assert wait_until(partial(_ended_or, worker, settled), timeout=60), worker.log()
        if worker.process.poll() is not None:
            assert worker.wait() == -signal.SIGKILL, worker.log()
            deaths.append(worker.pid)
    assert started[-1].terminate() == 0, started[-1].log()

    assert len(deaths) == MAX_ATTEMPTS
    delivered = Counter(entry["event_id"] for entry in log.delivered())
    assert {row_id: delivered[row_id] for row_id in innocent} == dict.fromkeys(innocent, 1)
    assert poison not in delivered
    handed = [entry for entry in log.entries() if entry["kind"] == "start"]
    assert [entry["pid"] for entry in handed if entry["event_id"] == poison] == deaths
    rows = outbox(app)
    assert (rows[poison].status, rows[poison].attempts, rows[poison].lost_leases) == (
        "dead",
        MAX_ATTEMPTS,
        MAX_ATTEMPTS,
    )
    assert {rows[row_id].attempts for row_id in innocent} == {1}

    # Each killed worker's dispatch run is on record, still running (the run reaper closes
    # it as abandoned after [jobs] run_timeout_minutes), and the status shows it.
    runs = _dispatch_runs(app)
    killed = [run for run in runs if run.outcome == "running"]
    assert sorted(int(run.worker.rsplit(":", 1)[1]) for run in killed) == sorted(deaths)
    assert {run.outcome for run in runs} <= {"running", "ok"}
    assert sum(run.delivered for run in runs) == len(innocent)
    with app.app_context():
        session = get_session()
        (status,) = connector_statuses(session, ConnectorSet(live={}), runs_per_connector=50)
        session.commit()
    assert {run.id for run in killed} <= {run.id for run in status.last_runs}
