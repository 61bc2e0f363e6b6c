"""An admin can tell that the worker is alive: its heartbeat, on the page, the CLI and /readyz."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result
from flask import Flask

from hub.cli import Context, main
from hub.db import get_session, utcnow, write_transaction
from hub.models import WorkerHeartbeat
from tests import conftest
from tests.conftest import Users, login, sign_in
from tests.integration.workers import WorkerProcess, wait_until

PAGE = "/admin/outbox"


def _beats(app: Flask) -> dict[str, datetime]:
    with app.app_context():
        session = get_session()
        rows = session.execute(sa.select(WorkerHeartbeat.worker, WorkerHeartbeat.last_seen_at))
        found = {worker: seen for worker, seen in rows}
        session.commit()
        return found


def _worker_seen(app: Flask, worker: str, seconds_ago: float) -> None:
    """Put a worker on record as last heard from that long ago."""
    now = utcnow()
    with app.app_context():
        session = get_session()
        with write_transaction(session):
            host, pid = worker.split(":")
            session.add(
                WorkerHeartbeat(
                    worker=worker,
                    host=host,
                    pid=int(pid),
                    started_at=now - timedelta(hours=1),
                    last_seen_at=now - timedelta(seconds=seconds_ago),
                )
            )


def _hub(app: Flask, *args: str) -> Result:
    ctx = Context()
    ctx._app = app
    return CliRunner().invoke(main, list(args), obj=ctx)


@pytest.fixture
def worker(database: conftest.TestDatabase, tmp_path: Path) -> Iterator[WorkerProcess]:
    """A ``hub worker`` with nothing to deliver, beating every half second."""
    process = WorkerProcess(database, tmp_path, "idle", heartbeat_seconds=0.5)
    yield process
    process.ensure_stopped()


@pytest.mark.slow
def test_an_idle_worker_keeps_its_heartbeat_fresh_and_removes_it_when_it_stops(
    app: Flask, worker: WorkerProcess
) -> None:
    worker.wait_ready()
    assert wait_until(lambda: len(_beats(app)) == 1), worker.log()
    ((label, first),) = _beats(app).items()
    assert label.endswith(f":{worker.pid}")
    assert wait_until(lambda: _beats(app)[label] > first, timeout=5), worker.log()

    assert worker.terminate() == 0, worker.log()
    assert _beats(app) == {}


def test_the_page_shows_each_worker_with_the_age_of_its_last_heartbeat(
    app: Flask, users: Users
) -> None:
    _worker_seen(app, "box-a:101", seconds_ago=3)
    _worker_seen(app, "box-b:202", seconds_ago=600)
    client = app.test_client()
    sign_in(client, users.admin)
    page = html.unescape(client.get(PAGE).get_data(as_text=True))
    section = re.search(r'id="workers".*?</section>', page, re.S)
    assert section, page
    text = section.group(0)
    assert "box-a:101" in text and "3 seconds ago" in text
    assert "box-b:202" in text and "10 minutes ago" in text
    assert "Silent" in text and "Alive" in text


def test_the_page_says_when_no_worker_runs_in_french(app: Flask, users: Users) -> None:
    client = app.test_client()
    login(client, users.admin)
    page = html.unescape(client.get(PAGE).get_data(as_text=True))
    assert "Aucun processus d\u2019envoi ne tourne" in page


def test_outbox_status_shows_each_worker_and_its_age(app: Flask) -> None:
    result = _hub(app, "outbox", "status")
    assert "worker: none running" in result.output
    _worker_seen(app, "box-a:101", seconds_ago=75)
    result = _hub(app, "outbox", "status")
    assert result.exit_code == 0, result.output
    assert "worker box-a:101: last heard 1m15s ago (silent)" in result.output


def test_readyz_reports_a_silent_worker_to_operators_and_stays_ready(
    app: Flask, users: Users
) -> None:
    operator = conftest.api_headers(app, users.concierge)
    probe = app.test_client()
    assert probe.get("/readyz", headers=operator).get_json()["worker"] == {
        "state": "none",
        "silent_after_seconds": 60.0,
        "workers": [],
    }
    _worker_seen(app, "box-a:101", seconds_ago=2)
    assert probe.get("/readyz", headers=operator).get_json()["worker"]["state"] == "ok"

    with app.app_context():
        session = get_session()
        with write_transaction(session):
            session.execute(
                sa.update(WorkerHeartbeat).values(last_seen_at=utcnow() - timedelta(minutes=5))
            )
    silent = probe.get("/readyz", headers=operator)
    # The pages still take orders while no worker sends them: the web stays ready (a 503
    # would take it out of the load balancer), and the detail says the worker is silent.
    assert silent.status_code == 200
    worker = silent.get_json()["worker"]
    assert worker["state"] == "silent"
    assert [(w["worker"], w["silent"]) for w in worker["workers"]] == [("box-a:101", True)]
    assert worker["workers"][0]["seconds_since_seen"] >= 300
    # Anyone else learns only whether the hub is ready.
    assert probe.get("/readyz").get_json() == {"status": "ok", "database": "ok"}
