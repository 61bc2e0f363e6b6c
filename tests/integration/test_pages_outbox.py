"""The outbox page: connector states, queues, dead letters, replays, pauses, audit."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from connectors.base import Off, PluginContext
from hub.db import get_db, get_session, utcnow, write_transaction
from hub.models import AuditEntry, ConnectorPause, JobRun, User
from jobs.registry import build_registry
from jobs.runs import run_job
from tests import conftest
from tests.conftest import Users, csrf_from, login, post_form, sign_in
from tests.integration.workers import add_events, outbox, recording_log

PLUGIN = "connectors.recording:recording_connector"


def unconfigured_plugin(ctx: PluginContext) -> Off:
    """A connector plugin that is installed but still waits for its settings."""
    return Off("recording", "Set [recording] path (HUB_RECORDING_PATH) to turn it on.")


PAGE = "/admin/outbox"


@pytest.fixture
def plugged(app: Flask, database: conftest.TestDatabase, tmp_path: Path) -> Iterator[Flask]:
    """The hub with the recording connector on, on the test database ``app`` emptied."""
    flask_app = conftest.make_app(
        database, tmp_path, jobs={"extra_connectors": PLUGIN}, sheets={"backend": "google"}
    )
    yield flask_app
    get_db(flask_app).dispose()


def _as(flask_app: Flask, user: User) -> FlaskClient:
    client = flask_app.test_client()
    sign_in(client, user)
    return client


@pytest.fixture
def admin(plugged: Flask, users: Users) -> FlaskClient:
    return _as(plugged, users.admin)


def _dispatch(flask_app: Flask) -> None:
    result = run_job(flask_app, build_registry(flask_app).get("outbox.dispatch.recording"))
    assert result.outcome == "ok", result.error


def _dead_letters(plugged: Flask, tmp_path: Path, refs: list[str], error: str) -> list[int]:
    """Deliver events that the recording connector refuses for good: real dead letters."""
    recording_log(tmp_path).set_faults({ref: {"permanent": error} for ref in refs})
    ids = add_events(plugged, refs, payload={"order": {"ref": refs[0]}})
    _dispatch(plugged)
    recording_log(tmp_path).set_faults({})
    assert {outbox(plugged)[i].status for i in ids} == {"dead"}
    return ids


def _post(client: FlaskClient, url: str, **data: str) -> TestResponse:
    return post_form(client, PAGE, url, data)


def _text(response: TestResponse) -> str:
    return response.get_data(as_text=True)


def _audit(flask_app: Flask) -> list[tuple[str, str, str]]:
    with flask_app.app_context():
        session = get_session()
        rows = session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)).all()
        session.commit()
        return [(e.actor_label, e.action, e.target) for e in rows]


def _section(page: str, anchor: str) -> str:
    match = re.search(rf'id="{anchor}".*?</section>', page, re.S)
    assert match, anchor
    return match.group(0)


# -- who may open it -----------------------------------------------------------------------

ACTIONS = [
    f"{PAGE}/events/1/replay",
    f"{PAGE}/connectors/recording/replay-dead",
    f"{PAGE}/connectors/recording/pause",
    f"{PAGE}/connectors/recording/resume",
]


def test_anonymous_visitors_are_sent_to_sign_in(plugged: Flask) -> None:
    client = plugged.test_client()
    response = client.get(PAGE)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    token = csrf_from(_text(client.get("/login")))
    for url in ACTIONS:
        refused = client.post(url, data={"csrf_token": token})
        assert refused.status_code == 302
        assert "/login" in refused.headers["Location"]


@pytest.mark.parametrize("role", ["concierge", "provider"])
def test_staff_and_providers_may_not_open_it_nor_act(
    plugged: Flask, users: Users, role: str
) -> None:
    client = _as(plugged, users.by_role(role))
    assert client.get(PAGE).status_code == 403
    token = csrf_from(_text(client.get("/login", follow_redirects=True)))
    for url in ACTIONS:
        assert client.post(url, data={"csrf_token": token}).status_code == 403
    assert _audit(plugged) == []


def test_admins_find_it_in_the_menu(admin: FlaskClient) -> None:
    page = _text(admin.get("/admin/users"))
    assert f'href="{PAGE}"' in page
    assert ">Outbox<" in page


# -- what it shows -------------------------------------------------------------------------


def test_an_unconfigured_connector_says_what_to_set_and_its_events_wait(
    app: Flask, users: Users
) -> None:
    add_events(app, ["C-1", "C-2"], connector="stripe")
    page = html.unescape(_text(_as(app, users.admin).get(PAGE)))
    stripe = _section(page, "connector-stripe")
    assert "badge-off" in stripe and "To configure" in stripe
    assert "Set [stripe] api_key (HUB_STRIPE_API_KEY)" in stripe
    row = re.search(r'<tr id="row-stripe">.*?</tr>', page, re.S)
    assert row and re.findall(r'class="num[^"]*"[^>]*>(\d+)', row.group(0))[0] == "2"
    # The sheet connector is installed: the local workbook needs no setting.
    assert "badge-on" in _section(page, "connector-sheets")


@pytest.mark.parametrize(
    "backend, sheet", [("xlsx", "Local workbook"), ("google", "Google Sheets")]
)
def test_connectors_go_by_the_names_people_know(
    database: conftest.TestDatabase, tmp_path: Path, users: Users, backend: str, sheet: str
) -> None:
    flask_app = conftest.make_app(database, tmp_path, sheets={"backend": backend})
    try:
        page = html.unescape(_text(_as(flask_app, users.admin).get(PAGE)))
    finally:
        get_db(flask_app).dispose()
    assert '<a href="#connector-stripe">Stripe</a>' in page
    assert f'<a href="#connector-sheets">{sheet}</a>' in page
    assert f"<h2>{sheet} " in _section(page, "connector-sheets")
    assert ">sheets<" not in page and ">stripe<" not in page


def test_the_local_workbook_is_named_in_french(app: Flask, users: Users) -> None:
    client = app.test_client()
    login(client, users.admin)
    page = html.unescape(client.get(PAGE).get_data(as_text=True))
    assert '<a href="#connector-sheets">Classeur local</a>' in page


def test_a_configurable_connector_that_is_off_says_to_configure_it(
    database: conftest.TestDatabase, tmp_path: Path, users: Users
) -> None:
    flask_app = conftest.make_app(
        database, tmp_path, jobs={"extra_connectors": f"{__name__}:unconfigured_plugin"}
    )
    try:
        page = html.unescape(_text(_as(flask_app, users.admin).get(PAGE)))
    finally:
        get_db(flask_app).dispose()
    section = _section(page, "connector-recording")
    assert "To configure" in section and "Set [recording] path" in section
    assert "Pause" not in section


def test_a_live_connector_shows_backlog_dead_letters_and_its_last_runs(
    plugged: Flask, admin: FlaskClient, tmp_path: Path
) -> None:
    recording_log(tmp_path).set_faults({"C-1": {"permanent": "customer has no email"}})
    first, held = add_events(plugged, ["C-1", "C-1"], payload={"order": {"ref": "C-1"}})
    _dispatch(plugged)
    add_events(plugged, ["C-3"])
    page = _text(admin.get(PAGE))
    row = re.search(r'<tr id="row-recording">.*?</tr>', page, re.S)
    assert row is not None
    assert "badge-on" in row.group(0)
    # backlog, oldest pending (an age), held back, delivered, retrying, dead
    numbers = re.findall(r'class="num[^"]*"[^>]*>([^<]+)', row.group(0))
    assert numbers[0].strip() == "2" and numbers[2:] == ["1", "0", "0", "1"]
    section = _section(page, "connector-recording")
    assert "1 event(s) wait behind a dead letter" in section
    assert "Replay all 1 dead letter(s)" in section
    assert "Pause recording" in section
    assert "badge-ok" in section and "outbox.dispatch" not in section

    letters = _section(page, "dead-letters")
    assert f'id="event-{first}"' in letters and f'id="event-{held}"' not in letters
    assert "<code>test.event</code>" in letters
    assert '<a href="/orders/C-1">C-1</a>' in letters
    assert "customer has no email" in letters
    assert "PermanentError" in letters  # the traceback, folded in a <details>
    assert "&#34;ref&#34;: &#34;C-1&#34;" in letters  # the payload, pretty JSON


def test_replaying_one_dead_letter_sends_it_again_and_is_audited(
    plugged: Flask, admin: FlaskClient, tmp_path: Path, users: Users
) -> None:
    (row_id,) = _dead_letters(plugged, tmp_path, ["C-1"], "customer has no email")
    response = _post(admin, f"{PAGE}/events/{row_id}/replay")
    assert response.status_code == 302
    row = outbox(plugged)[row_id]
    assert (row.status, row.attempts) == ("pending", 0)
    assert _audit(plugged) == [("admin@example.com", "outbox.replay", f"outbox:{row_id}")]
    page = _text(admin.get(PAGE))
    assert f"Event {row_id} goes back to recording" in page
    audit = _section(page, "audit")
    assert "Replayed an event" in audit and "admin@example.com" in audit
    _dispatch(plugged)
    assert outbox(plugged)[row_id].status == "delivered"


def test_replaying_all_dead_letters_of_a_connector_is_one_audited_action(
    plugged: Flask, admin: FlaskClient, tmp_path: Path
) -> None:
    ids = _dead_letters(plugged, tmp_path, ["C-1", "C-2"], "rejected")
    response = _post(admin, f"{PAGE}/connectors/recording/replay-dead")
    assert response.status_code == 302
    assert {outbox(plugged)[i].status for i in ids} == {"pending"}
    assert {outbox(plugged)[i].attempts for i in ids} == {0}
    assert _audit(plugged) == [("admin@example.com", "outbox.replay_dead", "connector:recording")]
    page = _text(admin.get(PAGE))
    assert "2 dead letter(s) go back to recording" in page
    assert "2 event(s)" in _section(page, "audit")
    again = _post(admin, f"{PAGE}/connectors/recording/replay-dead")
    assert again.status_code == 302
    assert "recording has no dead letters to replay" in _text(admin.get(PAGE))
    assert len(_audit(plugged)) == 1


def test_pausing_and_resuming_a_connector_changes_its_state_and_is_audited(
    plugged: Flask, admin: FlaskClient, tmp_path: Path
) -> None:
    response = _post(admin, f"{PAGE}/connectors/recording/pause", reason="vendor maintenance")
    assert response.status_code == 302
    with plugged.app_context():
        pause = get_session().get(ConnectorPause, "recording")
        assert pause is not None
        assert (pause.paused_by, pause.reason) == ("admin@example.com", "vendor maintenance")
    (row_id,) = add_events(plugged, ["C-1"])
    _dispatch(plugged)
    assert outbox(plugged)[row_id].status == "pending"
    page = _text(admin.get(PAGE))
    section = _section(page, "connector-recording")
    assert "badge-paused" in section
    assert "Paused by admin@example.com on" in section
    assert "Reason: vendor maintenance" in section
    assert "Resume recording" in section and "Pause recording" not in section

    assert _post(admin, f"{PAGE}/connectors/recording/resume").status_code == 302
    with plugged.app_context():
        assert get_session().get(ConnectorPause, "recording") is None
    _dispatch(plugged)
    assert outbox(plugged)[row_id].status == "delivered"
    assert _audit(plugged) == [
        ("admin@example.com", "connector.pause", "connector:recording"),
        ("admin@example.com", "connector.resume", "connector:recording"),
    ]
    audit = _section(_text(admin.get(PAGE)), "audit")
    assert "Paused the connector" in audit and "Resumed the connector" in audit
    assert "vendor maintenance" in audit


# -- refusals ------------------------------------------------------------------------------


def test_bad_ids_and_unknown_connectors_get_a_clear_4xx_and_change_nothing(
    plugged: Flask, admin: FlaskClient, tmp_path: Path
) -> None:
    (pending,) = add_events(plugged, ["C-9"])
    cases = [
        (f"{PAGE}/events/999999/replay", {}, 404, "No outbox event 999999."),
        (
            f"{PAGE}/events/{pending}/replay",
            {},
            409,
            f"Event {pending} is pending, not a dead letter",
        ),
        (f"{PAGE}/connectors/nosuch/pause", {}, 404, "No connector named “nosuch”."),
        (f"{PAGE}/connectors/nosuch/replay-dead", {}, 404, "No connector named “nosuch”."),
        (f"{PAGE}/connectors/recording/resume", {}, 409, "recording is not paused."),
        (
            f"{PAGE}/connectors/recording/pause",
            {"reason": "x" * 501},
            422,
            "At most 500 characters.",
        ),
    ]
    for url, data, status, message in cases:
        response = _post(admin, url, **data)
        assert response.status_code == status, (url, _text(response))
        page = html.unescape(_text(response))
        assert message in page, url
        assert "<h1>Outbox</h1>" in page
    assert _post(admin, f"{PAGE}/events/abc/replay").status_code == 404
    assert _audit(plugged) == []
    with plugged.app_context():
        assert get_session().scalar(sa.select(sa.func.count()).select_from(ConnectorPause)) == 0
    assert outbox(plugged)[pending].status == "pending"


def test_a_second_pause_is_refused_and_the_reason_typed_is_kept(
    plugged: Flask, admin: FlaskClient
) -> None:
    too_long = _post(admin, f"{PAGE}/connectors/recording/pause", reason="y" * 501)
    assert too_long.status_code == 422
    assert 'value="' + "y" * 501 + '"' in _text(too_long)
    assert _post(admin, f"{PAGE}/connectors/recording/pause").status_code == 302
    again = _post(admin, f"{PAGE}/connectors/recording/pause", reason="again")
    assert again.status_code == 409
    assert "recording is already paused." in _text(again)
    assert [action for _, action, _ in _audit(plugged)] == ["connector.pause"]


def test_posts_without_a_csrf_token_are_refused(plugged: Flask, admin: FlaskClient) -> None:
    response = admin.post(f"{PAGE}/connectors/recording/pause", data={"reason": "x"})
    assert response.status_code == 400
    assert _audit(plugged) == []


# -- escaping and abandoned runs -----------------------------------------------------------


def test_errors_payloads_and_reasons_are_shown_escaped(
    plugged: Flask, admin: FlaskClient, tmp_path: Path
) -> None:
    script = "<script>alert('x')</script>"
    recording_log(tmp_path).set_faults({"C-1": {"permanent": f"bad {script}"}})
    add_events(plugged, ["C-1"], payload={"note": '<img src=x onerror="alert(1)">'})
    _dispatch(plugged)
    _post(admin, f"{PAGE}/connectors/recording/pause", reason=script)
    page = _text(admin.get(PAGE))
    assert "<script>alert" not in page
    assert "<img src=x" not in page
    assert "bad &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=" in page


def test_abandoned_runs_are_listed_with_why(plugged: Flask, admin: FlaskClient) -> None:
    started = utcnow() - timedelta(hours=3)
    with plugged.app_context():
        session = get_session()
        with write_transaction(session):
            session.add(
                JobRun(
                    job="invoicing.monthly",
                    period="2026-11",
                    worker="gone:42",
                    started_at=started,
                    finished_at=utcnow(),
                    outcome="abandoned",
                    error="Abandoned: still marked running more than 120 minute(s) after it "
                    "started on gone:42.",
                )
            )
    page = _text(admin.get(PAGE))
    abandoned = _section(page, "abandoned-runs")
    assert "invoicing.monthly" in abandoned and "2026-11" in abandoned
    assert "badge-abandoned" in abandoned
    assert "still marked running more than 120 minute(s)" in abandoned
    assert "invoicing.monthly" in _section(page, "job-runs")


def test_without_abandoned_runs_the_section_is_absent(admin: FlaskClient) -> None:
    page = _text(admin.get(PAGE))
    assert 'id="abandoned-runs"' not in page
    assert "No dead letters" in page
    assert "No replay, pause or resume yet." in page


def test_a_paused_connector_that_is_off_shows_both_why(plugged: Flask, admin: FlaskClient) -> None:
    assert (
        _post(admin, f"{PAGE}/connectors/sheets/pause", reason="quarter close").status_code == 302
    )
    section = html.unescape(_section(_text(admin.get(PAGE)), "connector-sheets"))
    assert "Set [sheets] spreadsheet_id" in section
    assert "Paused by admin@example.com on" in section
    assert "Reason: quarter close" in section
    assert "Resume Google Sheets" in section


def test_an_off_connector_says_what_to_configure_in_french(app: Flask, users: Users) -> None:
    client = app.test_client()
    login(client, users.admin)
    page = html.unescape(client.get(PAGE).get_data(as_text=True))
    assert "Renseignez [stripe] api_key (HUB_STRIPE_API_KEY)" in page


def test_the_old_address_leads_to_the_outbox_page(admin: FlaskClient) -> None:
    response = admin.get("/admin/sync")
    assert response.status_code == 308
    assert response.headers["Location"].endswith(PAGE)


def test_with_demo_data_the_page_says_how_to_clear_it_before_a_live_key(
    app: Flask, users: Users
) -> None:
    client = _as(app, users.admin)
    assert "hub demo clear" not in _text(client.get(PAGE))
    with app.app_context():
        session = get_session()
        with write_transaction(session):
            session.add(User(email="admin@conciergerie.example", name="Demo", role="admin"))
    page = html.unescape(_text(client.get(PAGE)))
    assert "This hub still holds the demo data of `hub init --demo`." in page
    assert "run `hub demo clear` on the server" in page
