"""What the order pages tell a concierge: prices off the catalogue, running totals, matches."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import Users, sign_in
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
