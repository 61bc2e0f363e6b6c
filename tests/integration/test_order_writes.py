"""Order writes through the ledger: every bad field at once, no-op edits, lean creates."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from hub.db import get_db, get_session
from hub.ledger.actor import Actor
from hub.ledger.fulfilment import schedule_order
from hub.ledger.order_access import get_order
from hub.ledger.orders import place_order
from hub.models import Order, OrderEvent, OutboxRow
from tests.conftest import Users, sign_in
from tests.integration.test_api_support import (
    WHEN,
    api_as,
    assert_error,
    counts,
    new_customer,
    new_order,
)
from tests.integration.test_pages_orders import _customer, _form, _new_order_data


@contextmanager
def statements(app: Flask) -> Iterator[list[str]]:
    """Record every SQL statement the app's engine sends while the block runs."""
    seen: list[str] = []
    engine = get_db(app).engine

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", note)


def _state(app: Flask, ref: str) -> tuple[int, int, int]:
    """Return the order's version, its history rows and its outbox rows."""
    with app.app_context():
        session = get_session()
        order = get_order(session, ref)
        events = session.scalar(sa.select(sa.func.count()).where(OrderEvent.order_id == order.id))
        outbox = session.scalar(sa.select(sa.func.count()).where(OutboxRow.aggregate_ref == ref))
        return order.version, events or 0, outbox or 0


# -- every error at once ---------------------------------------------------------------------


def test_an_api_order_with_three_bad_fields_names_all_three_and_stores_nothing(
    app: Flask, users: Users
) -> None:
    api = api_as(app, users.concierge)
    customer_id = new_customer(api)
    before = counts(app)
    body = {
        "customer_id": customer_id,
        "lines": [{"service_code": "PARCEL", "quantity": "trois", "unit_price": "12,5x"}],
        "scheduled_at": "tomorrow",
    }
    response = api.post("/orders", body)
    assert_error(response, 422, response.get_json()["error"]["code"])
    fields = response.get_json()["error"]["fields"]
    assert set(fields) == {"lines.0.quantity", "lines.0.unit_price", "scheduled_at"}
    assert all(isinstance(message, str) and message for message in fields.values())
    assert counts(app) == before


def test_an_api_order_names_every_unknown_service_and_a_bad_provider_at_once(
    app: Flask, users: Users
) -> None:
    api = api_as(app, users.concierge)
    customer_id = new_customer(api)
    before = counts(app)
    body = {
        "customer_id": customer_id,
        "lines": [{"service_code": "NOPE"}, {"service_code": "PARCEL"}, {"service_code": "NADA"}],
        "provider_id": users.concierge.id,
    }
    fields = api.post("/orders", body).get_json()["error"]["fields"]
    assert set(fields) == {"lines.0.service_code", "lines.2.service_code", "provider_id"}
    assert counts(app) == before


def test_a_bad_amount_and_an_unknown_service_are_named_together(app: Flask, users: Users) -> None:
    api = api_as(app, users.concierge)
    customer_id = new_customer(api)
    body = {
        "customer_id": customer_id,
        "lines": [{"service_code": "PARCEL", "quantity": "trois"}, {"service_code": "NOPE"}],
    }
    fields = api.post("/orders", body).get_json()["error"]["fields"]
    assert set(fields) == {"lines.0.quantity", "lines.1.service_code"}


