"""Dispatch runs are on record from their first claim, so a run that died still shows."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from connectors.base import Event, Outcome
from hub.db import get_db, get_session, utcnow
from hub.models import JobRun
from hub.outbox.connectors import ConnectorSet
from jobs.registry import build_registry
from jobs.runs import reap_abandoned, run_job
from tests import conftest
from tests.conftest import Users, login, read_in_english
from tests.integration.workers import add_events, outbox

JOB = "outbox.dispatch.recording"


class ProcessDied(BaseException):
    """Stands for the worker's death: it escapes the run before it ends."""


class DiesOnSecond:
    """Delivers one event per call, looks at the run history, and dies on the second event."""

    name = "recording"
    topics = frozenset({"*"})
    max_batch = 1

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.seen_runs: list[list[tuple[str, str, int]]] = []

    def deliver(self, events: Sequence[Event]) -> Sequence[Outcome]:
        self.seen_runs.append([(r.job, r.outcome, r.delivered) for r in _runs(self.app)])
        if len(self.seen_runs) == 2:
            raise ProcessDied()
        return [Outcome(event.id) for event in events]


def _runs(app: Flask) -> list[JobRun]:
    with app.app_context():
        session = get_session()
        found = list(session.scalars(sa.select(JobRun).order_by(JobRun.id)))
        session.commit()
        return found


def test_a_dispatch_run_is_recorded_before_its_first_delivery_and_counts_as_it_goes(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jobs import dispatcher

    # Each outcome is written before the next event is handed over.
    monkeypatch.setattr(dispatcher, "RECORD_EVERY_SECONDS", 0.0)
    connector = DiesOnSecond(app)
    dispatch = build_registry(app, ConnectorSet(live={"recording": connector})).get(JOB)
    first, second, third = add_events(app, ["C-1", "C-2", "C-3"])
    with pytest.raises(ProcessDied):
        run_job(app, dispatch, worker="doomed:1")
    # Before the first hand-over the run was on record, running, with nothing delivered yet;
    # before the second it counted the first delivery.
    assert connector.seen_runs == [[(JOB, "running", 0)], [(JOB, "running", 1)]]
    (left,) = _runs(app)
    assert (left.outcome, left.worker, left.delivered, left.finished_at) == (
        "running",
        "doomed:1",
        1,
        None,
    )
    assert left.heartbeat_at is not None
    assert outbox(app)[first].status == "delivered"
    assert {outbox(app)[second].status, outbox(app)[third].status} == {"in_flight"}

    with app.app_context():
        closed = reap_abandoned(
            get_session(), now=utcnow() + timedelta(hours=3), timeout=timedelta(minutes=120)
        )
    assert closed == [left.id]
    assert [(r.outcome, r.delivered) for r in _runs(app)] == [("abandoned", 1)]


def test_idle_dispatch_ticks_write_nothing(app: Flask, tmp_path: Path) -> None:
    connector = DiesOnSecond(app)
    dispatch = build_registry(app, ConnectorSet(live={"recording": connector})).get(JOB)
    for _ in range(20):
        assert run_job(app, dispatch).run_id is None
    assert _runs(app) == []
    add_events(app, ["C-1"])
    result = run_job(app, dispatch)
    assert [(r.id, r.outcome, r.delivered) for r in _runs(app)] == [(result.run_id, "ok", 1)]


def test_the_sync_page_shows_a_dispatch_run_that_died_running_then_abandoned(
    app: Flask, database: conftest.TestDatabase, tmp_path: Path, users: Users
) -> None:
    plugged = conftest.make_app(
        database, tmp_path, jobs={"extra_connectors": "connectors.recording:recording_connector"}
    )
    try:
        connector = DiesOnSecond(plugged)
        dispatch = build_registry(plugged, ConnectorSet(live={"recording": connector})).get(JOB)
        add_events(plugged, ["C-1", "C-2"])
        with pytest.raises(ProcessDied):
            run_job(plugged, dispatch, worker="doomed:77")
        client = plugged.test_client()
        login(client, users.admin)
        read_in_english(client)
        page = client.get("/admin/outbox").get_data(as_text=True)
        assert len(re.findall(r'class="run-running"', page)) == 1
        assert "doomed:77" in page
        with plugged.app_context():
            reap_abandoned(
                get_session(), now=utcnow() + timedelta(hours=3), timeout=timedelta(minutes=120)
            )
        page = client.get("/admin/outbox").get_data(as_text=True)
        abandoned = page[page.index('id="abandoned-runs"') :]
        assert 'class="run-abandoned"' in abandoned
        assert "doomed:77" in abandoned
    finally:
        get_db(plugged).dispose()
