"""Customer pages: staff search, create and edit customers; stale edits never overwrite."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from hub.db import get_session, write_transaction
from hub.ledger.customers import CustomerInput, create_customer, update_customer
from hub.models import Customer, OutboxRow
from tests.conftest import Users, csrf_from, login, post_form, sign_in


def _add_customer(app: Flask, name: str = "Jeanne Martin", **fields: str | None) -> int:
    data = {"name": name, "email": "jeanne@example.com", "phone": "06 12 34 56 78", **fields}
    with app.app_context():
        session = get_session()
        with write_transaction(session):
            return create_customer(session, CustomerInput.parse(data)).id


def _counts(app: Flask) -> tuple[int, int]:
    with app.app_context():
        session = get_session()
        customers = session.scalar(sa.select(sa.func.count()).select_from(Customer))
        outbox = session.scalar(sa.select(sa.func.count()).select_from(OutboxRow))
        return customers or 0, outbox or 0


def _stored(app: Flask, customer_id: int) -> Customer:
    with app.app_context():
        customer = get_session().get(Customer, customer_id)
        assert customer is not None
        return customer


@pytest.mark.parametrize("role", ["concierge", "admin"])
def test_every_customer_page_renders_for_staff(
    app: Flask, users: Users, client: FlaskClient, role: str
) -> None:
    customer_id = _add_customer(app)
    sign_in(client, users.by_role(role))
    for url in (
        "/customers",
        "/customers?q=jeanne",
        "/customers/new",
        f"/customers/{customer_id}",
        f"/customers/{customer_id}/edit",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "Jeanne Martin" in response.get_data(as_text=True) or url.endswith("new")


def test_providers_are_refused_and_strangers_sent_to_sign_in(
    app: Flask, users: Users, client: FlaskClient
) -> None:
    customer_id = _add_customer(app)
    urls = ["/customers", "/customers/new", f"/customers/{customer_id}"]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login")
    login(client, users.provider)
    for url in [*urls, f"/customers/{customer_id}/edit"]:
        assert client.get(url).status_code == 403, url


def test_a_missing_customer_is_a_404_page(app: Flask, users: Users, client: FlaskClient) -> None:
    sign_in(client, users.concierge)
    response = client.get("/customers/999999")
    assert response.status_code == 404
    assert "No customer 999999" in response.get_data(as_text=True)


def test_creating_a_customer_stores_it_with_its_outbox_row(
    app: Flask, users: Users, client: FlaskClient
) -> None:
    sign_in(client, users.concierge)
    response = post_form(
        client,
        "/customers/new",
        "/customers/new",
        {
            "name": "Marc Dubois",
            "email": "Marc@Example.com",
            "phone": "+33 6 00 00 00 00",
            "address": "12 rue de la Paix, Paris",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        customer = get_session().scalars(sa.select(Customer)).one()
        assert (customer.name, customer.email) == ("Marc Dubois", "marc@example.com")
        assert response.headers["Location"] == f"/customers/{customer.id}"
    assert _counts(app) == (1, 1)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Marc Dubois" in page and "12 rue de la Paix" in page


def test_bad_customer_input_names_every_field_and_stores_nothing(
    app: Flask, users: Users, client: FlaskClient
) -> None:
    sign_in(client, users.concierge)
    response = post_form(
        client,
        "/customers/new",
        "/customers/new",
        {"name": "  ", "email": "not-an-email", "phone": "call me"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="e-name"' in html and 'id="e-email"' in html and 'id="e-phone"' in html
    assert "is not an e-mail address" in html and "is not a phone number" in html
    assert 'value="not-an-email"' in html and 'value="call me"' in html
    assert _counts(app) == (0, 0)


def test_a_post_without_csrf_token_is_refused_and_stores_nothing(
    app: Flask, users: Users, client: FlaskClient
) -> None:
    customer_id = _add_customer(app)
    sign_in(client, users.concierge)
    before = _counts(app)
    assert client.post("/customers/new", data={"name": "Intruder"}).status_code == 400
    response = client.post(
        f"/customers/{customer_id}/edit", data={"name": "Intruder", "version": "1"}
    )
    assert response.status_code == 400
    assert _counts(app) == before
    assert _stored(app, customer_id).name == "Jeanne Martin"


def test_editing_a_customer_saves_and_bumps_the_version(
    app: Flask, users: Users, client: FlaskClient
) -> None:
    customer_id = _add_customer(app)
    sign_in(client, users.concierge)
    html = client.get(f"/customers/{customer_id}/edit").get_data(as_text=True)
    assert 'name="version" value="1"' in html
    response = client.post(
        f"/customers/{customer_id}/edit",
        data={"csrf_token": csrf_from(html), "version": "1", "name": "Jeanne Martin-Roux"},
    )
    assert response.status_code == 302
    stored = _stored(app, customer_id)
    assert (stored.name, stored.email, stored.version) == ("Jeanne Martin-Roux", None, 2)


def test_a_stale_edit_is_refused_keeps_what_was_typed_and_overwrites_nothing(
    app: Flask, users: Users, client: FlaskClient
) -> None:
    customer_id = _add_customer(app)
    sign_in(client, users.concierge)
    html = client.get(f"/customers/{customer_id}/edit").get_data(as_text=True)
    # Someone else saves first.
    with app.app_context():
        session = get_session()
        with write_transaction(session):
            update_customer(
                session,
                customer_id,
                CustomerInput.parse({"name": "Jeanne Other", "email": "other@example.com"}),
                expected_version=1,
            )
    response = client.post(
        f"/customers/{customer_id}/edit",
        data={
            "csrf_token": csrf_from(html),
            "version": "1",
            "name": "Jeanne Mine",
            "email": "mine@example.com",
            "phone": "01 02 03 04 05",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Someone else changed this customer meanwhile" in page
    assert 'value="Jeanne Mine"' in page and 'value="mine@example.com"' in page
    assert "Jeanne Other" in page and "other@example.com" in page
    assert 'name="version" value="2"' in page
    stored = _stored(app, customer_id)
    assert (stored.name, stored.email, stored.version) == ("Jeanne Other", "other@example.com", 2)

    # Saving again, having seen the stored values, applies theirs.
    again = client.post(
        f"/customers/{customer_id}/edit",
        data={"csrf_token": csrf_from(page), "version": "2", "name": "Jeanne Mine"},
    )
    assert again.status_code == 302
    assert _stored(app, customer_id).name == "Jeanne Mine"


def test_a_customer_named_like_a_script_is_shown_escaped(
    app: Flask, users: Users, client: FlaskClient
) -> None:
    customer_id = _add_customer(app, name="<script>alert(1)</script>", address="<b>x</b>")
    sign_in(client, users.concierge)
    for url in ("/customers", f"/customers/{customer_id}", f"/customers/{customer_id}/edit"):
        html = client.get(url).get_data(as_text=True)
        assert "<script>alert(1)</script>" not in html, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, url
        assert "<b>x</b>" not in html


def test_a_customer_without_email_carries_a_billing_warning(
    app: Flask, users: Users, client: FlaskClient
) -> None:
    without = _add_customer(app, name="No Mail", email=None)
    with_mail = _add_customer(app, name="Has Mail")
    sign_in(client, users.concierge)
    warning = "add one to this customer before the order can be billed"
    assert warning in client.get(f"/customers/{without}").get_data(as_text=True)
    assert warning not in client.get(f"/customers/{with_mail}").get_data(as_text=True)


def test_search_matches_name_email_and_phone_and_pages_visit_each_customer_once(
    app: Flask, users: Users, client: FlaskClient
) -> None:
    ids = [
        _add_customer(
            app, name=f"Client {n:02d}", email=f"c{n}@example.com", phone=f"0600000{n:03d}"
        )
        for n in range(30)
    ]
    _add_customer(app, name="Zoé Unique", email="zoe@example.org", phone="0711111111")
    sign_in(client, users.concierge)
    for query in ("zoé", "ZOE@EXAMPLE", "0711111111"):
        html = client.get("/customers", query_string={"q": query}).get_data(as_text=True)
        assert "Zoé Unique" in html, query
        assert "Client 01" not in html, query

    seen: list[int] = []
    url: str | None = "/customers?q=client"
    while url:
        html = client.get(url).get_data(as_text=True)
        seen += [int(i) for i in re.findall(r'href="/customers/(\d+)"', html)]
        found = re.search(r'href="([^"]+)" rel="next"', html)
        url = found.group(1).replace("&amp;", "&") if found else None
    assert sorted(seen) == sorted(ids)