def test_the_order_form_shows_each_error_by_its_field_and_stores_nothing(
    app: Flask, users: Users, client: FlaskClient
) -> None:
    customer_id = _customer(app)
    sign_in(client, users.concierge)
    before = counts(app)
    data = _new_order_data(
        _form(client),
        customer_id=str(customer_id),
        **{
            "lines.0.quantity": "trois",
            "lines.1.unit_price": "12,5x",
            "scheduled_at": "2026-13-45T25:00",
        },
    )
    response = client.post("/orders/new", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    for field in ("lines.0.quantity", "lines.1.unit_price", "scheduled_at"):
        assert f'id="e-{field}"' in html, field
    assert "Expected a date and time like 2026-03-14 09:30." in html
    assert counts(app) == before


def test_an_error_on_a_row_after_a_blank_one_lands_on_its_own_row(
    app: Flask, users: Users, client: FlaskClient
) -> None:
    customer_id = _customer(app)
    sign_in(client, users.concierge)
    data = _new_order_data(
        _form(client),
        customer_id=str(customer_id),
        **{
            "lines.0.service_code": "",
            "lines.0.quantity": "",
            "lines.1.quantity": "deux",
            "lines.2.service_code": "NOPE",
        },
    )
    html = client.post("/orders/new", data=data).get_data(as_text=True)
    assert 'id="e-lines.1.quantity"' in html and 'id="e-lines.2.service_code"' in html
    assert 'id="e-lines.0.' not in html and 'id="e-lines.1.unit_price"' not in html


def test_an_inline_customer_and_its_order_commit_together(app: Flask, users: Users) -> None:
    with app.app_context():
        session = get_session()
        order = place_order(
            session,
            Actor.of(users.concierge),
            {
                "customer": {"name": "Marc Dubois", "email": "marc@example.com"},
                "lines": [{"service_code": "PARCEL"}],
            },
        )
        assert order.customer.name == "Marc Dubois"
        topics = session.scalars(sa.select(OutboxRow.topic).order_by(OutboxRow.id)).all()
    assert topics == ["customer.upserted", "order.created"]
    assert counts(app)["customers"] == 1


# -- PATCH: fields it may not change, changes that change nothing ------------------------------


def test_a_patch_of_unknown_or_read_only_fields_is_a_422_naming_them(
    app: Flask, users: Users
) -> None:
    api = api_as(app, users.concierge)
    order = new_order(api, new_customer(api))
    ref = order["ref"]
    before = _state(app, ref)
    body = {
        "status": "done",
        "billing_status": "paid",
        "total_cents": 1,
        "vat_cents": 0,
        "ref": "C-2026-000001",
        "id": 5,
        "colour": "blue",
        "notes": "also this",
        "version": order["version"],
    }
    response = api.patch(f"/orders/{ref}", body)
    assert_error(response, 422, "invalid")
    named = set(response.get_json()["error"]["fields"])
    assert named == {"status", "billing_status", "total_cents", "vat_cents", "ref", "id", "colour"}
    assert _state(app, ref) == before
    assert api.get(f"/orders/{ref}").get_json() == order


def test_a_patch_that_changes_nothing_writes_nothing(app: Flask, users: Users) -> None:
    api = api_as(app, users.concierge)
    order = new_order(
        api,
        new_customer(api),
        notes="Ring twice",
        scheduled_at=WHEN,
        provider_id=users.provider.id,
        lines=[{"service_code": "PARCEL", "quantity": 3, "unit_price": "2,50"}],
    )
    ref = order["ref"]
    before = _state(app, ref)
    same: list[dict[str, Any]] = [
        {},
        {"notes": "Ring twice"},
        {"notes": "  Ring twice  ", "provider_id": users.provider.id},
        {"scheduled_at": order["scheduled_at"]},
        {"lines": [{"service_code": "PARCEL", "quantity": "3"}]},
        {"lines": [{"service_code": "PARCEL", "quantity": "3,0", "unit_price": "2.50"}]},
        {"customer_id": order["customer"]["id"]},
    ]
    for body in same:
        response = api.patch(f"/orders/{ref}", {**body, "version": order["version"]})
        assert response.status_code == 200, (body, response.get_json())
        assert response.get_json() == api.get(f"/orders/{ref}").get_json() == order, body
        assert _state(app, ref) == before, body
    changed = api.patch(f"/orders/{ref}", {"notes": "Ring once", "version": order["version"]})
    assert changed.status_code == 200
    version, events, outbox = _state(app, ref)
    assert (version, events) == (before[0] + 1, before[1] + 1)
    assert outbox > before[2]


# -- a lean create ---------------------------------------------------------------------------


def _inserts(seen: list[str], table: str) -> int:
    return sum(1 for s in seen if s.lstrip().upper().startswith(f"INSERT INTO {table.upper()} "))


def test_an_order_create_takes_few_statements_and_no_update(app: Flask, users: Users) -> None:
    actor = Actor.of(users.concierge)
    with app.app_context():
        session = get_session()
        customer_id = place_order(
            session, actor, {"customer": {"name": "Jeanne"}, "lines": [{"service_code": "PARCEL"}]}
        ).customer_id
        body = {
            "customer_id": customer_id,
            "lines": [{"service_code": "PARCEL"}, {"service_code": "ASSEMBLY", "quantity": 2}],
        }
        with statements(app) as seen:
            order = place_order(session, actor, body)
        # SQLite: BEGIN IMMEDIATE, customer, services, id, order, lines, history, outbox.
        # PostgreSQL: the same without BEGIN (no statement of its own), NOTIFY instead.
        assert len(seen) <= 8, seen
        assert not any(s.lstrip().upper().startswith("UPDATE") for s in seen), seen
        assert (_inserts(seen, "order_events"), _inserts(seen, "outbox")) == (1, 1), seen
        # What the caller renders afterwards is whole and matches the stored rows.
        assert order.ref == f"C-{order.created_at.year}-{order.id:06d}"
        assert [line.service_code for line in order.lines] == ["PARCEL", "ASSEMBLY"]
        assert [event.kind for event in order.events] == ["created"]
        stored = session.scalars(
            sa.select(OutboxRow).where(OutboxRow.aggregate_ref == order.ref)
        ).all()
        assert sorted(row.connector for row in stored) == ["sheets"]
        assert all(row.payload["order"]["ref"] == order.ref for row in stored)
        assert session.scalar(sa.select(Order.ref).where(Order.id == order.id)) == order.ref


def test_the_history_read_before_a_change_shows_the_change_after_it(
    app: Flask, users: Users
) -> None:
    actor = Actor.of(users.concierge)
    with app.app_context():
        session = get_session()
        order = place_order(
            session, actor, {"customer": {"name": "Jeanne"}, "lines": [{"service_code": "PARCEL"}]}
        )
        assert [event.kind for event in order.events] == ["created"]
        assert order.ref is not None
        schedule_order(session, actor, order.ref, order.created_at, users.provider.id)
        assert [event.kind for event in order.events] == ["created", "scheduled"]


def test_order_ids_and_references_follow_one_another(app: Flask, users: Users) -> None:
    actor = Actor.of(users.concierge)
    with app.app_context():
        session = get_session()
        body: dict[str, Any] = {
            "customer": {"name": "Jeanne"},
            "lines": [{"service_code": "PARCEL"}],
        }
        first = place_order(session, actor, body)
        second = place_order(
            session, actor, {**body, "customer": None, "customer_id": first.customer_id}
        )
        assert second.id == first.id + 1
        assert (first.ref, second.ref) == (
            f"C-{first.created_at.year}-{first.id:06d}",
            f"C-{second.created_at.year}-{second.id:06d}",
        )
