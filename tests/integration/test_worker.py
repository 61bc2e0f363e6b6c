"""Real ``hub worker`` processes: concurrency, crashes, SIGTERM, ordering and wake-up."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

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

Spawn = Callable[..., WorkerProcess]


@pytest.fixture
def spawn(database: conftest.TestDatabase, tmp_path: Path) -> Iterator[Spawn]:
    """Start ``hub worker`` processes on the test database; kill any left running."""
    started: list[WorkerProcess] = []

    def start(name: str = "worker", **jobs: Any) -> WorkerProcess:
        worker = WorkerProcess(database, tmp_path, f"{name}-{len(started)}", **jobs)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.ensure_stopped()


def _dispatch_ran(worker: WorkerProcess) -> bool:
    return any(
        '"logger": "apscheduler.executors.default"' in line
        and "outbox.dispatch.recording" in line
        and "executed successfully" in line
        for line in worker.log().splitlines()
    )


def _all_delivered(app: Flask, count: int) -> Callable[[], bool]:
    return lambda: statuses(app).get("delivered", 0) == count


def test_two_workers_drain_2000_events_without_delivering_one_twice_or_missing_one(
    app: Flask, spawn: Spawn, tmp_path: Path
) -> None:
    first, second = spawn(), spawn()
    first.wait_ready()
    second.wait_ready()
    ids = add_events(app, [f"C-{n}" for n in range(2000)])
    assert wait_until(_all_delivered(app, 2000), timeout=120), statuses(app)
    assert first.terminate() == 0
    assert second.terminate() == 0

    log = recording_log(tmp_path)
    assert [e for e in log.entries() if e["kind"] == "overlap"] == []
    delivered = Counter(e["event_id"] for e in log.delivered())
    assert sorted(delivered) == ids
    assert set(delivered.values()) == {1}
    assert {e["pid"] for e in log.delivered()} == {first.pid, second.pid}


def test_a_worker_killed_mid_delivery_leaves_the_event_to_another_after_the_lease(
    app: Flask, spawn: Spawn, tmp_path: Path
) -> None:
    log = recording_log(tmp_path)
    log.set_faults({"C-1": {"sleep": 60}})
    doomed = spawn("doomed", lease_seconds=2)
    (row_id,) = add_events(app, ["C-1"])
    assert wait_until(lambda: any(e["kind"] == "start" for e in log.entries())), doomed.log()
    doomed.kill()
    assert outbox(app)[row_id].status == "in_flight"

    log.set_faults({})
    rescuer = spawn("rescuer", lease_seconds=2)
    assert wait_until(lambda: outbox(app)[row_id].status == "delivered"), rescuer.log()
    assert rescuer.terminate() == 0
    (delivery,) = log.delivered()
    assert (delivery["pid"], delivery["attempt"]) == (rescuer.pid, 2)
    assert outbox(app)[row_id].attempts == 2


def test_sigterm_during_a_batch_finishes_the_delivery_under_way_and_loses_nothing(
    app: Flask, spawn: Spawn, tmp_path: Path
) -> None:
    refs = [f"C-{n}" for n in range(10)]
    log = recording_log(tmp_path)
    log.set_faults({ref: {"sleep": 0.3} for ref in refs})
    worker = spawn()
    ids = add_events(app, refs)
    assert wait_until(lambda: len(log.delivered()) >= 1), worker.log()
    assert worker.terminate() == 0, worker.log()

    rows = outbox(app)
    delivered_rows = {i for i in ids if rows[i].status == "delivered"}
    waiting = {i for i in ids if rows[i].status == "pending"}
    assert delivered_rows | waiting == set(ids)
    assert waiting, "the stop came after the whole batch"
    assert {e["event_id"] for e in log.delivered()} == delivered_rows
    assert all(rows[i].attempts == 0 and rows[i].lease_token is None for i in waiting)

    log.set_faults({})
    successor = spawn("successor")
    assert wait_until(_all_delivered(app, len(ids))), successor.log()
    assert successor.terminate() == 0
    assert sorted(e["event_id"] for e in log.delivered()) == ids


def test_events_of_each_order_arrive_in_order_while_two_workers_share_the_orders(
    app: Flask, spawn: Spawn, tmp_path: Path
) -> None:
    orders = [f"C-{n}" for n in range(40)]
    log = recording_log(tmp_path)
    faults: dict[str, dict[str, object]] = {ref: {"fail_times": 1} for ref in orders[::3]}
    faults.update({ref: {"sleep": 0.01} for ref in orders[1::3]})
    log.set_faults(faults)
    # Small claims and quick retries keep both workers busy with the same orders.
    timing = {"retry_base_seconds": 0.05, "retry_cap_seconds": 0.2, "batch_size": 5}
    workers = [spawn(**timing), spawn(**timing)]
    for worker in workers:
        worker.wait_ready()
    # Five events per order, interleaved across orders, as concierges would create them.
    ids = add_events(app, [ref for _ in range(5) for ref in orders])
    assert wait_until(_all_delivered(app, len(ids)), timeout=60), statuses(app)
    for worker in workers:
        assert worker.terminate() == 0

    sequence: dict[str, list[int]] = {}
    for entry in log.delivered():
        sequence.setdefault(entry["aggregate_ref"], []).append(entry["event_id"])
    assert set(sequence) == set(orders)
    for ref, delivered in sequence.items():
        assert delivered == sorted(delivered), ref
        assert len(delivered) == 5, ref
    assert len({e["pid"] for e in log.delivered()}) == 2


def test_a_commit_wakes_an_idle_worker_long_before_its_next_look(
    app: Flask, spawn: Spawn, tmp_path: Path
) -> None:
    worker = spawn(dispatch_interval_seconds=600, log_level="DEBUG")
    worker.wait_ready()
    # The start-up pass over the empty outbox has ended (APScheduler says so at debug level):
    # from now on only a wake-up can deliver.
    assert wait_until(lambda: _dispatch_ran(worker)), worker.log()
    (row_id,) = add_events(app, ["C-1"])
    assert wait_until(lambda: outbox(app)[row_id].status == "delivered", timeout=15), worker.log()
    assert worker.terminate() == 0
