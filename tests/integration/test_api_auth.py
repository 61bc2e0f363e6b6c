"""Who may call the API: bearer tokens only, and the same roles as on the pages."""

from __future__ import annotations

import json
import logging

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from hub.accounts import create_token, revoke_token
from hub.db import get_session, write_transaction
from hub.logs import JsonFormatter
from hub.models import ApiToken, User
from tests.conftest import SignIn, Users, api_token
from tests.integration.test_api_support import (
    WHEN,
    api_as,
    assert_error,
    counts,
    new_customer,
    new_order,
)

PROTECTED = [
    ("GET", "/services"),
    ("GET", "/customers"),
    ("POST", "/customers"),
    ("GET", "/customers/1"),
    ("GET", "/orders"),
    ("POST", "/orders"),
    ("GET", "/orders/C-2026-000001"),
    ("PATCH", "/orders/C-2026-000001"),
    ("POST", "/orders/C-2026-000001/schedule"),
    ("POST", "/orders/C-2026-000001/complete"),
    ("POST", "/orders/C-2026-000001/cancel"),
]


def _call(app: Flask, method: str, path: str, headers: dict[str, str]) -> TestResponse:
    return app.test_client().open("/api/v1" + path, method=method, json={}, headers=headers)


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Token hub_abc", "Bearer hub_unknown"],
)
def test_every_route_refuses_a_missing_or_unknown_token(
    app: Flask, users: Users, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}
    for method, path in PROTECTED:
        response = _call(app, method, path, headers)
        assert_error(response, 401, "unauthorized")
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_token_stops_working(app: Flask, users: Users) -> None:
    token = api_token(app, users.concierge)
    headers = {"Authorization": f"Bearer {token}"}
    assert _call(app, "GET", "/services", headers).status_code == 200
    with app.app_context():
        session = get_session()
        with write_transaction(session):
            row = session.query(ApiToken).filter_by(user_id=users.concierge.id).one()
            revoke_token(session, row.id)
    response = _call(app, "GET", "/services", headers)
    assert_error(response, 401, "unauthorized")
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_a_deactivated_user_s_token_stops_working(app: Flask, users: Users) -> None:
    token = api_token(app, users.concierge)
    with app.app_context():
        session = get_session()
        with write_transaction(session):
            # Deactivated without revoking, to show the user's state is checked on its own.
            session.get(User, users.concierge.id).active = False  # type: ignore[union-attr]
    assert_error(
        _call(app, "GET", "/services", {"Authorization": f"Bearer {token}"}), 401, "unauthorized"
    )


def test_a_signed_in_browser_session_is_not_enough(app: Flask, signed_in: SignIn) -> None:
    client = signed_in("admin", english=False)
    assert_error(client.get("/api/v1/orders"), 401, "unauthorized")
    response = client.post("/api/v1/customers", json={"name": "Cookie Monster"})
    assert_error(response, 401, "unauthorized")
    assert counts(app)["customers"] == 0


def test_a_token_needs_no_csrf_token_to_write(app: Flask, users: Users) -> None:
    api = api_as(app, users.concierge)
    assert api.post("/customers", {"name": "Jeanne Martin"}).status_code == 201


def test_the_openapi_document_is_public(app: Flask) -> None:
    response = app.test_client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.get_json()["openapi"].startswith("3.1")


def test_a_provider_may_only_read_services_and_their_own_missions(app: Flask, users: Users) -> None:
    staff = api_as(app, users.concierge)
    mine = new_order(staff, new_customer(staff), scheduled_at=WHEN, provider_id=users.provider.id)[
        "ref"
    ]
    provider = api_as(app, users.provider)
    before = counts(app)
    assert provider.get("/services").status_code == 200
    assert provider.get(f"/orders/{mine}").status_code == 200
    for method, path in [
        ("GET", "/customers"),
        ("POST", "/customers"),
        ("GET", "/customers/1"),
        ("POST", "/orders"),
        ("PATCH", f"/orders/{mine}"),
        ("POST", f"/orders/{mine}/schedule"),
        ("POST", f"/orders/{mine}/cancel"),
        # Refused before any lookup, so an unknown reference looks the same.
        ("POST", "/orders/C-2026-999999/cancel"),
    ]:
        response = _call(app, method, path, provider.headers)
        assert_error(response, 403, "forbidden")
    assert counts(app) == before


@pytest.mark.parametrize("role", ["admin", "concierge"])
def test_staff_may_use_every_route(app: Flask, users: Users, role: str) -> None:
    api = api_as(app, users.by_role(role))
    customer_id = new_customer(api)
    assert api.get(f"/customers/{customer_id}").status_code == 200
    assert api.get("/customers?q=jeanne").status_code == 200
    order = new_order(api, customer_id)
    ref = order["ref"]
    edit = {"notes": "Door code 1234", "version": order["version"]}
    assert api.patch(f"/orders/{ref}", edit).status_code == 200
    scheduled = api.post(
        f"/orders/{ref}/schedule", {"scheduled_at": WHEN, "provider_id": users.provider.id}
    )
    assert scheduled.status_code == 200
    assert api.post(f"/orders/{ref}/complete").get_json()["status"] == "done"
    assert api.post(f"/orders/{ref}/cancel", {"reason": "Refund"}).get_json()["status"] == (
        "cancelled"
    )
    assert [o["ref"] for o in api.get("/orders").get_json()["data"]] == [ref]


def test_the_access_log_names_the_user_and_never_the_token(app: Flask, users: Users) -> None:
    lines: list[str] = []

    class Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(JsonFormatter().format(record))

    handler = Capture()
    logger = logging.getLogger("hub.access")
    logger.addHandler(handler)
    # The tests' configuration logs warnings only; the access log speaks at INFO.
    level = logger.level
    logger.setLevel(logging.INFO)
    try:
        with app.app_context():
            session = get_session()
            with write_transaction(session):
                token = create_token(session, session.merge(users.admin), "log test")
        client = app.test_client()
        client.get("/api/v1/services", headers={"Authorization": f"Bearer {token}"})
        client.get("/api/v1/services", headers={"Authorization": f"Bearer {token}x"})
    finally:
        logger.setLevel(level)
        logger.removeHandler(handler)
    entries = [json.loads(line) for line in lines]
    assert [(e["status"], e["user"]) for e in entries] == [(200, users.admin.id), (401, None)]
    assert all(token not in line for line in lines)
