"""A client that retries a create under the same Idempotency-Key gets one record, not two."""

from __future__ import annotations

import threading
from datetime import timedelta

import sqlalchemy as sa
from flask import Flask

from hub.db import get_session, utcnow, write_transaction
from hub.idempotency import prune
from hub.models import Customer, IdempotencyKey, Order, OutboxRow
from tests.conftest import Users, api_headers


def _count(app: Flask, model: type) -> int:
    with app.app_context():
        return get_session().scalar(sa.select(sa.func.count()).select_from(model)) or 0


def _customer_id(app: Flask, headers: dict[str, str]) -> int:
    response = app.test_client().post(
        "/api/v1/customers", json={"name": "Léa Petit", "email": "lea@example.com"}, headers=headers
    )
    assert response.status_code == 201
    return int(response.get_json()["id"])


def test_a_retried_order_create_answers_the_first_order_and_creates_nothing(
    app: Flask, users: Users
) -> None:
    headers = api_headers(app, users.concierge)
    body = {"customer_id": _customer_id(app, headers), "lines": [{"service_code": "KEYS"}]}
    keyed = {**headers, "Idempotency-Key": "6a1f0c4e-order-1"}
    client = app.test_client()
    first = client.post("/api/v1/orders", json=body, headers=keyed)
    again = client.post("/api/v1/orders", json=body, headers=keyed)
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json()
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert _count(app, Order) == 1
    assert _count(app, OutboxRow) == 1 + 1  # customer.upserted, then order.created


def test_the_same_key_with_another_body_is_refused(app: Flask, users: Users) -> None:
    headers = {**api_headers(app, users.concierge), "Idempotency-Key": "k-1"}
    client = app.test_client()
    assert client.post("/api/v1/customers", json={"name": "A"}, headers=headers).status_code == 201
    other = client.post("/api/v1/customers", json={"name": "B"}, headers=headers)
    assert other.status_code == 422
    assert other.get_json()["error"]["fields"] == {
        "Idempotency-Key": "This Idempotency-Key was already used for a different request."
    }
    assert _count(app, Customer) == 1


def test_keys_belong_to_their_user(app: Flask, users: Users) -> None:
    client = app.test_client()
    for user in (users.concierge, users.admin):
        headers = {**api_headers(app, user), "Idempotency-Key": "shared"}
        response = client.post("/api/v1/customers", json={"name": "A"}, headers=headers)
        assert response.status_code == 201
    assert _count(app, Customer) == 2


def test_an_unusable_key_is_a_422_and_stores_nothing(app: Flask, users: Users) -> None:
    headers = api_headers(app, users.concierge)
    client = app.test_client()
    for key in ("x" * 256, "caf\u00e9", "tab\there"):
        response = client.post(
            "/api/v1/customers", json={"name": "A"}, headers={**headers, "Idempotency-Key": key}
        )
        assert response.status_code == 422, key
        assert "Idempotency-Key" in response.get_json()["error"]["fields"]
    assert _count(app, Customer) == 0


def test_a_failed_create_is_not_remembered(app: Flask, users: Users) -> None:
    headers = {**api_headers(app, users.concierge), "Idempotency-Key": "k-2"}
    client = app.test_client()
    bad = client.post("/api/v1/customers", json={"name": ""}, headers=headers)
    assert bad.status_code == 422
    good = client.post("/api/v1/customers", json={"name": "Enfin"}, headers=headers)
    assert good.status_code == 201
    assert _count(app, IdempotencyKey) == 1


def test_two_simultaneous_retries_create_one_order(app: Flask, users: Users) -> None:
    headers = api_headers(app, users.concierge)
    body = {"customer_id": _customer_id(app, headers), "lines": [{"service_code": "PARCEL"}]}
    keyed = {**headers, "Idempotency-Key": "race"}
    answers: list[tuple[int, str]] = []
    start = threading.Barrier(2)

    def post() -> None:
        client = app.test_client()
        start.wait()
        response = client.post("/api/v1/orders", json=body, headers=keyed)
        answers.append((response.status_code, response.get_json()["ref"]))

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(answers) == 2
    assert {status for status, _ in answers} == {201}
    assert answers[0][1] == answers[1][1]
    assert _count(app, Order) == 1


def test_keys_older_than_a_day_are_forgotten(app: Flask, users: Users) -> None:
    headers = {**api_headers(app, users.concierge), "Idempotency-Key": "old"}
    app.test_client().post("/api/v1/customers", json={"name": "A"}, headers=headers)
    with app.app_context():
        session = get_session()
        with write_transaction(session):
            assert prune(session, before=utcnow() - timedelta(hours=24)) == 0
        with write_transaction(session):
            assert prune(session, before=utcnow() + timedelta(seconds=1)) == 1
    assert _count(app, IdempotencyKey) == 0
