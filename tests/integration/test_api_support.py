"""Helpers shared by the API tests (this module holds no tests)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from hub.db import get_session
from hub.models import Customer, Order, OrderEvent, OrderLine, OutboxRow, User
from tests.conftest import api_headers

WHEN = "2026-12-01T09:30:00+01:00"


@dataclass
class Api:
    """A client that calls /api/v1 with one user's bearer token (or none)."""

    client: FlaskClient
    headers: dict[str, str]

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        return self.client.get("/api/v1" + path, headers=self.headers, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> TestResponse:
        return self.client.post("/api/v1" + path, json=body, headers=self.headers, **kwargs)

    def patch(self, path: str, body: Any = None, **kwargs: Any) -> TestResponse:
        return self.client.patch("/api/v1" + path, json=body, headers=self.headers, **kwargs)

    def raw(self, method: str, path: str, data: bytes | str, content_type: str) -> TestResponse:
        return self.client.open(
            "/api/v1" + path,
            method=method,
            data=data,
            content_type=content_type,
            headers=self.headers,
        )


def api_as(app: Flask, user: User | None) -> Api:
    headers = api_headers(app, user) if user is not None else {}
    return Api(client=app.test_client(), headers=headers)


def counts(app: Flask) -> dict[str, int]:
    """Count the rows every write would add to, to show that nothing was stored."""
    with app.app_context():
        session = get_session()
        return {
            model.__tablename__: session.scalar(sa.select(sa.func.count()).select_from(model)) or 0
            for model in (Customer, Order, OrderLine, OrderEvent, OutboxRow)
        }


def new_customer(api: Api, name: str = "Jeanne Martin", email: str = "jeanne@example.com") -> int:
    response = api.post("/customers", {"name": name, "email": email, "address": "3 rue Oberkampf"})
    assert response.status_code == 201, response.get_json()
    customer_id: int = response.get_json()["id"]
    return customer_id


def new_order(api: Api, customer_id: int, **extra: Any) -> dict[str, Any]:
    body = {"customer_id": customer_id, "lines": [{"service_code": "ASSEMBLY", "quantity": 2}]}
    response = api.post("/orders", {**body, **extra})
    assert response.status_code == 201, response.get_json()
    order: dict[str, Any] = response.get_json()
    return order


def assert_error(response: TestResponse, status: int, code: str, field: str | None = None) -> None:
    """Check the one error shape of the API, and the field it names if any."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert set(error) == {"code", "message", "fields"}
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["fields"], dict)
    if field is not None:
        assert field in error["fields"], error
