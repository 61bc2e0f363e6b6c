"""What the engine reports and what operators do: status, /readyz, the CLI, replay and pause."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result
from flask import Flask

from hub.cli import Context, main
from hub.config import ConfigError, load_config
from hub.db import get_db, get_session, write_transaction
from hub.ledger.actor import Actor
from hub.ledger.outbox import SUBSCRIPTIONS
from hub.models import AuditEntry, JobRun
from hub.outbox import control
from hub.outbox.connectors import build_connectors, connectors_for
from hub.outbox.status import connector_statuses, dead_letters, outbox_totals
from tests import conftest
from tests.integration.workers import add_events, outbox, recording_log, statuses

PLUGIN = "connectors.recording:recording_connector"


@pytest.fixture
def plugged(app: Flask, database: conftest.TestDatabase, tmp_path: Path) -> Iterator[Flask]:
    """The hub with the recording connector plugged in, on the emptied test database."""
    flask_app = conftest.make_app(database, tmp_path, jobs={"extra_connectors": PLUGIN})
    yield flask_app
    get_db(flask_app).dispose()


def hub(flask_app: Flask, *args: str) -> Result:
    ctx = Context()
    ctx._app = flask_app
    return CliRunner().invoke(main, list(args), obj=ctx)


def _audit(flask_app: Flask) -> list[tuple[str, str, str]]:
    with flask_app.app_context():
        session = get_session()
        rows = session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)).all()
        session.commit()
        return [(e.actor_label, e.action, e.target) for e in rows]


def _one_dead_one_held_back_one_delivered(plugged: Flask, tmp_path: Path) -> list[int]:
    recording_log(tmp_path).set_faults({"C-1": {"permanent": "customer has no email"}})
    ids = add_events(plugged, ["C-1", "C-1", "C-2"])
    assert hub(plugged, "jobs", "run", "outbox.dispatch.recording").exit_code == 0
    recording_log(tmp_path).set_faults({})
    return ids


def test_connectors_without_configuration_are_off_and_say_why(app: Flask) -> None:
    found = connectors_for(app)
    # The sheet connector writes the local workbook by default: it needs no setting.
    assert list(found.live) == ["sheets"]
    assert set(found.off) == {"stripe"}
    assert "Set [stripe] api_key (HUB_STRIPE_API_KEY)" in found.off["stripe"].reason
    # Every connector a topic is delivered to is built, on or off: none is "not installed".
    subscribed = {name for names in SUBSCRIPTIONS.values() for name in names}
    assert subscribed <= set(found.names())
    assert not any(found.not_installed(name) for name in subscribed)


def test_a_plugin_that_cannot_be_loaded_is_a_configuration_error() -> None:
    cfg = load_config({"jobs": {"extra_connectors": "connectors.recording:nothing"}}, environ={})
    with pytest.raises(ConfigError, match="cannot be loaded"):
        build_connectors(cfg)
    cfg = load_config({"jobs": {"extra_connectors": "just-a-name"}}, environ={})
    with pytest.raises(ConfigError, match=r"package\.module:factory"):
        build_connectors(cfg)


def test_status_shows_state_backlog_failures_and_what_waits_behind_a_dead_letter(
    plugged: Flask, tmp_path: Path
) -> None:
    _one_dead_one_held_back_one_delivered(plugged, tmp_path)
    add_events(plugged, ["C-5"], connector="stripe")
    with plugged.app_context():
        session = get_session()
        with write_transaction(session):
            control.pause(session, Actor.system("test"), "recording", "vendor maintenance")
        found = {s.name: s for s in connector_statuses(session, connectors_for(plugged))}
        totals = outbox_totals(session)
    recording, stripe = found["recording"], found["stripe"]
    assert (recording.state, recording.reason, recording.paused_by) == (
        "paused",
        "vendor maintenance",
        "test",
    )
    assert (recording.backlog, recording.dead, recording.held_back) == (1, 1, 1)
    assert recording.delivered_last_hour == 1
    assert recording.oldest_pending_seconds is not None
    assert [(r.job, r.delivered, r.dead) for r in recording.last_runs] == [
        ("outbox.dispatch.recording", 1, 1)
    ]
    assert (stripe.state, stripe.backlog) == ("off", 1)
    assert "Set [stripe] api_key" in (stripe.message or "")
    assert (totals.backlog, totals.dead) == (2, 1)


def test_dead_letters_show_the_error_traceback_and_payload(plugged: Flask, tmp_path: Path) -> None:
    first, _, _ = _one_dead_one_held_back_one_delivered(plugged, tmp_path)
    with plugged.app_context():
        (letter,) = dead_letters(get_session(), connector="recording")
    assert (letter.id, letter.aggregate_ref, letter.attempts) == (first, "C-1", 1)
    assert letter.last_error == "customer has no email"
    assert "PermanentError" in (letter.last_traceback or "")
    assert letter.payload == {"topic": "test.event", "seq": 0}


def test_readyz_reports_backlog_and_dead_letters(
    plugged: Flask, tmp_path: Path, users: conftest.Users
) -> None:
    _one_dead_one_held_back_one_delivered(plugged, tmp_path)
    headers = conftest.api_headers(plugged, users.concierge)
    body = plugged.test_client().get("/readyz", headers=headers).get_json()
    assert body["status"] == "ok"
    assert body["outbox"]["backlog"] == 1
    assert body["outbox"]["dead"] == 1
    assert body["outbox"]["in_flight"] == 0
    assert body["outbox"]["oldest_pending_seconds"] >= 0


def test_outbox_status_exits_1_while_dead_letters_exist_and_0_once_replayed(
    plugged: Flask, tmp_path: Path
) -> None:
    first, held, _ = _one_dead_one_held_back_one_delivered(plugged, tmp_path)
    result = hub(plugged, "outbox", "status")
    assert result.exit_code == 1
    assert f"dead #{first} recording test.event C-1 after 1 attempt(s): customer has no email" in (
        result.output
    )
    assert "holds back the later events of its order" in result.output

    replayed = hub(plugged, "outbox", "replay", "--id", str(first))
    assert (replayed.exit_code, replayed.output) == (0, "Replayed 1 event(s).\n")
    hub(plugged, "jobs", "run", "outbox.dispatch.recording")
    hub(plugged, "jobs", "run", "outbox.dispatch.recording")
    assert outbox(plugged)[held].status == "delivered"
    assert hub(plugged, "outbox", "status").exit_code == 0
    assert _audit(plugged) == [("cli", "outbox.replay", f"outbox:{first}")]


def test_replay_all_dead_letters_of_a_connector_is_audited(plugged: Flask, tmp_path: Path) -> None:
    _one_dead_one_held_back_one_delivered(plugged, tmp_path)
    result = hub(plugged, "outbox", "replay", "--dead", "--connector", "recording")
    assert (result.exit_code, result.output) == (0, "Replayed 1 event(s).\n")
    assert statuses(plugged).get("dead", 0) == 0
    assert _audit(plugged) == [("cli", "outbox.replay_dead", "connector:recording")]


@pytest.mark.parametrize(
    "args, message",
    [
        ([], "Give either --id N or --dead."),
        (["--id", "1", "--dead"], "Give either --id N or --dead."),
        (["--connector", "recording", "--id", "1"], "--connector goes with --dead."),
        (["--id", "999999"], "No outbox event 999999."),
    ],
)
def test_replay_refuses_unclear_requests(plugged: Flask, args: list[str], message: str) -> None:
    result = hub(plugged, "outbox", "replay", *args)
    assert result.exit_code != 0
    assert message in result.output
    assert _audit(plugged) == []


def test_pause_and_resume_are_audited_and_refused_twice(app: Flask, users: conftest.Users) -> None:
    from hub.errors import Conflict

    admin = Actor.of(users.admin)
    with app.app_context():
        session = get_session()
        with write_transaction(session):
            control.pause(session, admin, "stripe")
        with pytest.raises(Conflict), write_transaction(session):
            control.pause(session, admin, "stripe")
        with write_transaction(session):
            control.resume(session, admin, "stripe")
        with pytest.raises(Conflict), write_transaction(session):
            control.resume(session, admin, "stripe")
    assert _audit(app) == [
        ("admin@example.com", "connector.pause", "connector:stripe"),
        ("admin@example.com", "connector.resume", "connector:stripe"),
    ]


def test_jobs_list_shows_every_job_and_jobs_run_runs_one(plugged: Flask) -> None:
    add_events(plugged, ["C-1"])
    listing = hub(plugged, "jobs", "list")
    assert listing.exit_code == 0
    for name in ("outbox.dispatch.recording", "outbox.reap", "outbox.prune"):
        assert name in listing.output
    result = hub(plugged, "jobs", "run", "outbox.dispatch.recording")
    assert result.exit_code == 0
    assert "outbox.dispatch.recording: ok; delivered 1, retried 0, dead 0" in result.output
    assert "last ok at" in hub(plugged, "jobs", "list").output
    unknown = hub(plugged, "jobs", "run", "invoicing.daily")
    assert unknown.exit_code == 1
    assert "No job named 'invoicing.daily'" in unknown.output
    with plugged.app_context():
        session = get_session()
        assert session.scalar(sa.select(sa.func.count()).select_from(JobRun)) == 1


def test_status_readers_leave_the_callers_transaction_alone(plugged: Flask) -> None:
    from hub.models import ConnectorPause
    from hub.outbox.runs_view import abandoned_runs, background_runs, recent_runs
    from hub.outbox.status import audit_trail, is_known_connector

    with plugged.app_context():
        session = get_session()
        connectors = connectors_for(plugged)
        with pytest.raises(RuntimeError, match="changed my mind"), write_transaction(session):
            session.add(ConnectorPause(connector="recording", paused_by="test"))
            session.flush()
            outbox_totals(session)
            connector_statuses(session, connectors)
            dead_letters(session)
            audit_trail(session)
            recent_runs(session)
            background_runs(session)
            abandoned_runs(session)
            assert is_known_connector(session, connectors, "recording")
            # A reader that committed would have made the pause permanent by now.
            raise RuntimeError("changed my mind")
        assert session.scalars(sa.select(ConnectorPause)).all() == []


@pytest.mark.parametrize(
    "backend, sheet", [("xlsx", "Local workbook"), ("google", "Google Sheets")]
)
def test_outbox_status_names_connectors_as_people_know_them(
    app: Flask, database: conftest.TestDatabase, tmp_path: Path, backend: str, sheet: str
) -> None:
    flask_app = conftest.make_app(database, tmp_path, sheets={"backend": backend})
    try:
        add_events(flask_app, ["C-1"], connector="stripe")
        result = hub(flask_app, "outbox", "status")
    finally:
        get_db(flask_app).dispose()
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    stripe = next(line for line in lines if line.startswith("Stripe "))
    assert stripe.split()[1:4] == ["to", "configure", "1"]
    state = "on" if backend == "xlsx" else "to configure"
    assert any(line.startswith(f"{sheet} ") and state in line for line in lines)
    assert "Set [stripe] api_key (HUB_STRIPE_API_KEY)" in result.output
    assert not any(line.startswith(("stripe ", "sheets ")) for line in lines)
