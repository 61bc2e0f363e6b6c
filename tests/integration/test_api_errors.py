"""Bad input is a JSON 4xx naming what is wrong, never a 500, and stores nothing."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from tests.conftest import Users
from tests.integration.test_api_support import Api, api_as, assert_error, counts, new_customer

LINE = {"service_code": "PARCEL", "quantity": 1}
HUGE = 10**30
HTTP_CODES = {400: "bad_request", 413: "too_large", 415: "unsupported_media_type"}


def _order_bodies(customer_id: int, concierge_id: int) -> list[tuple[dict[str, Any], str]]:
    """Bad order bodies and the field each error must name."""

    def line(**changes: Any) -> dict[str, Any]:
        return {"customer_id": customer_id, "lines": [{**LINE, **changes}]}

    ok = {"customer_id": customer_id, "lines": [LINE]}
    return [
        ({}, "customer_id"),
        ({**ok, "customer_id": "abc"}, "customer_id"),
        ({**ok, "customer_id": [customer_id]}, "customer_id"),
        ({**ok, "customer_id": {"id": customer_id}}, "customer_id"),
        ({**ok, "customer_id": True}, "customer_id"),
        ({**ok, "customer_id": 1.5}, "customer_id"),
        ({**ok, "customer_id": -1}, "customer_id"),
        ({**ok, "customer_id": HUGE}, "customer_id"),
        ({**ok, "customer_id": "9" * 5000}, "customer_id"),
        ({**ok, "customer_id": 999_999}, "customer_id"),
        ({"customer_id": customer_id}, "lines"),
        ({**ok, "lines": []}, "lines"),
        ({**ok, "lines": "PARCEL"}, "lines"),
        ({**ok, "lines": {"service_code": "PARCEL"}}, "lines"),
        ({**ok, "lines": [LINE] * 51}, "lines"),
        ({**ok, "lines": [1]}, "lines.0"),
        ({**ok, "lines": [[LINE]]}, "lines.0"),
        ({**ok, "lines": [LINE, None]}, "lines.1"),
        (line(service_code=None), "lines.0.service_code"),
        (line(service_code=5), "lines.0.service_code"),
        (line(service_code=["PARCEL"]), "lines.0.service_code"),
        (line(service_code="NOPE"), "lines.0.service_code"),
        (line(service_code="x" * 41), "lines.0.service_code"),
        (line(quantity="abc"), "lines.0.quantity"),
        (line(quantity=0), "lines.0.quantity"),
        (line(quantity=-1), "lines.0.quantity"),
        (line(quantity="1,2345"), "lines.0.quantity"),
        (line(quantity="1.000,5"), "lines.0.quantity"),
        (line(quantity=True), "lines.0.quantity"),
        (line(quantity=[1]), "lines.0.quantity"),
        (line(quantity={"value": 1}), "lines.0.quantity"),
        (line(quantity=HUGE), "lines.0.quantity"),
        (line(quantity=1e300), "lines.0.quantity"),
        (line(unit_price="12,505"), "lines.0.unit_price"),
        (line(unit_price="-3"), "lines.0.unit_price"),
        (line(unit_price="€"), "lines.0.unit_price"),
        (line(unit_price="12 $"), "lines.0.unit_price"),
        (line(unit_price=HUGE), "lines.0.unit_price"),
        (line(unit_price=False), "lines.0.unit_price"),
        ({**line(unit_price="1000000", quantity=2)}, "lines"),
        ({**ok, "scheduled_at": "tomorrow"}, "scheduled_at"),
        ({**ok, "scheduled_at": 1767225600}, "scheduled_at"),
        ({**ok, "scheduled_at": "2026-12-01T09:30:00"}, "scheduled_at"),
        ({**ok, "scheduled_at": "3026-12-01T09:30:00Z"}, "scheduled_at"),
        ({**ok, "provider_id": concierge_id}, "provider_id"),
        ({**ok, "provider_id": "someone"}, "provider_id"),
        ({**ok, "notes": 5}, "notes"),
        ({**ok, "notes": ["a"]}, "notes"),
        ({**ok, "notes": "x" * 2001}, "notes"),
        ({**ok, "notes": "a\x00b"}, "notes"),
    ]


def test_no_bad_order_body_is_stored(app: Flask, users: Users) -> None:
    api = api_as(app, users.concierge)
    customer_id = new_customer(api)
    before = counts(app)
    for body, field in _order_bodies(customer_id, users.concierge.id):
        response = api.post("/orders", body)
        assert_error(response, 422, response.get_json()["error"]["code"], field)
        assert response.get_json()["error"]["code"] in ("invalid", "invalid_amount")
    assert counts(app) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": "  "}, "name"),
        ({"name": 5}, "name"),
        ({"name": ["Jeanne"]}, "name"),
        ({"name": {"first": "Jeanne"}}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": "Jeanne", "email": "jeanne"}, "email"),
        ({"name": "Jeanne", "email": 5}, "email"),
        ({"name": "Jeanne", "email": "a@b.c"}, "email"),
        ({"name": "Jeanne", "phone": "call me"}, "phone"),
        ({"name": "Jeanne", "phone": 612345678}, "phone"),
        ({"name": "Jeanne", "address": True}, "address"),
        ({"name": "Jeanne", "notes": "x" * 2001}, "notes"),
    ],
)
def test_no_bad_customer_body_is_stored(
    app: Flask, users: Users, body: dict[str, Any], field: str
) -> None:
    api = api_as(app, users.concierge)
    assert_error(api.post("/customers", body), 422, "invalid", field)
    assert counts(app)["customers"] == 0


UNREADABLE = [
    ("{", "application/json", 400),
    ('{"name": "Jeanne",}', "application/json", 400),
    ("[1, 2]", "application/json", 400),
    ('"Jeanne"', "application/json", 400),
    ("42", "application/json", 400),
    ("null", "application/json", 400),
    ('{"name": NaN}', "application/json", 400),
    ('{"name": Infinity}', "application/json", 400),
    ('{"name": "\\ud800"}', "application/json", 400),
    ('{"name": ' + "9" * 5000 + "}", "application/json", 400),
    ('{"a": ' + "[" * 100_000 + "]" * 100_000 + "}", "application/json", 400),
    (b'{"name": "\xff\xfe"}', "application/json", 400),
    ('{"name": "Jeanne"}', "text/plain", 415),
    ("name=Jeanne", "application/x-www-form-urlencoded", 415),
    ('{"name": "' + "x" * (1024 * 1024 + 10) + '"}', "application/json", 413),
]


@pytest.mark.parametrize(("data", "content_type", "status"), UNREADABLE)
def test_an_unreadable_body_is_refused_as_json(
    app: Flask, users: Users, data: str | bytes, content_type: str, status: int
) -> None:
    api = api_as(app, users.concierge)
    customer_id = new_customer(api)
    before = counts(app)
    for path in ("/customers", "/orders"):
        response = api.raw("POST", path, data, content_type)
        assert_error(response, status, HTTP_CODES[status])
    order = {"customer_id": customer_id, "lines": [LINE]}
    ref = api.post("/orders", order).get_json()["ref"]
    before = counts(app)
    for path in (f"/orders/{ref}", f"/orders/{ref}/schedule", f"/orders/{ref}/cancel"):
        method = "PATCH" if path.endswith(ref) else "POST"
        assert api.raw(method, path, data, content_type).status_code == status
    assert counts(app) == before


def test_http_errors_under_the_api_are_json(app: Flask, users: Users) -> None:
    api = api_as(app, users.concierge)
    assert_error(api.get("/nothing-here"), 404, "not_found")
    assert_error(api.get("/orders/C-2026-999999"), 404, "not_found")
    assert_error(api.get("/orders/%00"), 400, "bad_request")
    assert_error(api.get("/orders?q=a%00b"), 400, "bad_request")
    assert_error(api.get("/orders/" + "x" * 500), 404, "not_found")
    assert_error(api.get("/customers/99999"), 404, "not_found")
    assert_error(api.get(f"/customers/{HUGE}"), 404, "not_found")
    response = api.raw("DELETE", "/services", b"", "application/json")
    assert_error(response, 405, "method_not_allowed")
    assert "GET" in response.headers["Allow"]


def test_pages_keep_their_own_error_pages(app: Flask) -> None:
    response = app.test_client().get("/no-such-page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"


def _scheduled(api: Api, users: Users) -> str:
    order = {"customer_id": new_customer(api), "lines": [LINE]}
    ref: str = api.post("/orders", order).get_json()["ref"]
    when = {"scheduled_at": "2026-12-01T09:30:00Z", "provider_id": users.provider.id}
    assert api.post(f"/orders/{ref}/schedule", when).status_code == 200
    return ref


@pytest.mark.parametrize(
    ("action", "body", "field"),
    [
        ("schedule", {"scheduled_at": "soon"}, "scheduled_at"),
        ("schedule", {"scheduled_at": ["2026-12-01T09:30:00Z"]}, "scheduled_at"),
        ("schedule", {"scheduled_at": "2026-12-01T09:30:00"}, "scheduled_at"),
        ("schedule", {"provider_id": [1]}, "provider_id"),
        ("schedule", {"provider_id": HUGE}, "provider_id"),
        ("schedule", {"version": "two"}, "version"),
        ("complete", {"version": 1.5}, "version"),
        ("complete", {"version": True}, "version"),
        ("complete", {"version": HUGE}, "version"),
        ("cancel", {"reason": 5}, "reason"),
        ("cancel", {"reason": "x" * 501}, "reason"),
        ("cancel", {"version": [3]}, "version"),
    ],
)
def test_a_bad_action_body_changes_nothing(
    app: Flask, users: Users, action: str, body: dict[str, Any], field: str
) -> None:
    api = api_as(app, users.concierge)
    ref = _scheduled(api, users)
    before = counts(app)
    assert_error(api.post(f"/orders/{ref}/{action}", body), 422, "invalid", field)
    assert counts(app) == before
    order = api.get(f"/orders/{ref}").get_json()
    assert (order["status"], order["scheduled_at"]) == ("scheduled", "2026-12-01T09:30:00+00:00")


def test_a_malformed_if_match_header_is_refused(app: Flask, users: Users) -> None:
    api = api_as(app, users.concierge)
    ref = _scheduled(api, users)
    response = api.client.post(
        f"/api/v1/orders/{ref}/complete", headers={**api.headers, "If-Match": '"abc"'}
    )
    assert_error(response, 422, "invalid", "version")
    assert api.get(f"/orders/{ref}").get_json()["status"] == "scheduled"
