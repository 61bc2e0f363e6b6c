"""Order pages: the new-order form, the order page and its actions, edits and the filtered list."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from hub.db import get_session, write_transaction
from hub.ledger.actor import Actor
from hub.ledger.billing import apply_billing_news
from hub.ledger.fulfilment import complete_order
from hub.ledger.order_access import get_order
from hub.ledger.orders import OrderInput, update_order
from hub.models import Customer, Order, OrderEvent, OutboxRow
from tests.conftest import Users, csrf_from, login, post_form, sign_in
from tests.factories import make_customer, make_order

WHEN = datetime(2030, 12, 1, 9, 30, tzinfo=UTC)  # 10:30 in Paris


def _customer(app: Flask, name: str = "Jeanne Martin", email: str | None = "j@example.com") -> int:
    return make_customer(app, name=name, email=email, address="3 rue Oberkampf")


def _order(app: Flask, users: Users, customer_id: int, **extra: Any) -> str:
    lines = extra.pop("lines", [{"service_code": "ASSEMBLY", "quantity": "1,5"}])
    return make_order(app, customer_id, by=users.concierge, lines=lines, **extra)


def _stored(app: Flask, ref: str) -> Order:
    with app.app_context():
        session = get_session()
        order = get_order(session, ref)
        order.events  # noqa: B018 - load the history before the session closes
        return order


def _counts(app: Flask) -> dict[str, int]:
    with app.app_context():
        session = get_session()
        return {
            model.__tablename__: session.scalar(sa.select(sa.func.count()).select_from(model)) or 0
            for model in (Order, Customer, OutboxRow, OrderEvent)
        }


def _form(client: FlaskClient, url: str = "/orders/new") -> str:
    return csrf_from(client.get(url).get_data(as_text=True))


def _new_order_data(token: str = "", **fields: str) -> dict[str, str]:
    # post_form replaces the empty token with the form's own.
    data = {
        "csrf_token": token,
        "lines.0.service_code": "ASSEMBLY",
        "lines.0.quantity": "1,5",
        "lines.0.unit_price": "",
        "lines.1.service_code": "PARCEL",
        "lines.1.quantity": "2",
        "lines.1.unit_price": "2,50",
        "lines.2.service_code": "",
        "lines.2.quantity": "",
        "lines.2.unit_price": "",
        "scheduled_at": "",
        "provider_id": "",
        "notes": "Code porte 1234B",
    }
    data.update(fields)
    return data


@pytest.mark.parametrize("role", ["concierge", "admin"])
def test_every_order_page_renders_for_staff(
    app: Flask, users: Users, client: FlaskClient, role: str
) -> None:
    customer_id = _customer(app)
    ref = _order(app, users, customer_id)
    sign_in(client, users.by_role(role))
    for url in (
        "/orders",
        "/orders/new",
        f"/orders/new?customer_id={customer_id}",
        f"/orders/{ref}",
        f"/orders/{ref}/edit",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "Jeanne Martin" in response.get_data(as_text=True), url


def test_providers_are_refused_and_strangers_sent_to_sign_in(
    app: Flask, users: Users, client: FlaskClient
) -> None:
    ref = _order(
        app, users, _customer(app), scheduled_at=WHEN.isoformat(), provider_id=users.provider.id
    )
    urls = ["/orders", "/orders/new", f"/orders/{ref}", f"/orders/{ref}/edit"]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/login")
    # Even the provider the mission belongs to: their pages are the missions pages.
    login(client, users.provider)
    for url in urls:
        assert client.get(url).status_code == 403, url


def test_a_new_order_for_an_existing_customer_is_recorded_and_scheduled(
    app: Flask, users: Users, client: FlaskClient
) -> None:
    customer_id = _customer(app)
    sign_in(client, users.concierge)
    page = client.get(f"/orders/new?customer_id={customer_id}").get_data(as_text=True)
    assert f'<option value="{customer_id}" selected>' in page
    data = _new_order_data(
        csrf_from(page),
        customer_id=str(customer_id),
        scheduled_at="2030-12-01T10:30",
        provider_id=str(users.provider.id),
    )
    response = client.post("/orders/new", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    ref = response.headers["Location"].rsplit("/", 1)[1]
    order = _stored(app, ref)
    assert order.customer_id == customer_id
    assert [
        (line.service_code, line.quantity_milli, line.unit_price_cents) for line in order.lines
    ] == [
        ("ASSEMBLY", 1500, 3500),
        ("PARCEL", 2000, 250),
    ]
    assert order.total_cents == 5750
    # The time typed is Paris time: 10:30 in December is 09:30 UTC.
    assert order.scheduled_at == WHEN
    assert (order.status, order.provider_id) == ("scheduled", users.provider.id)
    assert order.notes == "Code porte 1234B"
    html = client.get(f"/orders/{ref}").get_data(as_text=True)
    assert ref in html and "Paul Provider" in html and "Code porte 1234B" in html


def test_a_new_customer_typed_in_the_form_is_created_with_the_order(
    app: Flask, users: Users, client: FlaskClient
) -> None:
    sign_in(client, users.concierge)
    data = _new_order_data(
        **{
            "customer.name": "Marc Dubois",
            "customer.email": "marc@example.com",
            "customer.phone": "06 11 22 33 44",
            "customer.address": "8 rue Ordener",
        }
    )
    response = post_form(client, "/orders/new", "/orders/new", data)
    assert response.status_code == 302, response.get_data(as_text=True)
    order = _stored(app, response.headers["Location"].rsplit("/", 1)[1])
    assert (order.customer.name, order.customer.email, order.customer.address) == (
        "Marc Dubois",
        "marc@example.com",
        "8 rue Ordener",
    )
    assert order.status == "new"
    assert _counts(app)["customers"] == 1


BAD_INPUTS = [
    ("lines.1.unit_price", {"lines.1.unit_price": "12,5x"}, "12,5x"),
    ("lines.0.quantity", {"lines.0.quantity": "trois"}, "trois"),
    ("lines.0.quantity", {"lines.0.quantity": "0"}, "0"),
    ("lines.1.service_code", {"lines.1.service_code": "NOPE"}, "NOPE"),
    ("lines.2.service_code", {"lines.2.quantity": "2"}, None),
    ("scheduled_at", {"scheduled_at": "2026-13-45T25:00"}, "2026-13-45T25:00"),
    ("scheduled_at", {"scheduled_at": "1850-01-01T10:00"}, "1850-01-01T10:00"),
    ("provider_id", {"provider_id": "999999"}, None),
    ("provider_id", {"provider_id": "abc"}, None),
    ("customer.name", {"customer.email": "someone@example.com"}, "someone@example.com"),
    ("customer.email", {"customer.name": "Marc", "customer.email": "marc@"}, "marc@"),
    ("customer_id", {}, None),
    ("customer_id", {"customer_id": "1", "customer.name": "Marc"}, "Marc"),
    ("customer_id", {"customer_id": "abc"}, None),
    ("notes", {"notes": "x" * 2001}, None),
]


@pytest.mark.parametrize(("field", "typed", "shown"), BAD_INPUTS)
def test_bad_input_on_any_field_is_a_422_next_to_the_field_and_stores_nothing(
    app: Flask,
    users: Users,
    client: FlaskClient,
    field: str,
    typed: dict[str, str],
    shown: str | None,
) -> None:
    customer_id = _customer(app)
    sign_in(client, users.concierge)
    before = _counts(app)
    needs_customer = not any(key.startswith("customer") for key in typed)
    base = {"customer_id": str(customer_id)} if needs_customer and field != "customer_id" else {}
    data = _new_order_data(**{**base, **typed})
    response = post_form(client, "/orders/new", "/orders/new", data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'id="e-{field}"' in html
    if shown is not None:
        assert f'value="{shown}"' in html
    # Everything else typed is still there.
    assert "Code porte 1234B" in html or field == "notes"
    assert 'value="2,50"' in html or field == "lines.1.unit_price"
    assert _counts(app) == before


def test_a_form_with_no_line_at_all_is_refused(
    app: Flask, users: Users, client: FlaskClient
) -> None:
    customer_id = _customer(app)
    sign_in(client, users.concierge)
    blank = {
        f"lines.{i}.{name}": ""
        for i in range(3)
        for name in ("service_code", "quantity", "unit_price")
    }
    data = _new_order_data(customer_id=str(customer_id), **blank)
    response = post_form(client, "/orders/new", "/orders/new", data)
    assert response.status_code == 422
    assert 'id="e-lines"' in response.get_data(as_text=True)
    assert _counts(app)["orders"] == 0


def test_an_inline_customer_is_not_kept_when_the_ledger_refuses_the_order(
    app: Flask, users: Users, client: FlaskClient
) -> None:
    sign_in(client, users.concierge)
    # Each line reads well, but together they exceed what one order may total.
    data = _new_order_data(
        **{
            "customer.name": "Marc Dubois",
            "lines.0.quantity": "10000",
            "lines.0.unit_price": "1000000",
        }
    )
    response = post_form(client, "/orders/new", "/orders/new", data)
    assert response.status_code == 422
    assert "An order cannot exceed" in response.get_data(as_text=True)
    assert _counts(app) == {"orders": 0, "customers": 0, "outbox": 0, "order_events": 0}


def test_add_a_line_without_javascript_posts_back_one_more_row_and_stores_nothing(
    app: Flask, users: Users, client: FlaskClient
) -> None:
    sign_in(client, users.concierge)
    data = _new_order_data(action="add_line")
    response = post_form(client, "/orders/new", "/orders/new", data)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'name="lines.3.service_code"' in html
    assert 'value="2,50"' in html and "Code porte 1234B" in html
    assert _counts(app)["orders"] == 0


def test_finding_a_customer_lists_the_matches_and_keeps_the_form(
    app: Flask, users: Users, client: FlaskClient
) -> None:
    _customer(app, name="Zoé Lambert", email="zoe@example.com")
    _customer(app, name="Paul Other", email="paul@example.com")
    sign_in(client, users.concierge)
    data = _new_order_data(action="find_customer", customer_q="zoé")
    html = post_form(client, "/orders/new", "/orders/new", data).get_data(as_text=True)
    assert "Zoé Lambert" in html and "Paul Other" not in html
    assert 'value="2,50"' in html
    assert _counts(app)["orders"] == 0


def test_posts_without_csrf_token_are_refused_and_store_nothing(
    app: Flask, users: Users, client: FlaskClient
) -> None:
    customer_id = _customer(app)
    ref = _order(app, users, customer_id)
    sign_in(client, users.concierge)
    before = _counts(app)
    data = _new_order_data("", customer_id=str(customer_id))
    del data["csrf_token"]
    assert client.post("/orders/new", data=data).status_code == 400
    assert client.post(f"/orders/{ref}/cancel", data={"version": "1"}).status_code == 400
    assert client.post(f"/orders/{ref}/edit", data={**data, "version": "1"}).status_code == 400
    assert _counts(app) == before
    assert _stored(app, ref).status == "new"


def test_actions_move_the_order_and_write_its_history(
    app: Flask, users: Users, client: FlaskClient
) -> None:
    ref = _order(app, users, _customer(app))
    sign_in(client, users.concierge)
    page = client.get(f"/orders/{ref}").get_data(as_text=True)
    assert f'action="/orders/{ref}/schedule"' in page
    assert f'action="/orders/{ref}/cancel"' in page
    assert f'action="/orders/{ref}/complete"' not in page
    token = csrf_from(page)

    response = client.post(
        f"/orders/{ref}/schedule",
        data={
            "csrf_token": token,
            "version": str(_stored(app, ref).version),
            "scheduled_at": "2030-12-01T10:30",
            "provider_id": str(users.provider.id),
        },
    )
    assert response.status_code == 302
    order = _stored(app, ref)
    assert (order.status, order.scheduled_at, order.provider_id) == (
        "scheduled",
        WHEN,
        users.provider.id,
    )
    page = client.get(f"/orders/{ref}").get_data(as_text=True)
    assert "Reschedule" in page and "Paul Provider" in page

    response = client.post(
        f"/orders/{ref}/complete", data={"csrf_token": token, "version": str(order.version)}
    )
    assert response.status_code == 302
    order = _stored(app, ref)
    assert order.status == "done"
    page = client.get(f"/orders/{ref}").get_data(as_text=True)
    assert "cancelling it reverses its billing" in page

    response = client.post(
        f"/orders/{ref}/cancel",
        data={
            "csrf_token": token,
            "version": str(order.version),
            "reason": "Customer moved",
            "confirm": "yes",
        },
    )
    assert response.status_code == 302
    order = _stored(app, ref)
    assert order.status == "cancelled"
    assert [(e.kind, e.from_status, e.to_status) for e in order.events] == [
        ("created", None, "new"),
        ("scheduled", "new", "scheduled"),
        ("done", "scheduled", "done"),
        ("cancelled", "done", "cancelled"),
    ]
    page = client.get(f"/orders/{ref}").get_data(as_text=True)
    assert "Customer moved" in page and "Claire Concierge" in page
    assert f'action="/orders/{ref}/' not in page


def test_a_forbidden_action_is_a_409_with_a_message_and_changes_nothing(
    app: Flask, users: Users, client: FlaskClient
) -> None:
    ref = _order(app, users, _customer(app))
    sign_in(client, users.concierge)
    before = _counts(app)
    version = str(_stored(app, ref).version)
    response = post_form(client, f"/orders/{ref}", f"/orders/{ref}/complete", {"version": version})
    assert response.status_code == 409
    assert "An order that is new cannot become done." in response.get_data(as_text=True)
    assert _stored(app, ref).status == "new"
    assert _counts(app) == before


def test_an_action_on_an_order_changed_meanwhile_is_a_409(
    app: Flask, users: Users, client: FlaskClient
) -> None:
    ref = _order(app, users, _customer(app))
    sign_in(client, users.concierge)
    response = post_form(
        client,
        f"/orders/{ref}",
        f"/orders/{ref}/cancel",
        {"version": str(_stored(app, ref).version - 1), "reason": "x", "confirm": "yes"},
    )
    assert response.status_code == 409
    assert "Someone else changed order" in response.get_data(as_text=True)
    assert _stored(app, ref).status == "new"


def test_scheduling_with_a_bad_time_or_provider_is_a_422_next_to_the_field(
    app: Flask, users: Users, client: FlaskClient
) -> None:
    ref = _order(app, users, _customer(app))
    sign_in(client, users.concierge)
    token = _form(client, f"/orders/{ref}")
    version = str(_stored(app, ref).version)
    for field, data in (
        ("scheduled_at", {"scheduled_at": "tomorrow", "provider_id": str(users.provider.id)}),
        ("provider_id", {"scheduled_at": "2030-12-01T10:30", "provider_id": str(users.admin.id)}),
        ("provider_id", {"scheduled_at": "2030-12-01T10:30", "provider_id": ""}),
    ):
        response = client.post(
            f"/orders/{ref}/schedule", data={"csrf_token": token, "version": version, **data}
        )
        assert response.status_code == 422, field
        assert f'id="e-{field}"' in response.get_data(as_text=True)
    assert _stored(app, ref).status == "new"


def test_editing_an_order_replaces_its_lines(app: Flask, users: Users, client: FlaskClient) -> None:
    ref = _order(app, users, _customer(app))
    sign_in(client, users.concierge)
    version = str(_stored(app, ref).version)
    page = client.get(f"/orders/{ref}/edit").get_data(as_text=True)
    assert 'value="1.5"' in page and f'name="version" value="{version}"' in page
    data = _new_order_data(csrf_from(page), version=version, notes="Second floor")
    response = client.post(f"/orders/{ref}/edit", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    order = _stored(app, ref)
    assert [line.service_code for line in order.lines] == ["ASSEMBLY", "PARCEL"]
    assert (order.total_cents, order.notes) == (5750, "Second floor")
    assert order.events[-1].kind == "edited"
    assert "Second floor" in client.get(f"/orders/{ref}").get_data(as_text=True)


def test_a_stale_order_edit_keeps_what_was_typed_and_overwrites_nothing(
    app: Flask, users: Users, client: FlaskClient
) -> None:
    customer_id = _customer(app)
    ref = _order(app, users, customer_id)
    sign_in(client, users.concierge)
    seen = _stored(app, ref).version
    page = client.get(f"/orders/{ref}/edit").get_data(as_text=True)
    with app.app_context():
        session = get_session()
        theirs = OrderInput.parse(
            {"customer_id": customer_id, "lines": [{"service_code": "KEYS"}], "notes": "Theirs"}
        )
        with write_transaction(session):
            update_order(session, Actor.of(users.admin), ref, theirs, expected_version=seen)
    data = _new_order_data(csrf_from(page), version=str(seen), notes="Mine")
    response = client.post(f"/orders/{ref}/edit", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Someone else changed order" in html
    assert ">Mine</textarea>" in html and 'value="2,50"' in html
    assert "Theirs" in html and "Remise de clés" in html
    order = _stored(app, ref)
    assert f'name="version" value="{order.version}"' in html
    assert (order.notes, [line.service_code for line in order.lines]) == ("Theirs", ["KEYS"])


def test_a_done_order_cannot_be_edited(app: Flask, users: Users, client: FlaskClient) -> None:
    ref = _order(
        app, users, _customer(app), scheduled_at=WHEN.isoformat(), provider_id=users.provider.id
    )
    with app.app_context():
        session = get_session()
        with write_transaction(session):
            complete_order(session, Actor.of(users.admin), ref)
    sign_in(client, users.concierge)
    response = client.get(f"/orders/{ref}/edit")
    assert response.status_code == 302
    page = client.get(f"/orders/{ref}").get_data(as_text=True)
    assert "Only open, unbilled orders can be edited." in page
    data = _new_order_data(csrf_from(page), version=str(_stored(app, ref).version), notes="Late")
    response = client.post(f"/orders/{ref}/edit", data=data)
    assert response.status_code == 422
    assert "Only open, unbilled orders can be edited." in response.get_data(as_text=True)
    assert _stored(app, ref).notes is None


def test_the_order_page_shows_totals_vat_per_rate_and_the_email_warning(
    app: Flask, users: Users, client: FlaskClient
) -> None:
    customer_id = _customer(app, email=None)
    lines = [
        {"service_code": "ASSEMBLY", "quantity": "1,5"},  # 52,50 at 20 %
        {"service_code": "CLEANING", "quantity": "2"},  # 56,00 at 10 %
    ]
    ref = _order(app, users, customer_id, lines=lines)
    sign_in(client, users.concierge)
    html = client.get(f"/orders/{ref}").get_data(as_text=True)
    assert "before the order can be billed" in html
    order = _stored(app, ref)
    assert order.total_cents == 10850
    # Total 108.50; VAT 8.75 at 20 % and 5.09 at 10 %, 13.84 in all; 94.66 before VAT.
    for fragment in ("€108.50", "€8.75", "€5.09", "€13.84", "€94.66"):
        assert fragment in html, fragment
    assert "before the order can be billed" in client.get(
        f"/orders/new?customer_id={customer_id}"
    ).get_data(as_text=True)


def test_names_and_notes_are_escaped_everywhere(
    app: Flask, users: Users, client: FlaskClient
) -> None:
    customer_id = _customer(app, name="<script>alert(1)</script>")
    ref = _order(app, users, customer_id, notes="<img src=x onerror=alert(2)>")
    sign_in(client, users.concierge)
    for url in ("/orders", f"/orders/{ref}", f"/orders/new?customer_id={customer_id}", "/board"):
        html = client.get(url).get_data(as_text=True)
        assert "<script>alert(1)</script>" not in html, url
        assert "<img src=x" not in html, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, url


def _refs(client: FlaskClient, url: str) -> list[str]:
    """Follow the list's "More" links from url and return every reference shown, in order."""
    refs: list[str] = []
    next_url: str | None = url
    while next_url:
        response = client.get(next_url)
        assert response.status_code == 200, response.get_data(as_text=True)
        html = response.get_data(as_text=True)
        refs += re.findall(r'<td class="ref[^"]*"><a href="/orders/([^"]+)">', html)
        found = re.search(r'href="([^"]+)" rel="next"', html)
        next_url = found.group(1).replace("&amp;", "&") if found else None
    return refs


