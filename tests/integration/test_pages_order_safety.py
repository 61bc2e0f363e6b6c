"""The order page guards its final moves: reopen with a reason before billing, cancel confirmed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from hub.db import get_session, write_transaction
from hub.ledger.actor import Actor
from hub.ledger.billing import apply_billing_news
from hub.ledger.order_access import get_order
from hub.models import Order, OutboxRow
from tests.conftest import Users, login, post_form, sign_in
from tests.factories import make_customer, make_order
from tests.integration.test_pages_admin import session_csrf

WHEN = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


def done_order(app: Flask, users: Users) -> str:
    customer_id = make_customer(app, name="Jeanne Martin", email="j@example.com")
    return make_order(
        app,
        customer_id,
        by=users.concierge,
        scheduled_at=WHEN.isoformat(),
        provider_id=users.provider.id,
        status="done",
    )


def stored(app: Flask, ref: str) -> Order:
    with app.app_context():
        session = get_session()
        order = get_order(session, ref)
        order.events  # noqa: B018 - load the history before the session closes
        return order


def start_billing(app: Flask, ref: str) -> None:
    with app.app_context():
        session = get_session()
        with write_transaction(session):
            apply_billing_news(session, Actor.system("stripe"), ref, "pending")


def outbox_topics(app: Flask, ref: str) -> list[tuple[str, str]]:
    with app.app_context():
        rows = get_session().execute(
            sa.select(OutboxRow.topic, OutboxRow.connector).where(OutboxRow.aggregate_ref == ref)
        )
        return sorted((topic, connector) for topic, connector in rows)


# -- reopening a mission marked done by mistake ---------------------------------------------


def test_a_concierge_reopens_a_done_mission_with_a_reason_kept_in_the_history(
    app: Flask, users: Users, client: FlaskClient
) -> None:
    ref = done_order(app, users)
    sign_in(client, users.concierge)
    page = client.get(f"/orders/{ref}").get_data(as_text=True)
    assert f'action="/orders/{ref}/reopen"' in page
    assert f'action="/orders/{ref}/schedule"' not in page
    before = stored(app, ref)

    response = post_form(
        client,
        f"/orders/{ref}",
        f"/orders/{ref}/reopen",
        {"version": str(before.version), "reason": "Provider tapped the wrong mission"},
    )

    assert response.status_code == 302
    order = stored(app, ref)
    assert (order.status, order.completed_at, order.billing_status) == (
        "scheduled",
        None,
        "unbilled",
    )
    last = order.events[-1]
    assert (last.kind, last.from_status, last.to_status, last.actor_id) == (
        "reopened",
        "done",
        "scheduled",
        users.concierge.id,
    )
    assert last.changes["reason"] == "Provider tapped the wrong mission"
    assert ("order.reopened", "sheets") in outbox_topics(app, ref)
    page = client.get(f"/orders/{ref}").get_data(as_text=True)
    assert "Reopened" in page and "Provider tapped the wrong mission" in page
    assert "Claire Concierge" in page
    # Scheduled again: the provider can mark it done again, the concierge reschedule it.
    assert f'action="/orders/{ref}/schedule"' in page


@pytest.mark.parametrize("reason", ["", "   "])
def test_reopening_without_a_reason_is_refused(
    app: Flask, users: Users, client: FlaskClient, reason: str
) -> None:
    ref = done_order(app, users)
    sign_in(client, users.concierge)
    version = stored(app, ref).version

    data = {"version": str(version), "reason": reason}
    response = post_form(client, f"/orders/{ref}", f"/orders/{ref}/reopen", data)

    assert response.status_code == 422
    assert "This field is required." in response.get_data(as_text=True)
    assert stored(app, ref).status == "done"
    assert ("order.reopened", "sheets") not in outbox_topics(app, ref)


def test_once_billing_started_reopening_is_refused_and_cancelling_is_the_way_back(
    app: Flask, users: Users, client: FlaskClient
) -> None:
    ref = done_order(app, users)
    start_billing(app, ref)
    sign_in(client, users.concierge)
    page = client.get(f"/orders/{ref}").get_data(as_text=True)
    assert f'action="/orders/{ref}/reopen"' not in page
    assert "is the only way back" in page

    response = post_form(
        client,
        f"/orders/{ref}",
        f"/orders/{ref}/reopen",
        {"version": str(stored(app, ref).version), "reason": "Too late"},
    )

    assert response.status_code == 409
    assert "is the only way back" in response.get_data(as_text=True)
    assert stored(app, ref).status == "done"


def test_a_provider_cannot_reopen(app: Flask, users: Users, client: FlaskClient) -> None:
    ref = done_order(app, users)
    login(client, users.provider)
    token = session_csrf(app, client)
    response = client.post(
        f"/orders/{ref}/reopen",
        data={"csrf_token": token, "version": str(stored(app, ref).version), "reason": "oops"},
    )
    assert response.status_code == 403
    assert stored(app, ref).status == "done"


def test_a_done_order_cannot_be_rescheduled_without_reopening(
    app: Flask, users: Users, client: FlaskClient
) -> None:
    ref = done_order(app, users)
    sign_in(client, users.concierge)
    response = post_form(
        client,
        f"/orders/{ref}",
        f"/orders/{ref}/schedule",
        {
            "version": str(stored(app, ref).version),
            "scheduled_at": "2026-12-02T10:30",
            "provider_id": str(users.provider.id),
        },
    )
    assert response.status_code == 409
    assert "reopen it first" in response.get_data(as_text=True)
    assert stored(app, ref).status == "done"


# -- cancelling asks first -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"reason": "", "confirm": "yes"}, "This field is required."),
        ({"reason": "Customer moved"}, "Tick the box to confirm the cancellation."),
        ({}, "This field is required."),
    ],
)
def test_cancelling_needs_a_reason_and_a_ticked_confirmation(
    app: Flask, users: Users, client: FlaskClient, fields: dict[str, str], message: str
) -> None:
    ref = done_order(app, users)
    sign_in(client, users.concierge)
    version = stored(app, ref).version

    response = post_form(
        client, f"/orders/{ref}", f"/orders/{ref}/cancel", {"version": str(version), **fields}
    )

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    order = stored(app, ref)
    assert (order.status, order.version) == ("done", version)


def test_the_cancel_form_asks_for_a_reason_and_a_confirmation(
    app: Flask, users: Users, client: FlaskClient
) -> None:
    ref = done_order(app, users)
    sign_in(client, users.concierge)
    page = client.get(f"/orders/{ref}").get_data(as_text=True)
    form = page[page.index(f'action="/orders/{ref}/cancel"') :]
    form = form[: form.index("</form>")]
    assert 'name="reason" rows="3" required' in form
    assert 'name="confirm" value="yes" required' in form

    response = post_form(
        client,
        f"/orders/{ref}",
        f"/orders/{ref}/cancel",
        {"version": str(stored(app, ref).version), "reason": "Customer moved", "confirm": "yes"},
    )
    assert response.status_code == 302
    order = stored(app, ref)
    assert order.status == "cancelled"
    assert order.events[-1].changes == {"reason": "Customer moved"}
