"""Editing an order keeps the snapshot of its unchanged lines and its current provider."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Flask

from hub import accounts
from hub.db import get_session, write_transaction
from hub.models import Service, User
from tests.conftest import Users
from tests.integration.test_api_support import WHEN, Api, api_as, new_customer


def _cleaning_order(api: Api, **extra: Any) -> dict[str, Any]:
    body = {
        "customer_id": new_customer(api),
        "lines": [
            {"service_code": "CLEANING", "quantity": 2},
            {"service_code": "KEYS", "quantity": 1},
        ],
        **extra,
    }
    response = api.post("/orders", body)
    assert response.status_code == 201, response.get_json()
    order: dict[str, Any] = response.get_json()
    return order


def _change_service(app: Flask, code: str, **values: Any) -> None:
    with app.app_context():
        session = get_session()
        with write_transaction(session):
            session.execute(sa.update(Service).where(Service.code == code).values(**values))


def _edit(api: Api, order: dict[str, Any], **changes: Any) -> Any:
    return api.patch(f"/orders/{order['ref']}", {"version": order["version"], **changes})


def test_a_notes_only_edit_keeps_the_vat_of_a_line_whose_rate_changed_since(
    app: Flask, users: Users
) -> None:
    api = api_as(app, users.concierge)
    order = _cleaning_order(api)
    _change_service(app, "CLEANING", vat_bp=2000, label="Grand ménage", unit_price_cents=3500)

    response = _edit(api, order, notes="Code 1234")

    assert response.status_code == 200, response.get_json()
    edited = response.get_json()
    assert edited["notes"] == "Code 1234"
    assert edited["vat_cents"] == order["vat_cents"]
    assert edited["total_cents"] == order["total_cents"]
    assert edited["lines"] == order["lines"]


def test_a_notes_only_edit_succeeds_after_a_service_of_the_order_is_retired(
    app: Flask, users: Users
) -> None:
    api = api_as(app, users.concierge)
    order = _cleaning_order(api)
    _change_service(app, "KEYS", active=False)

    response = _edit(api, order, notes="Keys under the mat")

    assert response.status_code == 200, response.get_json()
    assert [line["service_code"] for line in response.get_json()["lines"]] == ["CLEANING", "KEYS"]


def test_an_edit_keeps_the_current_provider_even_if_deactivated_since(
    app: Flask, users: Users
) -> None:
    api = api_as(app, users.concierge)
    order = _cleaning_order(api, scheduled_at=WHEN, provider_id=users.provider.id)
    with app.app_context():
        session = get_session()
        with write_transaction(session):
            provider = session.get(User, users.provider.id)
            assert provider is not None
            accounts.set_active(session, provider, False)

    response = _edit(api, order, notes="Same provider")

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["provider"]["id"] == users.provider.id
    switched = _edit(api, response.get_json(), provider_id=users.other_provider.id)
    assert switched.status_code == 200, switched.get_json()
    back = _edit(api, switched.get_json(), provider_id=users.provider.id)
    assert back.status_code == 422
    assert back.get_json()["error"]["fields"] == {"provider_id": "Choose an active provider."}


def test_a_new_or_changed_line_reads_todays_catalogue(app: Flask, users: Users) -> None:
    api = api_as(app, users.concierge)
    order = _cleaning_order(api)
    _change_service(app, "CLEANING", vat_bp=2000, unit_price_cents=3000)
    kept, _keys = order["lines"]

    response = _edit(
        api,
        order,
        lines=[
            {"service_code": "CLEANING", "quantity": 2},
            {"service_code": "KEYS", "quantity": 2},
            {"service_code": "CLEANING", "quantity": 1},
        ],
    )

    assert response.status_code == 200, response.get_json()
    unchanged, more_keys, added = response.get_json()["lines"]
    assert unchanged == kept
    assert more_keys["amount_cents"] == 1600
    assert (added["unit_price_cents"], added["vat_bp"]) == (3000, 2000)
    _change_service(app, "KEYS", active=False)
    retired = _edit(
        api,
        response.get_json(),
        lines=[
            {"service_code": "CLEANING", "quantity": 2},
            {"service_code": "KEYS", "quantity": 3},
        ],
    )
    assert retired.status_code == 422
    assert "lines.1.service_code" in retired.get_json()["error"]["fields"]