def test_list_filters_and_pages_visit_every_order_once(
    app: Flask, users: Users, client: FlaskClient
) -> None:
    jeanne = _customer(app)
    marc = _customer(app, name="Marc Dubois", email="marc@example.com")
    all_refs = [_order(app, users, jeanne) for _ in range(7)]
    december = [
        _order(
            app,
            users,
            marc,
            scheduled_at=f"2026-12-0{day}T09:00:00+01:00",
            provider_id=users.provider.id,
        )
        for day in (1, 2, 3)
    ]
    other = _order(
        app,
        users,
        marc,
        scheduled_at="2026-12-02T23:30:00+01:00",
        provider_id=users.other_provider.id,
    )
    all_refs += [*december, other]
    with app.app_context():
        session = get_session()
        stripe = Actor.system("stripe")
        with write_transaction(session):
            apply_billing_news(session, stripe, all_refs[0], "invoiced")
            apply_billing_news(session, stripe, all_refs[0], "payment_failed")
    sign_in(client, users.concierge)

    shown = _refs(client, "/orders?limit=3")
    assert sorted(shown) == sorted(all_refs)
    assert len(shown) == len(set(shown))
    assert set(_refs(client, "/orders?status=new&limit=2")) == set(all_refs[:7])
    assert set(_refs(client, "/orders?status=scheduled")) == {*december, other}
    assert _refs(client, "/orders?billing_status=payment_failed") == [all_refs[0]]
    assert set(_refs(client, f"/orders?provider_id={users.provider.id}&limit=1")) == set(december)
    # Days are Paris days: 23:30 on 2 December stays on the 2nd.
    assert set(_refs(client, "/orders?day_from=2026-12-02&day_to=2026-12-02")) == {
        december[1],
        other,
    }
    assert set(_refs(client, "/orders?q=marc&limit=2")) == {*december, other}
    assert _refs(client, f"/orders?q={all_refs[3].lower()}") == [all_refs[3]]
    assert set(_refs(client, f"/orders?customer_id={marc}")) == {*december, other}


def test_unreadable_list_filters_are_a_422_not_a_500(
    app: Flask, users: Users, client: FlaskClient
) -> None:
    sign_in(client, users.concierge)
    for query in (
        "status=lost",
        "day_from=2026-02-30",
        "provider_id=x",
        "cursor=%%%",
        "cursor=eyJpZCI6MH0",
    ):
        response = client.get(f"/orders?{query}")
        assert response.status_code == 422, query


def test_an_unknown_order_is_a_404(app: Flask, users: Users, client: FlaskClient) -> None:
    sign_in(client, users.concierge)
    assert client.get("/orders/C-2026-999999").status_code == 404
    assert client.get("/orders/C-2026-999999/edit").status_code == 404
    response = post_form(client, "/orders/new", "/orders/C-2026-999999/complete", {"version": "1"})
    assert response.status_code == 404
