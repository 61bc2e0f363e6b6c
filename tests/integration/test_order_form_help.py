"""What the order pages tell a concierge: prices off the catalogue, running totals, matches."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from hub.db import get_session
from hub.models import Order
from tests.conftest import Users, api_headers, post_form, sign_in
from tests.factories import make_customer, make_order


def test_a_price_off_the_catalogue_is_marked_on_the_order_page(
    app: Flask, users: Users, client: FlaskClient
) -> None:
    customer_id = make_customer(app, name="Jeanne Martin")
    ref = make_order(
        app,
        customer_id,
        by=users.concierge,
        lines=[
            {"service_code": "KEYS", "quantity": "1", "unit_price": "12,50"},
            {"service_code": "ASSEMBLY", "quantity": "2"},
        ],
    )
    sign_in(client, users.concierge)

    html = client.get(f"/orders/{ref}").get_data(as_text=True)

    # KEYS is €8.00 in the catalogue; ASSEMBLY at its catalogue price is not marked.
    assert '€12.50 <small class="price-differs">instead of €8.00</small>' in html
    assert html.count('class="price-differs"') == 1


def _lines_data(**fields: str) -> dict[str, str]:
    data = {
        "lines.0.service_code": "ASSEMBLY",  # 35,00 € an hour, 20 % VAT
        "lines.0.quantity": "1,5",
        "lines.0.unit_price": "",
        "lines.1.service_code": "KEYS",  # 8,00 € a unit
        "lines.1.quantity": "3",
        "lines.1.unit_price": "12,345",  # three decimals: refused by the ledger
        "lines.2.service_code": "",
        "lines.2.quantity": "",
        "lines.2.unit_price": "",
        "customer_id": "",
        "customer.name": "",  # no customer: the ledger refuses the order
        "scheduled_at": "",
        "provider_id": "",
        "notes": "",
    }
    data.update(fields)
    return data


def _shown_total(html: str) -> str:
    match = re.search(r"<output id=\"order-total\"[^>]*>([^<]*)</output>", html)
    assert match, "no running total on the page"
    return match.group(1)


def test_the_form_shown_again_after_an_error_holds_the_running_total(
    app: Flask, users: Users, client: FlaskClient
) -> None:
    sign_in(client, users.concierge)
    assert _shown_total(client.get("/orders/new").get_data(as_text=True)) == "€0.00"

    # A price that cannot be read: no total rather than a wrong one.
    response = post_form(client, "/orders/new", "/orders/new", _lines_data())
    assert response.status_code == 422
    assert _shown_total(response.get_data(as_text=True)) == "—"

    # 1,5 h at 35,00 € = 52,50 €; 3 x 12,33 € = 36,99 €; and 0,333 x 0,05 € = 0,01665 €,
    # which the ledger rounds half up to 0,02 €.
    data = _lines_data(**{"lines.1.unit_price": "12,33"})
    data.update({"lines.2.service_code": "KEYS", "lines.2.quantity": "0,333"})
    data["lines.2.unit_price"] = "0,05"
    response = post_form(client, "/orders/new", "/orders/new", data)
    assert response.status_code == 422
    assert _shown_total(response.get_data(as_text=True)) == "€89.51"

    # Adding a line without JavaScript keeps the total too.
    data["action"] = "add_line"
    response = post_form(client, "/orders/new", "/orders/new", data)
    assert response.status_code == 200
    assert _shown_total(response.get_data(as_text=True)) == "€89.51"


def test_customer_search_answers_staff_with_json_matches_beyond_the_newest(
    app: Flask, users: Users, client: FlaskClient
) -> None:
    oldest = make_customer(app, name="Zoé <Lambert>", email=None, phone="06 12 34 56 78")
    for number in range(25):
        make_customer(app, name=f"Client {number:02d}", email=f"c{number}@example.com")

    # The form offers the 20 newest customers; the oldest is not among them.
    sign_in(client, users.concierge)
    assert f'value="{oldest}"' not in client.get("/orders/new").get_data(as_text=True)

    response = client.get("/customers/search?q=lamb")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.get_json() == {
        "customers": [
            {"id": oldest, "name": "Zoé <Lambert>", "email": None, "phone": "06 12 34 56 78"}
        ]
    }
    # Phone digits find the customer too; an empty query lists the 20 newest.
    assert [c["id"] for c in client.get("/customers/search?q=0612").get_json()["customers"]] == [
        oldest
    ]
    assert len(client.get("/customers/search?q=").get_json()["customers"]) == 20


def test_customer_search_is_for_signed_in_staff_only(
    app: Flask, users: Users, client: FlaskClient
) -> None:
    make_customer(app, name="Zoé Lambert")
    anonymous = client.get("/customers/search?q=zo")
    assert anonymous.status_code == 302
    assert anonymous.headers["Location"].startswith("/login")
    sign_in(client, users.provider)
    assert client.get("/customers/search?q=zo").status_code == 403


# -- a date in the past ----------------------------------------------------------------------


def _local(moment: datetime) -> str:
    return moment.astimezone(ZoneInfo("Europe/Paris")).strftime("%Y-%m-%dT%H:%M")


YESTERDAY = datetime.now(UTC) - timedelta(days=1)


def _orders(app: Flask) -> list[Order]:
    with app.app_context():
        return list(get_session().scalars(sa.select(Order)))


def test_a_new_order_in_the_past_is_saved_only_once_the_date_is_confirmed(
    app: Flask, users: Users, client: FlaskClient
) -> None:
    customer_id = make_customer(app, name="Jeanne Martin")
    sign_in(client, users.concierge)
    data = {
        "customer_id": str(customer_id),
        "lines.0.service_code": "KEYS",
        "scheduled_at": _local(YESTERDAY),
        "provider_id": str(users.provider.id),
        "notes": "Mission faite hier",
    }

    response = post_form(client, "/orders/new", "/orders/new", data)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="past-warning"' in html and "is in the past" in html
    assert f'name="confirm_past" value="{_local(YESTERDAY)}"' in html
    assert "Mission faite hier" in html  # what was typed is kept
    assert _orders(app) == []

    # Confirming another date than the one typed does not count.
    earlier = _local(YESTERDAY - timedelta(days=1))
    response = post_form(client, "/orders/new", "/orders/new", {**data, "confirm_past": earlier})
    assert response.status_code == 200 and 'id="past-warning"' in response.get_data(as_text=True)
    assert _orders(app) == []

    confirmed = {**data, "confirm_past": _local(YESTERDAY)}
    response = post_form(client, "/orders/new", "/orders/new", confirmed)
    assert response.status_code == 302
    [order] = _orders(app)
    assert order.scheduled_at is not None
    assert _local(order.scheduled_at) == _local(YESTERDAY)

    # A future date is saved at once, with no warning.
    tomorrow = {**data, "scheduled_at": _local(datetime.now(UTC) + timedelta(days=1))}
    assert post_form(client, "/orders/new", "/orders/new", tomorrow).status_code == 302


def test_scheduling_in_the_past_asks_first_then_schedules(
    app: Flask, users: Users, client: FlaskClient
) -> None:
    ref = make_order(app, make_customer(app, name="Jeanne Martin"), by=users.concierge)
    sign_in(client, users.concierge)
    data = {
        "version": "1",
        "scheduled_at": _local(YESTERDAY),
        "provider_id": str(users.provider.id),
    }

    response = post_form(client, f"/orders/{ref}", f"/orders/{ref}/schedule", data)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "is in the past" in html
    assert f'name="confirm_past" value="{_local(YESTERDAY)}"' in html
    assert f'action="/orders/{ref}/schedule"' in html
    assert [o.status for o in _orders(app)] == ["new"]

    response = post_form(
        client,
        f"/orders/{ref}",
        f"/orders/{ref}/schedule",
        {**data, "confirm_past": _local(YESTERDAY)},
    )
    assert response.status_code == 302
    [order] = _orders(app)
    assert order.status == "scheduled"
    assert order.scheduled_at is not None and _local(order.scheduled_at) == _local(YESTERDAY)


def test_the_api_takes_a_past_date_without_asking(
    app: Flask, users: Users, client: FlaskClient
) -> None:
    customer_id = make_customer(app, name="Jeanne Martin")
    response = client.post(
        "/api/v1/orders",
        json={
            "customer_id": customer_id,
            "lines": [{"service_code": "KEYS"}],
            "scheduled_at": YESTERDAY.isoformat(),
            "provider_id": users.provider.id,
        },
        headers=api_headers(app, users.concierge),
    )
    assert response.status_code == 201, response.get_data(as_text=True)
