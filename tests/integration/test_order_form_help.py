"""What the order pages tell a concierge: prices off the catalogue, running totals, matches."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import Users, post_form, sign_in
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
