"""Inputs from a hostile-input run: ids beyond the columns, foreign digits, forged cursors."""

from __future__ import annotations

import base64
import json

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import Users, csrf_from, login
from tests.integration.test_api_support import api_as, assert_error, counts, new_customer

#: One past PostgreSQL's 32-bit ``integer``: valid digits, but no row can carry this id.
TOO_BIG = 2**31
LARGEST = 2**31 - 1


def _cursor(last_id: int) -> str:
    raw = json.dumps({"id": last_id, "updated_at": "2026-01-01T00:00:00+00:00"}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    "path",
    [
        f"/customers/{TOO_BIG}",
        f"/customers/{TOO_BIG}/edit",
        f"/admin/users/{TOO_BIG}",
        f"/customers/{2**62}",
    ],
)
def test_a_page_for_an_id_beyond_the_integer_columns_is_not_found(
    app: Flask, users: Users, client: FlaskClient, path: str
) -> None:
    login(client, users.admin)
    assert client.get(path).status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        f"/admin/users/{TOO_BIG}/role",
        f"/admin/users/{TOO_BIG}/password",
        f"/admin/users/{TOO_BIG}/active",
        f"/admin/users/{TOO_BIG}/tokens",
        "/admin/users/{me}/tokens/" + str(TOO_BIG) + "/revoke",
        f"/admin/outbox/events/{TOO_BIG}/replay",
    ],
)
def test_an_admin_form_posted_for_an_id_beyond_the_integer_columns_is_not_found(
    app: Flask, users: Users, client: FlaskClient, path: str
) -> None:
    login(client, users.admin)
    token = csrf_from(client.get("/admin/users").get_data(as_text=True))
    data = {"csrf_token": token, "role": "admin", "active": "1", "password": "a" * 12}
    response = client.post(path.format(me=users.admin.id), data=data)
    assert response.status_code == 404


def test_the_largest_integer_id_is_still_an_ordinary_not_found(
    app: Flask, users: Users, client: FlaskClient
) -> None:
    login(client, users.concierge)
    assert client.get(f"/customers/{LARGEST}").status_code == 404
    assert api_as(app, users.concierge).get(f"/customers/{LARGEST}").status_code == 404


def test_the_api_answers_not_found_for_a_customer_beyond_the_integer_columns(
    app: Flask, users: Users
) -> None:
    api = api_as(app, users.concierge)
    assert_error(api.get(f"/customers/{TOO_BIG}"), 404, "not_found")


@pytest.mark.parametrize("field", ["customer_id", "provider_id"])
def test_an_api_query_filter_beyond_the_integer_columns_is_refused(
    app: Flask, users: Users, field: str
) -> None:
    api = api_as(app, users.concierge)
    response = api.get("/orders", query_string={field: str(TOO_BIG)})
    assert_error(response, 422, "invalid", field)


@pytest.mark.parametrize("field", ["customer_id", "provider_id"])
def test_an_api_order_naming_an_id_beyond_the_integer_columns_is_refused_and_stores_nothing(
    app: Flask, users: Users, field: str
) -> None:
    api = api_as(app, users.concierge)
    customer_id = new_customer(api)
    before = counts(app)
    body = {
        "customer_id": customer_id,
        "lines": [{"service_code": "ASSEMBLY", "quantity": 1}],
        field: TOO_BIG,
    }
    assert_error(api.post("/orders", body), 422, "invalid", field)
    body[field] = str(TOO_BIG)
    assert_error(api.post("/orders", body), 422, "invalid", field)
    assert counts(app) == before


@pytest.mark.parametrize("last_id", [TOO_BIG, 2**62 - 1])
def test_a_forged_cursor_beyond_the_integer_columns_is_a_damaged_link(
    app: Flask, users: Users, client: FlaskClient, last_id: int
) -> None:
    api = api_as(app, users.concierge)
    response = api.get("/orders", query_string={"cursor": _cursor(last_id)})
    assert_error(response, 422, "invalid", "cursor")
    login(client, users.concierge)
    page = client.get("/orders", query_string={"cursor": _cursor(last_id)})
    assert page.status_code < 500


@pytest.mark.parametrize("field", ["customer_id", "provider_id"])
def test_the_new_order_form_refuses_an_id_beyond_the_integer_columns(
    app: Flask, users: Users, client: FlaskClient, field: str
) -> None:
    customer_id = new_customer(api_as(app, users.concierge))
    login(client, users.concierge)
    before = counts(app)
    token = csrf_from(client.get("/orders/new").get_data(as_text=True))
    data = {
        "csrf_token": token,
        "customer_id": str(customer_id),
        "lines.0.service_code": "KEYS",
        "lines.0.quantity": "1",
        field: str(TOO_BIG),
    }
    assert client.post("/orders/new", data=data).status_code == 422
    assert counts(app) == before
    shown = client.get("/orders/new", query_string={"customer_id": str(TOO_BIG)})
    assert shown.status_code < 500


@pytest.mark.parametrize("path", ["/customers", "/orders"])
def test_list_filters_beyond_the_integer_columns_never_reach_the_database(
    app: Flask, users: Users, client: FlaskClient, path: str
) -> None:
    login(client, users.concierge)
    for name in ("after", "customer_id", "provider_id"):
        assert client.get(path, query_string={name: str(TOO_BIG)}).status_code < 500


#: Arabic-Indic 3, full-width 3, "1" then Arabic-Indic 3, bold 5, Arabic-Indic "12.5".
FOREIGN_DIGITS = ["\u0663", "\uff13", "1\u0663", "\U0001d7d3", "\u0661\u0662\u066b\u0665"]


@pytest.mark.parametrize("digits", FOREIGN_DIGITS)
def test_money_and_quantities_in_foreign_digits_are_refused_and_store_nothing(
    app: Flask, users: Users, digits: str
) -> None:
    api = api_as(app, users.concierge)
    customer_id = new_customer(api)
    before = counts(app)
    quantity = {"customer_id": customer_id, "lines": [{"service_code": "KEYS", "quantity": digits}]}
    assert_error(api.post("/orders", quantity), 422, "invalid_amount")
    price = {
        "customer_id": customer_id,
        "lines": [{"service_code": "KEYS", "quantity": 1, "unit_price": digits}],
    }
    assert_error(api.post("/orders", price), 422, "invalid_amount")
    assert counts(app) == before


def test_the_limit_error_names_the_largest_page_size(app: Flask, users: Users) -> None:
    api = api_as(app, users.concierge)
    for value in ("0", "100000"):
        response = api.get("/orders", query_string={"limit": value})
        assert_error(response, 422, "invalid", "limit")
        message = response.get_json()["error"]["fields"]["limit"]
        assert "%(" not in message and "200" in message, message
