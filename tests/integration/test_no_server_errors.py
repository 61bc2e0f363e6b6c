"""Hostile values in every query parameter, form field and path segment get a 4xx, never a 5xx."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import Users, api_headers, csrf_from, login
from tests.integration.test_api_support import api_as, new_customer, new_order

HOSTILE = [
    "²",
    "٣",
    "\x00",
    "1e309",
    "-1",
    "9" * 40,
    "x" * 5000,
    "[" * 3000,
    "%00",
    "../",
    "\u202eabc\u202c",
    "' OR 1=1 --",
]

PAGE_PARAMS = {
    "/orders": (
        "status",
        "billing_status",
        "provider_id",
        "customer_id",
        "day_from",
        "day_to",
        "q",
        "limit",
        "cursor",
    ),
    "/customers": ("q", "after"),
    "/orders/new": ("customer_id",),
    "/board": ("day",),
    "/login": ("next",),
}
API_PARAMS = {
    "/api/v1/orders": (
        "status",
        "billing_status",
        "updated_since",
        "provider_id",
        "customer_id",
        "q",
        "scheduled_from",
        "scheduled_to",
        "limit",
        "cursor",
    ),
    "/api/v1/customers": ("q", "limit", "cursor"),
}
PATHS = (
    "/orders/{}",
    "/orders/{}/edit",
    "/customers/{}",
    "/customers/{}/edit",
    "/missions/{}",
    "/api/v1/orders/{}",
    "/api/v1/customers/{}",
)
ORDER_FIELDS = (
    "customer_id",
    "customer_q",
    "customer.name",
    "customer.email",
    "customer.phone",
    "customer.address",
    "lines.0.service_code",
    "lines.0.quantity",
    "lines.0.unit_price",
    "scheduled_at",
    "provider_id",
    "notes",
    "action",
)
CUSTOMER_FIELDS = ("name", "email", "phone", "address", "notes", "version")


def _some(index: int, count: int = 5) -> list[str]:
    """Pick a few hostile values per field, a different few for each, so all get used."""
    return [HOSTILE[(index + step * 5) % len(HOSTILE)] for step in range(count)]


def _assert_no_5xx(client: FlaskClient, method: str, path: str, **kwargs: object) -> None:
    response = client.open(path, method=method, **kwargs)  # type: ignore[arg-type]
    assert response.status_code < 500, (method, path, kwargs.get("data"))


def _order_and_customer(app: Flask, users: Users) -> tuple[str, int]:
    api = api_as(app, users.concierge)
    customer_id = new_customer(api)
    return new_order(api, customer_id)["ref"], customer_id


def test_hostile_query_values_and_path_segments_never_cause_a_server_error(
    app: Flask, users: Users, client: FlaskClient
) -> None:
    _order_and_customer(app, users)
    login(client, users.concierge)
    headers = api_headers(app, users.concierge)
    for value in HOSTILE:
        for path, names in PAGE_PARAMS.items():
            for name in names:
                _assert_no_5xx(client, "GET", path, query_string={name: value})
        for path, names in API_PARAMS.items():
            for name in names:
                _assert_no_5xx(client, "GET", path, query_string={name: value}, headers=headers)
        for template in PATHS:
            _assert_no_5xx(client, "GET", template.format(quote(value, safe="")), headers=headers)


def test_hostile_form_fields_never_cause_a_server_error(
    app: Flask, users: Users, client: FlaskClient
) -> None:
    ref, customer_id = _order_and_customer(app, users)
    login(client, users.concierge)
    token = csrf_from(client.get("/orders/new").get_data(as_text=True))
    valid_order = {
        "csrf_token": token,
        "customer_id": str(customer_id),
        "lines.0.service_code": "KEYS",
        "lines.0.quantity": "1",
    }
    for index, name in enumerate(ORDER_FIELDS):
        for value in _some(index):
            _assert_no_5xx(client, "POST", "/orders/new", data={**valid_order, name: value})
            _assert_no_5xx(
                client,
                "POST",
                f"/orders/{ref}/edit",
                data={**valid_order, name: value, "version": "1"},
            )
    for index, name in enumerate(CUSTOMER_FIELDS):
        for value in _some(index):
            data = {"csrf_token": token, "name": "Jeanne", "version": "1", name: value}
            _assert_no_5xx(client, "POST", "/customers/new", data=data)
            _assert_no_5xx(client, "POST", f"/customers/{customer_id}/edit", data=data)
    actions = {
        "schedule": ("scheduled_at", "provider_id", "version"),
        "cancel": ("reason", "version"),
        "complete": ("version",),
    }
    for action, names in actions.items():
        for index, name in enumerate(names):
            for value in _some(index):
                data = {"csrf_token": token, "version": "1", name: value}
                _assert_no_5xx(client, "POST", f"/orders/{ref}/{action}", data=data)


def test_hostile_admin_and_provider_form_fields_never_cause_a_server_error(
    app: Flask, users: Users, client: FlaskClient
) -> None:
    ref, _customer_id = _order_and_customer(app, users)
    login(client, users.admin)
    token = csrf_from(client.get("/admin/users").get_data(as_text=True))
    target = users.provider.id
    for index, value in enumerate(HOSTILE):
        # A password too short to hash keeps the slow hashing out of most of these requests.
        user = {"email": value, "name": value, "role": "provider", "password": "short"}
        _assert_no_5xx(client, "POST", "/admin/users", data={"csrf_token": token, **user})
        _assert_no_5xx(
            client, "POST", f"/admin/users/{target}/role", data={"csrf_token": token, "role": value}
        )
        _assert_no_5xx(
            client,
            "POST",
            f"/admin/users/{target}/active",
            data={"csrf_token": token, "active": value},
        )
        if index % 4 == 0:
            _assert_no_5xx(
                client,
                "POST",
                f"/admin/users/{target}/tokens",
                data={"csrf_token": token, "label": value},
            )
    provider = app.test_client()
    login(provider, users.provider)
    token = csrf_from(provider.get("/missions").get_data(as_text=True))
    for value in HOSTILE:
        _assert_no_5xx(
            provider, "POST", f"/missions/{ref}/done", data={"csrf_token": token, "version": value}
        )
        _assert_no_5xx(
            provider,
            "POST",
            f"/missions/{quote(value, safe='')}/done",
            data={"csrf_token": token, "version": "1"},
        )


@pytest.mark.parametrize("body_value", ["\x00", "a\x00b", "\ud800"])
def test_json_text_with_a_nul_or_lone_surrogate_is_refused_before_the_database(
    app: Flask, users: Users, body_value: str
) -> None:
    api = api_as(app, users.concierge)
    customer_id = new_customer(api)
    for path, body in (
        ("/customers", {"name": body_value}),
        ("/customers", {"name": "Jeanne", "address": body_value}),
        ("/orders", {"customer_id": customer_id, "lines": [{"service_code": body_value}]}),
        (
            "/orders",
            {"customer_id": customer_id, "lines": [{"service_code": "KEYS"}], "notes": body_value},
        ),
    ):
        response = api.post(path, body)
        assert 400 <= response.status_code < 500, (path, body)
